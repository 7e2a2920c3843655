"""Training jobs on a Ray cluster: the same container contract, on whichever node has room.

``RayExecutor(address=None)`` starts a private local Ray instance (127.0.0.1, no dashboard);
``address`` connects to a cluster (``auto``, ``ray://host:10001``, ``host:6379``). Each job is
one Ray task (:func:`tunesmith.execution.ray_worker.run_job`) asking for the CPUs and GPUs of
its instance type (:mod:`tunesmith.execution.resources`, overridable through
``TUNESMITH_RAY_RESOURCES`` or ``instance_resources=``). Events come back through a small
mailbox actor, long-polled by one thread per job: no polling interval, about one actor call of
latency. See ``docs/ray.md``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunesmith.errors import ExecutorError, OptionalDependencyError, TunesmithError
from tunesmith.execution import resources
from tunesmith.execution.base import EventSink, JobExited, JobHandle, TrainingJobRequest
from tunesmith.execution.ray_worker import (
    TOKEN_FILE,
    Mailbox,
    Placed,
    pack_folder,
    run_job,
    unpack,
)

logger = logging.getLogger(__name__)

RESOURCES_VARIABLE = "TUNESMITH_RAY_RESOURCES"
SHARED_FS_VARIABLE = "TUNESMITH_RAY_SHARED_FS"
#: How long a job may wait for its task to be placed before it reports why it is waiting.
PENDING_REPORT_SECONDS = 2.0
#: How long one long-poll of the mailbox may block (it returns as soon as events arrive).
PULL_SECONDS = 30.0


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise OptionalDependencyError("ray", "ray", "The Ray executor") from None
    return ray


@dataclasses.dataclass(eq=False)
class RayJob:
    """The handle of one job on the cluster."""

    training_job_name: str
    request: TrainingJobRequest
    demand: resources.Demand
    sink: EventSink
    task: Any = None  # ObjectRef of run_job
    node_id: str | None = None
    node_ip: str | None = None
    pending_reason: str | None = None
    stop_requested: bool = False
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    thread: threading.Thread | None = None


#: How long a lost job's report waits for Ray to mark its node dead (its health checks).
NODE_DEATH_WAIT_SECONDS = 30.0


class RayExecutor:
    """Runs each training job as a Ray task on a cluster node.

    ``shared_filesystem``: ``True`` when every node sees the controller's job folders at the
    same path (one machine, or NFS/EFS/Lustre mounted alike); ``False`` ships the code through
    Ray's object store and brings ``model/``, ``output/`` and ``logs/`` back when the job ends.
    Default: ``TUNESMITH_RAY_SHARED_FS`` (1/0), else shared for a local instance or a cluster
    whose nodes all have the controller's IP address, else copy.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        stop_grace_seconds: float = 120.0,
        instance_resources: Mapping[str, Mapping[str, float]] | None = None,
        shared_filesystem: bool | None = None,
        scheduling_strategy: str = "SPREAD",
        num_cpus: int | None = None,
        num_gpus: int | None = None,
        init_kwargs: Mapping[str, Any] | None = None,
    ):
        ray = _import_ray()
        self._ray = ray
        self.address = address
        self.stop_grace_seconds = stop_grace_seconds
        overrides = resources.load_overrides(RESOURCES_VARIABLE)
        overrides.update({k: dict(v) for k, v in (instance_resources or {}).items()})
        self._overrides = overrides
        self._strategy = scheduling_strategy
        self._owns_ray = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
                "namespace": "tunesmith",
            }
            if address is None:
                kwargs.update(
                    address="local",  # a new instance, never a cluster left in /tmp/ray
                    _node_ip_address="127.0.0.1",
                    num_cpus=num_cpus,
                    num_gpus=num_gpus,
                )
            else:
                kwargs["address"] = address
            kwargs.update(init_kwargs or {})
            ray.init(**kwargs)
            self._owns_ray = True
        self.shared_filesystem = self._decide_shared(shared_filesystem)
        # The mailbox lives on the head node: the one node whose loss ends the cluster anyway
        # (several raylets can share one IP, so "the driver's node" may be a worker).
        here = ray.get_runtime_context().get_node_id()
        head = next(
            (
                node["NodeID"]
                for node in ray.nodes()
                if node.get("Alive") and "node:__internal_head__" in node.get("Resources", {})
            ),
            here,
        )
        affinity = ray.util.scheduling_strategies.NodeAffinitySchedulingStrategy(head, soft=False)
        self._mailbox = (
            ray.remote(Mailbox)
            .options(num_cpus=0, max_concurrency=10_000, scheduling_strategy=affinity)
            .remote()
        )
        self._run_job = ray.remote(run_job)
        self._code: dict[Path, Any] = {}
        self._lock = threading.Lock()
        self._jobs: dict[str, RayJob] = {}
        self._closed = False

    # ------------------------------------------------------------------ contract

    def launch(self, request: TrainingJobRequest, sink: EventSink) -> RayJob:
        """Submit the job; it starts when a node has the resources it asks for."""
        try:
            demand = resources.demand_for(
                request.instance_type, request.environment, self._overrides
            )
        except TunesmithError as exc:
            demand, error = resources.Demand(), str(exc)
        else:
            error = None
        job = RayJob(request.training_job_name, request, demand, sink)
        with self._lock:
            if self._closed:
                raise ExecutorError("this executor was closed; create a new one to launch jobs")
            self._jobs[job.training_job_name] = job
        job.thread = threading.Thread(
            target=self._drive, args=(job, error), name=f"ray-{job.training_job_name}", daemon=True
        )
        job.thread.start()
        return job

    def stop(self, handle: JobHandle) -> None:
        """Ask the job's process to stop on its node (SIGTERM, SIGKILL after the grace)."""
        with self._lock:
            job = self._jobs.get(handle.training_job_name)
        if job is None or job.done.is_set():
            return
        job.stop_requested = True
        if job.node_id is None and job.task is not None:
            self._ray.cancel(job.task, force=False)  # still queued: never starts
        self._mailbox.request_stop.remote(job.training_job_name)

    def close(self) -> None:
        """Stop jobs still running, wait for their exits, and shut down our own Ray instance."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
        for job in jobs:
            self.stop(job)
        for job in jobs:
            job.done.wait(self.stop_grace_seconds + 30)
        if self._owns_ray:
            self._ray.shutdown()

    # ------------------------------------------------------------------ status

    def pending_reason(self, handle: JobHandle) -> str | None:
        """Why a job has not started, e.g. ``waiting for resources: 2 GPUs``; None once placed."""
        with self._lock:
            job = self._jobs.get(handle.training_job_name)
        return job.pending_reason if job is not None else None

    def node_of(self, handle: JobHandle) -> str | None:
        """The Ray node id the job runs (or ran) on."""
        with self._lock:
            job = self._jobs.get(handle.training_job_name)
        return job.node_id if job is not None else None

    # ------------------------------------------------------------------ one job

    def _drive(self, job: RayJob, error: str | None) -> None:
        name = job.training_job_name
        try:
            if error is not None:
                self._emit_exit(job, launch_error=error)
                return
            self._submit(job)
            self._pump(job)
        except Exception as exc:  # never leave the controller waiting
            logger.exception("Ray job %s failed in the executor", name)
            self._emit_exit(job, internal_error=f"Ray executor error: {exc!r}")
        finally:
            self._mailbox.forget.remote(name)
            with self._lock:
                self._jobs.pop(name, None)
            job.done.set()

    def _submit(self, job: RayJob) -> None:
        request, demand = job.request, job.demand
        token = None
        code = None
        if self.shared_filesystem:
            token = uuid.uuid4().hex
            root = Path(request.job_dir)
            root.mkdir(parents=True, exist_ok=True)
            (root / TOKEN_FILE).write_text(token, encoding="utf-8")
        elif request.program is not None and request.submit_directory is not None:
            code = self._code_ref(Path(request.submit_directory))
        options: dict[str, Any] = {
            "num_cpus": demand.cpus,
            "num_gpus": demand.gpus,
            "max_retries": 0,  # a lost node is the controller's RetryStrategy's business
            "scheduling_strategy": self._strategy,
        }
        if demand.custom:
            options["resources"] = dict(demand.custom)
        job.task = self._run_job.options(**options).remote(
            request, self._mailbox, self.stop_grace_seconds, self.shared_filesystem, token, code
        )

    def _pump(self, job: RayJob) -> None:
        ray = self._ray
        name = job.training_job_name
        exited: JobExited | None = None
        pull = self._mailbox.pull.remote(name, PENDING_REPORT_SECONDS)
        first = True
        while exited is None:
            ready, _ = ray.wait([pull, job.task], num_returns=1, fetch_local=True)
            if pull not in ready:
                # The task ended first. Ended well: its last push (JobExited) is in the
                # mailbox, so the outstanding pull returns at once. Lost: report it.
                try:
                    ray.get(job.task)
                except ray.exceptions.RayError:
                    late, _ = ray.wait([pull], timeout=0.2)
                    self._forward(job, ray.get(late[0]) if late else [])
                    self._task_lost(job)
                    return
                events = ray.get(pull) + ray.get(self._mailbox.pull.remote(name, 0.0))
                exited = self._forward(job, events)
                if exited is None:
                    self._task_lost(job)
                    return
                break
            events = ray.get(pull)
            if first and not events and job.node_id is None:
                self._report_pending(job)
            first = False
            exited = self._forward(job, events)
            if exited is None:
                pull = self._mailbox.pull.remote(name, PULL_SECONDS)
        try:
            artifacts = ray.get(job.task)
        except ray.exceptions.RayError as exc:
            logger.warning("could not fetch the artifacts of %s: %s", name, exc)
            artifacts = None
        if artifacts:
            unpack(artifacts, Path(job.request.job_dir))
        job.sink(exited)

    def _forward(self, job: RayJob, events: list[Any]) -> JobExited | None:
        for event in events:
            if isinstance(event, Placed):
                job.node_id, job.node_ip = event.node_id, event.node_ip
                if job.pending_reason is not None:
                    logger.info("%s placed on Ray node %s", job.training_job_name, event.node_ip)
                job.pending_reason = None
            elif isinstance(event, JobExited):
                return event
            else:
                job.sink(event)
        return None

    def _task_lost(self, job: RayJob) -> None:
        ray = self._ray
        try:
            ray.get(job.task)
            reason = "the Ray task ended without reporting how the job exited"
        except ray.exceptions.TaskCancelledError:
            self._emit_exit(job)  # stopped while still queued
            return
        except ray.exceptions.RayError as exc:
            where = f" on node {job.node_ip} ({job.node_id})" if job.node_id else ""
            reason = f"the Ray node or worker running the job was lost{where}: {type(exc).__name__}"
            if job.node_id:
                self._await_node_marked_dead(job.node_id)
        self._emit_exit(job, internal_error=reason)

    def _await_node_marked_dead(
        self, node_id: str, timeout: float = NODE_DEATH_WAIT_SECONDS
    ) -> None:
        """Report a lost job only once Ray knows its node is gone, so the retry the controller
        launches next is not placed on the dead node (Ray notices a dead node only after its
        missed heartbeats). A rare failure path: a short poll is fine here."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                alive = any(
                    n.get("NodeID") == node_id and n.get("Alive") for n in self._ray.nodes()
                )
            except Exception:
                return
            if not alive:
                return
            time.sleep(0.2)

    def _emit_exit(
        self, job: RayJob, *, launch_error: str | None = None, internal_error: str | None = None
    ) -> None:
        stopped = job.stop_requested
        job.sink(
            JobExited(
                training_job_name=job.training_job_name,
                time=time.time(),
                exit_code=None,
                stop_requested=stopped,
                launch_error=launch_error,
                internal_error=None if stopped and internal_error is None else internal_error,
            )
        )

    def _report_pending(self, job: RayJob) -> None:
        demand = job.demand
        try:
            free = self._ray.available_resources()
        except Exception:  # the status is best effort
            free = {}
        short = []
        if demand.cpus > free.get("CPU", 0):
            short.append(resources._count(demand.cpus, "CPU"))
        if demand.gpus > free.get("GPU", 0):
            short.append(resources._count(demand.gpus, "GPU"))
        short.extend(f"{v:g} {k}" for k, v in demand.custom.items() if v > free.get(k, 0))
        if short:
            reason = f"waiting for resources: {' and '.join(short)}"
        else:
            reason = f"waiting for a Ray worker to start ({demand.describe()})"
        job.pending_reason = reason
        logger.warning("%s: %s", job.training_job_name, reason)

    # ------------------------------------------------------------------ helpers

    def _code_ref(self, folder: Path) -> Any:
        folder = folder.absolute()
        with self._lock:
            ref = self._code.get(folder)
            if ref is None:
                ref = self._code[folder] = self._ray.put(pack_folder(folder))
        return ref

    def _decide_shared(self, explicit: bool | None) -> bool:
        if explicit is not None:
            return explicit
        raw = os.environ.get(SHARED_FS_VARIABLE, "").strip().lower()
        if raw:
            return raw in {"1", "true", "yes", "on"}
        if self._owns_ray and self.address is None:
            return True
        try:
            here = self._ray.util.get_node_ip_address()
            ips = {n["NodeManagerAddress"] for n in self._ray.nodes() if n.get("Alive")}
        except Exception:
            return True
        return ips <= {here}
