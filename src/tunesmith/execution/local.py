"""The default executor: each training job is a local OS process in its own job folder.

Resource-aware: every job asks for CPUs and GPUs (its instance type, or ``TUNESMITH_CPUS`` /
``TUNESMITH_GPUS`` in its Environment; see :mod:`tunesmith.execution.resources`) out of this
machine's budget. A job that does not fit waits, first come first served, and says why
(:meth:`LocalExecutor.pending_reason`); a job given GPUs sees only its own devices through
``CUDA_VISIBLE_DEVICES``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence

from tunesmith.errors import ExecutorError, TunesmithError
from tunesmith.execution import jobdir, orphans, resources
from tunesmith.execution.base import (
    EventSink,
    JobHandle,
    Orphan,
    OrphanQuery,
    TrainingJobRequest,
)
from tunesmith.execution.jobstate import PendingStates, read_state
from tunesmith.execution.loop import JobLoop
from tunesmith.execution.process import AdoptPlan, LaunchPlan, ProcessJob

logger = logging.getLogger(__name__)


class _Slot:
    """The resources one job holds (or waits for)."""

    __slots__ = ("cpus", "devices", "gpus", "job", "rejected")

    def __init__(self, job: ProcessJob, cpus: float, gpus: int, rejected: str | None):
        self.job = job
        self.cpus = cpus
        self.gpus = gpus
        self.devices: list[str] | None = None  # set when granted and gpus > 0
        self.rejected = rejected


class LocalExecutor:
    """Runs each training job as a local process (see ``docs/training-contract.md``).

    Every job is followed by the executor's :class:`~tunesmith.execution.loop.JobLoop`. A
    caller that waits for events anyway can run it itself (:meth:`drive`, then :meth:`pump`
    where it would wait): launches then start their process before returning and every event
    reaches the sink on the caller's thread. Otherwise ``launch`` returns at once and the
    loop's own thread writes the job folder, starts the process and calls the sink.
    Thread-safe: launch, stop and close may be called from any thread.

    ``cpus`` (default ``TUNESMITH_LOCAL_CPUS``; unset means no CPU budget, so only
    ``max_parallel_jobs`` limits how many jobs run, as before) and ``gpus`` (default
    ``TUNESMITH_LOCAL_GPUS``, else the parent's ``CUDA_VISIBLE_DEVICES``, else the NVIDIA
    device files) are the budget. A job asking more CPUs than the whole budget by instance type
    runs alone with the whole budget; asking more by explicit ``TUNESMITH_CPUS``, or more GPUs
    than the machine has, is rejected with a launch error that says what to change.
    """

    def __init__(
        self,
        stop_grace_seconds: float = 120.0,
        *,
        parent_environment: Mapping[str, str] | None = None,
        cpus: float | None = None,
        gpus: int | Sequence[str] | None = None,
        instance_resources: Mapping[str, Mapping[str, float]] | None = None,
    ):
        self.stop_grace_seconds = stop_grace_seconds
        self._parent_env = dict(parent_environment) if parent_environment is not None else None
        env = self._parent_env if self._parent_env is not None else os.environ
        self.total_cpus = float(cpus) if cpus is not None else _local_cpus(env)
        if gpus is None:
            self._devices = resources.gpu_ids(env)
        elif isinstance(gpus, int):
            self._devices = [str(i) for i in range(gpus)]
        else:
            self._devices = [str(d) for d in gpus]
        self.total_gpus = len(self._devices)
        self._overrides = {k: dict(v) for k, v in (instance_resources or {}).items()}
        self._lock = threading.Lock()
        self._running: set[ProcessJob] = set()
        self._slots: dict[ProcessJob, _Slot] = {}
        self._queue: deque[_Slot] = deque()
        self._free_cpus = self.total_cpus
        self._free_devices = list(self._devices)
        self._closed = False
        self._pending_states = PendingStates()
        self._loop = JobLoop("tunesmith-local-jobs")

    # ------------------------------------------------------------------ contract

    def launch(self, request: TrainingJobRequest, sink: EventSink) -> ProcessJob:
        """Start the job; a job that cannot start ends with ``JobExited.launch_error``."""
        parent_env = self._parent_env
        slot_holder: list[_Slot] = []

        def plan() -> LaunchPlan:
            slot = slot_holder[0]
            if slot.rejected is not None:
                raise ValueError(slot.rejected)
            req = request
            if slot.devices:
                env = dict(request.environment)
                env["CUDA_VISIBLE_DEVICES"] = ",".join(slot.devices)
                req = dataclasses.replace(request, environment=env)
            spec = jobdir.prepare(req, parent_env)
            return LaunchPlan(
                argv=spec.argv,
                cwd=spec.cwd,
                env=spec.env,
                log_file=spec.layout.log_file,
                failure_file=spec.layout.failure_file,
                state_file=spec.layout.state_file,
                attempt=request.attempt,
            )

        job = ProcessJob(
            request.training_job_name,
            plan,
            sink,
            max_runtime_seconds=request.max_runtime_seconds,
            stop_grace_seconds=self.stop_grace_seconds,
            on_exit=self._forget,
            pending_states=self._pending_states,
            loop=self._loop,
        )
        slot = self._slot_for(request, job)
        slot_holder.append(slot)
        with self._lock:
            self._register_locked(job, slot, "launch")
            start_now = slot.rejected is not None or (not self._queue and self._fits(slot))
            if start_now:
                self._grant(slot)
            else:
                self._queue.append(slot)
        if start_now:
            job.start()
        else:
            logger.info("%s: %s", request.training_job_name, self.pending_reason(job) or "waiting")
        return job

    def stop(self, handle: JobHandle) -> None:
        """Ask the job to stop; calling it again, or after the job ended, does nothing."""
        if isinstance(handle, ProcessJob):
            jobs = [handle]
        else:
            with self._lock:
                jobs = [j for j in self._running if j.training_job_name == handle.training_job_name]
        for job in jobs:
            with self._lock:
                slot = self._slots.get(job)
                queued = slot is not None and slot in self._queue
                if queued:
                    self._queue.remove(slot)  # never started: it ends as stopped at once
            job.stop()
            if queued:
                job.start()

    # ------------------------------------------------------------------ the loop

    def drive(self) -> bool:
        """Follow the jobs on the calling thread from now on, through :meth:`pump`; False when
        the executor's own thread already follows them (then events come from it)."""
        return self._loop.drive()

    def release(self) -> None:
        """Stop driving: jobs still running are followed by the executor's own thread."""
        self._loop.release()

    def pump(self, timeout: float | None) -> None:
        """Driving thread only: wait up to ``timeout`` seconds for the jobs' events and
        deliver them to their sinks."""
        self._loop.pump(timeout)

    def wake(self) -> None:
        """Make a :meth:`pump` in progress return (thread-safe)."""
        self._loop.wake()

    def close(self) -> None:
        """Stop every job still running and wait until each has reported its exit."""
        with self._lock:
            self._closed = True
            jobs = list(self._running)
        for job in jobs:
            self.stop(job)
        for job in jobs:
            job.wait()
        self._pending_states.close()
        self._loop.close()

    def end_recorded(self, handle: JobHandle) -> None:
        """The store holds how the job ended, so the state file a later controller would read
        in its place is not needed (see :class:`~tunesmith.execution.jobstate.PendingStates`)."""
        if isinstance(handle, ProcessJob):
            handle.end_recorded()

    # ------------------------------------------------------------------ adoption

    def find_orphans(self, queries: Sequence[OrphanQuery]) -> dict[str, Orphan]:
        """The queried attempts still running here (found by their environment, see
        :mod:`~tunesmith.execution.orphans`) or whose end their supervisor recorded.

        A live process of another attempt of the same job is a leftover: it is killed.
        """
        wanted = {q.training_job_name: q for q in queries}
        hints = {q.training_job_name: q.pid for q in queries if q.pid}
        found: dict[str, Orphan] = {}
        for process in orphans.job_processes(set(wanted), hints):
            query = wanted[process.name]
            if process.attempt != query.attempt or process.log_offset is None:
                logger.warning("killing a leftover process %s of %s", process.pid, process.name)
                orphans.kill_group(process.pid)
                continue
            found[process.name] = Orphan(
                training_job_name=process.name,
                attempt=query.attempt,
                pid=process.pid,
                log_file=query.log_file,
                log_start=process.log_offset,
                started=process.started or time.time(),
                deadline=process.deadline,
                devices=process.devices,
            )
        for name, query in wanted.items():
            if name in found:
                continue
            state = read_state(query.state_file)
            if state is None or state.attempt != query.attempt:
                continue
            if state.ended is None and not state.left:
                continue
            found[name] = Orphan(
                training_job_name=name,
                attempt=query.attempt,
                pid=None,
                log_file=query.log_file,
                log_start=state.log_offset,
                started=state.started,
                deadline=state.deadline,
                ended=state,
            )
        return found

    def adopt(
        self, request: TrainingJobRequest, orphan: Orphan, resume_offset: int, sink: EventSink
    ) -> ProcessJob:
        """Supervise ``orphan`` (see :class:`~tunesmith.execution.base.AdoptingExecutor`).

        A running orphan holds its share of the budget at once, even beyond it: it already runs.
        """
        layout = jobdir.job_layout(request)
        plan = AdoptPlan(
            pid=orphan.pid,
            attempt=orphan.attempt,
            log_file=orphan.log_file,
            failure_file=layout.failure_file,
            log_start=orphan.log_start,
            resume_offset=resume_offset,
            started=orphan.started,
            deadline=orphan.deadline,
            ended=orphan.ended,
            state_file=layout.state_file,
        )
        job = ProcessJob(
            request.training_job_name,
            None,
            sink,
            stop_grace_seconds=self.stop_grace_seconds,
            on_exit=self._forget,
            adopt=plan,
            pending_states=self._pending_states,
            loop=self._loop,
        )
        slot = self._slot_for(request, job)
        with self._lock:
            self._register_locked(job, slot, "adopt")
            if orphan.pid is not None and slot.rejected is None:
                self._free_cpus -= slot.cpus
                devices = [d for d in orphan.devices or () if d in self._free_devices]
                slot.devices = devices
                self._free_devices = [d for d in self._free_devices if d not in devices]
            else:
                slot.rejected = slot.rejected or "ended"  # holds nothing
        job.start()
        return job

    def _register_locked(self, job: ProcessJob, slot: _Slot, verb: str) -> None:
        if self._closed:
            raise ExecutorError(f"this executor was closed; create a new one to {verb} jobs")
        self._running.add(job)
        self._slots[job] = slot

    def detach_all(self) -> list[str]:
        """Let go of every job without stopping it; they run on for a later adopt."""
        with self._lock:
            jobs = list(self._running)
            queued = [slot.job for slot in self._queue]
            self._queue.clear()
        for job in jobs:
            job.detach()
        for job in queued:
            job.start()  # never started: its supervisor ends at once
        for job in jobs:
            job.wait()
        self._pending_states.flush()
        return [job.training_job_name for job in jobs]

    # ------------------------------------------------------------------ status

    def running(self) -> list[ProcessJob]:
        """Jobs launched and not yet exited (including those waiting for resources)."""
        with self._lock:
            return list(self._running)

    def pending_reason(self, handle: JobHandle) -> str | None:
        """Why a launched job has not started yet, e.g. ``waiting for resources: 2 GPUs``."""
        with self._lock:
            slot = next(
                (s for s in self._queue if s.job.training_job_name == handle.training_job_name),
                None,
            )
            if slot is None:
                return None
            need = [resources._count(slot.cpus, "CPU")] if slot.cpus > self._free_cpus else []
            if slot.gpus > len(self._free_devices):
                need.append(resources._count(slot.gpus, "GPU"))
            if not need:
                return "waiting for resources: queued behind an earlier job"
            free = (
                f"{self._free_cpus:g} of {self.total_cpus:g} CPUs, "
                f"{len(self._free_devices)} of {self.total_gpus} GPUs free"
            )
            return f"waiting for resources: {' and '.join(need)} ({free})"

    # ------------------------------------------------------------------ budget

    def _slot_for(self, request: TrainingJobRequest, job: ProcessJob) -> _Slot:
        try:
            demand = resources.demand_for(
                request.instance_type, request.environment, self._overrides
            )
        except TunesmithError as exc:
            return _Slot(job, 0, 0, str(exc))
        cpus = demand.cpus
        if demand.gpus > self.total_gpus:
            return _Slot(
                job,
                0,
                0,
                f"the job asks for {resources._count(demand.gpus, 'GPU')} ({demand.source}) but "
                f"this machine offers {self.total_gpus}: set TUNESMITH_LOCAL_GPUS if it has "
                "more, or choose a CPU instance type (or TUNESMITH_GPUS=0 in the Environment)",
            )
        if cpus > self.total_cpus:
            if demand.explicit_cpus:
                return _Slot(
                    job,
                    0,
                    0,
                    f"the job asks for {resources._count(cpus, 'CPU')} (Environment "
                    f"TUNESMITH_CPUS) but the local budget is {self.total_cpus:g}: lower it or "
                    "raise TUNESMITH_LOCAL_CPUS",
                )
            logger.info(
                "%s asks for %g CPUs (%s), more than the local budget of %g: it runs with the "
                "whole budget",
                request.training_job_name,
                cpus,
                demand.source,
                self.total_cpus,
            )
            cpus = self.total_cpus
        return _Slot(job, cpus, demand.gpus, None)

    def _fits(self, slot: _Slot) -> bool:
        return slot.cpus <= self._free_cpus + 1e-9 and slot.gpus <= len(self._free_devices)

    def _grant(self, slot: _Slot) -> None:
        if slot.rejected is not None:
            return
        self._free_cpus -= slot.cpus
        if slot.gpus:
            slot.devices = self._free_devices[: slot.gpus]
            del self._free_devices[: slot.gpus]

    def _forget(self, job: ProcessJob) -> None:
        to_start: list[ProcessJob] = []
        with self._lock:
            self._running.discard(job)
            slot = self._slots.pop(job, None)
            if slot is not None and slot.rejected is None and slot not in self._queue:
                self._free_cpus = min(self.total_cpus, self._free_cpus + slot.cpus)
                if slot.devices:
                    self._free_devices.extend(slot.devices)
                    self._free_devices.sort(key=self._devices.index)
            # First come, first served: the head of the queue starts before any later job.
            while self._queue and self._fits(self._queue[0]):
                head = self._queue.popleft()
                self._grant(head)
                to_start.append(head.job)
        for queued in to_start:
            queued.start()


def _local_cpus(env: Mapping[str, str]) -> float:
    raw = env.get("TUNESMITH_LOCAL_CPUS", "").strip()
    if raw:
        try:
            return float(raw)
        except ValueError:
            raise TunesmithError(f"TUNESMITH_LOCAL_CPUS must be a number, not {raw!r}") from None
    return math.inf  # no CPU budget unless one is configured
