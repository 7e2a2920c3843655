"""The controller: drives one tuning job from the store's state to a terminal status.

One thread owns all decisions. Executors push events (log lines, exits) onto a queue from their
own threads; the loop reacts to each as soon as it arrives, writes what it learned to the store,
then launches more jobs while the budget allows. Trial state lives only in the store, so the
strategy's history is rebuilt from it and a later controller can pick the job up.
"""

from __future__ import annotations

import os
import queue
import time
from bisect import insort
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tunesmith.domain.enums import (
    FailureKind,
    ObjectiveStatus,
    ObjectiveType,
    SecondaryStatus,
    TrainingJobStatus,
    TuningJobStatus,
)
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.errors import ResourceInUseError, TunesmithError
from tunesmith.execution.base import (
    Executor,
    JobEvent,
    JobExited,
    JobHandle,
    JobStarted,
    LogLine,
    TrainingJobRequest,
)
from tunesmith.metrics import MetricParser
from tunesmith.orchestrator import recovery
from tunesmith.orchestrator.artifacts import publish_artifacts
from tunesmith.orchestrator.completion import check_completion, not_improving_count
from tunesmith.orchestrator.heap import frozen_heap
from tunesmith.orchestrator.leases import owner_is_dead, owner_name
from tunesmith.orchestrator.naming import training_job_name
from tunesmith.orchestrator.objective import ObjectiveTracker
from tunesmith.orchestrator.outcome import Outcome, decide_outcome
from tunesmith.orchestrator.progress import Progress
from tunesmith.orchestrator.requests import all_hyperparameters, build_request
from tunesmith.orchestrator.strategy_factory import make_scheduler, make_strategy
from tunesmith.orchestrator.warm_start import load_prior, overall_best
from tunesmith.scheduling.base import Action, JobCurve
from tunesmith.settings import Settings
from tunesmith.space import SearchSpace
from tunesmith.store import MetricEventRecord, Store, TrainingJobRecord
from tunesmith.strategies.base import Trial, TrialState

FAIL_FAST_JOBS = 5
FAIL_FAST_REASON = (
    "No training job succeeded after 5 attempts. Please take a look at the training job "
    "failures to get more details."
)
LEASE_TTL_SECONDS = 30.0
WAKE_INTERVAL_SECONDS = 0.5
#: How long events without an end are gathered to share one transaction, and how long a job's
#: start waits to be written together with its end.
EVENT_COALESCE_SECONDS = 0.05
#: A strategy that suggested within this long last time is asked inside the transaction that
#: records the jobs that ended, so their ends and the next jobs share one commit; a slower one
#: (a Bayesian model fit) is asked outside it, not holding the store's write lock meanwhile.
QUICK_SUGGEST_SECONDS = 0.005
_WAKE = object()


@dataclass
class _RunningJob:
    name: str
    handle: JobHandle | None
    tracker: ObjectiveTracker
    attempt: int
    started: float | None = None
    #: A start not written yet: written with the job's end when that comes within
    #: EVENT_COALESCE_SECONDS (one write for both), else on its own once that has passed.
    unwritten_start: JobStarted | None = None
    start_seen: float = 0.0  # time.monotonic() when the start arrived
    used_seconds: float = 0.0  # runtime of earlier attempts (MaxRuntime covers all attempts)
    stop_reason: str | None = None
    metrics: list[MetricEventRecord] = field(default_factory=list)


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class TuningJobController:
    """Runs the tuning job ``name`` (already created in the store) until it ends."""

    def __init__(
        self,
        store: Store,
        executor: Executor,
        settings: Settings,
        name: str,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.store = store
        self.executor = executor
        self.settings = settings
        self.name = name
        self.on_progress = on_progress
        record = store.get_tuning_job(name)
        self.spec = TuningJobSpec.model_validate(record.spec)
        self.creation_time = record.creation_time
        self.space = SearchSpace.from_ranges(self.spec.ranges)
        self.strategy = make_strategy(
            self.spec, self.space, prior=load_prior(self.spec, store, self.space)
        )
        self.scheduler = make_scheduler(self.spec)
        self._curves: dict[str, JobCurve] = {}
        # Write-through cache of this tuning job's training-job records, in launch order: the
        # controller holding the lease is their only writer, so reading them back from the
        # store after every event (quadratic in the number of jobs) is not needed.
        self._records: dict[str, TrainingJobRecord] = {}
        # The strategy's view of each job, in launch order; rebuilt only for the jobs whose
        # record or curve changed since the last suggestion (``_changed``).
        self._trials: dict[str, Trial] = {}
        self._changed: set[str] = set()
        self._finished_keys: list[tuple[tuple[datetime, int], str]] | None = None
        self._jobs_root = str(settings.jobs_dir / name)  # each job's folder is in here
        definitions = self.spec.definition.algorithm_specification.metric_definitions
        self.parser = MetricParser([(d.name, d.regex) for d in definitions])
        config = self.spec.hyper_parameter_tuning_job_config
        self.objective_name = self.spec.objective.metric_name
        self.maximize = self.spec.objective.type == ObjectiveType.MAXIMIZE
        self.max_parallel = config.resource_limits.max_parallel_training_jobs
        self.max_jobs = config.resource_limits.max_number_of_training_jobs or self.space.grid_size()
        self.max_runtime = config.resource_limits.max_runtime_in_seconds
        self.owner = owner_name(self)
        # Executors on a virtual clock (the simulated one) lend it; else wall time.
        self._clock: Callable[[], float] = getattr(executor, "now", time.time)
        self._events: queue.SimpleQueue[JobEvent | object] = queue.SimpleQueue()
        #: The executor's loop, when this controller's thread drives it (see run()).
        self._pump: Callable[[float | None], None] | None = None
        self._leave_requested = False
        self._running: dict[str, _RunningJob] = {}
        self._stop_requested_locally: str | None = None
        self._stopping_reason: str | None = None
        self._final_status = TuningJobStatus.STOPPED
        self._failure_reason: str | None = None
        self._exhausted = False
        self._suggests_quickly = False  # see QUICK_SUGGEST_SECONDS
        self._converged_at: float | None = None
        self._last_store_check = 0.0
        self._last_lease_renewal = 0.0

    # ------------------------------------------------------------------ public
    def request_stop(self, reason: str = "Stopped on request") -> None:
        """Thread-safe: stop every running job and end the tuning job as Stopped."""
        self._stop_requested_locally = reason
        self.request_wake()

    def leave_jobs_running(self) -> None:
        """Thread-safe, and safe from a signal handler: end the run at its next safe point
        without stopping the training jobs (as :class:`recovery.LeaveJobsRunning` raised in
        :meth:`run` would, but never in the middle of starting or reaping a job)."""
        self._leave_requested = True
        self.request_wake()

    def request_wake(self) -> None:
        self._events.put(_WAKE)
        wake = getattr(self.executor, "wake", None)
        if wake is not None:
            wake()  # the executor's loop may be what this controller waits in

    def run(self) -> None:
        record = self.store.get_tuning_job(self.name)
        if record.status.is_terminal:
            raise TunesmithError(
                f"Tuning job '{self.name}' already ended ({record.status.value}); "
                "create a new tuning job to tune again"
            )
        if not self._take_lease():
            holder = self.store.get_tuning_job(self.name)
            raise ResourceInUseError(
                f"Tuning job '{self.name}' is being run by another controller "
                f"({holder.lease_owner}); if that controller is gone, its lease expires at "
                f"{holder.lease_expires_at}"
            )
        self.left_running: list[str] = []
        drive = getattr(self.executor, "drive", None)
        if drive is not None and drive():
            # This thread runs the executor's job loop where it waits for events: an exit,
            # its record and the next launch then need no hand-off between threads.
            self._pump = self.executor.pump  # type: ignore[attr-defined]
        try:
            self._records = {r.name: r for r in self.store.list_training_jobs(self.name)}
            self._load_curves()
            self._changed.update(self._records)
            self._recover_orphans()
            with frozen_heap():
                self._loop()
        except recovery.LeaveJobsRunning:
            self._leave_running()
        except BaseException:
            self._abort_running()
            raise
        finally:
            if self._pump is not None:
                self._pump = None
                self.executor.release()  # type: ignore[attr-defined]
            self.store.release_lease(self.name, self.owner)

    def _take_lease(self) -> bool:
        """Acquire the tuning job's lease; a lease held by a dead controller on this machine
        is taken over at once instead of waiting for it to expire."""
        if self.store.acquire_lease(self.name, self.owner, LEASE_TTL_SECONDS):
            return True
        holder = self.store.get_tuning_job(self.name).lease_owner
        if holder and owner_is_dead(holder):
            self.store.release_lease(self.name, holder)
            return self.store.acquire_lease(self.name, self.owner, LEASE_TTL_SECONDS)
        return False

    # ------------------------------------------------------------------ the loop
    def _loop(self) -> None:
        self._emit_progress()
        while True:
            if self._leave_requested:
                raise recovery.LeaveJobsRunning
            self._check_stop_sources()
            if self._stopping_reason is None:
                self._launch_more()
            if not self._running:
                if self._stopping_reason is not None:
                    self._finish(self._final_status, self._failure_reason)
                    return
                if self._launched_count() >= self.max_jobs or self._exhausted:
                    self._finish(TuningJobStatus.COMPLETED, None)
                    return
            self._drain_events()

    def _check_stop_sources(self) -> None:
        now = time.monotonic()
        if now - self._last_lease_renewal > LEASE_TTL_SECONDS / 3:
            self.store.renew_lease(self.name, self.owner, LEASE_TTL_SECONDS)
            self._last_lease_renewal = now
        if self._stopping_reason is not None:
            return
        if self._stop_requested_locally is not None:
            self._begin_stop(self._stop_requested_locally, TuningJobStatus.STOPPED)
            return
        if self.max_runtime is not None:
            elapsed = self._clock() - self.creation_time.timestamp()
            if elapsed >= self.max_runtime:
                self._begin_stop(
                    f"The tuning job reached ResourceLimits.MaxRuntimeInSeconds "
                    f"({self.max_runtime} s)",
                    TuningJobStatus.COMPLETED,
                )
                return
        if now - self._last_store_check >= WAKE_INTERVAL_SECONDS:
            self._last_store_check = now
            if self.store.get_tuning_job(self.name).stop_requested:
                self._begin_stop("Stopped on request (tunesmith stop)", TuningJobStatus.STOPPED)

    def _begin_stop(
        self, reason: str, final: TuningJobStatus, failure_reason: str | None = None
    ) -> None:
        self._stopping_reason = reason
        self._final_status = final
        self._failure_reason = failure_reason
        if final == TuningJobStatus.STOPPED:
            self.store.update_tuning_job(self.name, status=TuningJobStatus.STOPPING)
        for job in self._running.values():
            self._stop_job(job, reason)

    def _stop_job(self, job: _RunningJob, reason: str) -> None:
        if job.stop_reason is None:
            job.stop_reason = reason
            if job.handle is not None:
                self.executor.stop(job.handle)  # first: every epoch until the signal costs
            if job.unwritten_start is not None:  # Training comes before Stopping
                self._write_start(job, job.unwritten_start)
            self._keep(
                self.store.update_training_job(
                    job.name,
                    status=TrainingJobStatus.STOPPING,
                    secondary_status=SecondaryStatus.STOPPING,
                )
            )

    # ------------------------------------------------------------------ launching
    def _launched_count(self) -> int:
        return len(self._records)

    def _launch_more(self) -> None:
        created = self._create_more()
        for job, request in created:
            self._start(job, request)
        if created:
            self._emit_progress()

    def _create_more(self) -> list[tuple[_RunningJob, TrainingJobRequest]]:
        """Record the next jobs the strategy suggests; their processes are started by the
        caller once the records are committed (a process never runs without its record)."""
        room = min(self.max_parallel - len(self._running), self.max_jobs - len(self._records))
        if room <= 0 or self._exhausted:
            return []
        asked = time.perf_counter()
        configs = self.strategy.suggest(room, self._history())
        self._suggests_quickly = time.perf_counter() - asked < QUICK_SUGGEST_SECONDS
        if len(configs) < room:
            self._exhausted = True
        return [self._create(self.space.format(config)) for config in configs]

    def _history(self) -> list[Trial]:
        """The strategy's view of every job, in launch order; only the jobs whose record or
        curve changed since the last call are rebuilt, so asking stays cheap as jobs pile up."""
        if self._changed:
            records = self._records
            changed = sorted(self._changed, key=lambda name: (records[name].ordinal, name))
            for name in changed:
                self._trials[name] = self._trial(records[name], self._curves.get(name))
            self._changed.clear()
        return list(self._trials.values())

    def _set_curve(self, curve: JobCurve) -> None:
        self._curves[curve.training_job_name] = curve
        self._changed.add(curve.training_job_name)

    def _trial(self, record: TrainingJobRecord, curve: JobCurve | None) -> Trial:
        config = self.space.parse(record.tuned_hyperparameters)
        values = curve.values if curve else ()
        if not record.status.is_terminal:
            return Trial(config, TrialState.PENDING, curve=values)
        if record.objective_status == ObjectiveStatus.SUCCEEDED:
            return Trial(config, TrialState.COMPLETED, record.final_objective_value, values)
        return Trial(config, TrialState.FAILED, curve=values)

    def _load_curves(self) -> None:
        """Objective curves of every job so far (the latest attempt of each), for schedulers."""
        records = self._records
        values: dict[str, list[float]] = {name: [] for name in records}
        events = self.store.list_tuning_job_metric_events(self.name, self.objective_name)
        for event in events:
            record = records.get(event.training_job_name)
            if record and event.value is not None and event.attempt == record.attempts:
                values[record.name].append(event.value)
        self._curves = {
            name: JobCurve(name, r.ordinal, tuple(values[name]), r.status.is_terminal)
            for name, r in records.items()
        }

    def _create(self, tuned: dict[str, str]) -> tuple[_RunningJob, TrainingJobRequest]:
        hyperparameters = all_hyperparameters(self.spec, tuned)

        def record(ordinal: int) -> TrainingJobRecord:
            name = training_job_name(self.name, ordinal)
            job_dir = os.path.join(self._jobs_root, name)
            return TrainingJobRecord(
                name=name,
                tuning_job_name=self.name,
                ordinal=ordinal,
                tuned_hyperparameters=tuned,
                hyperparameters=hyperparameters,
                job_dir=job_dir,
                log_path=os.path.join(job_dir, "logs", "training.log"),
                model_artifact_path=os.path.join(job_dir, "model"),
            )

        created = self._keep(self.store.create_next_training_job(self.name, record))
        name, ordinal, job_dir = created.name, created.ordinal, Path(created.job_dir or "")
        job = _RunningJob(name, None, ObjectiveTracker(self.objective_name), attempt=1)
        self._running[name] = job
        self._set_curve(JobCurve(name, ordinal, (), False))
        return job, build_request(self.spec, name, hyperparameters, job_dir, attempt=1)

    def _start(self, job: _RunningJob, request: TrainingJobRequest) -> None:
        job.handle = self.executor.launch(request, self._events.put)

    # ------------------------------------------------------------------ events
    def _drain_events(self) -> None:
        advance = getattr(self.executor, "advance", None)
        if advance is not None and self._events.empty():
            advance()  # a virtual-clock executor: jump to its next event instead of waiting
        try:
            first = self._next_event(self._wait_seconds())
        except queue.Empty:
            with self.store.batch():
                self._write_due_starts()
            return
        batch = [first]
        self._drain_into(batch)
        if advance is None:
            self._coalesce(batch)
        exits = [event for event in batch if isinstance(event, JobExited)]
        # Packing a model can take long: do it before the transaction, not while holding it.
        artifacts = {event.training_job_name: self._publish(event) for event in exits}
        running = [self._running.get(event.training_job_name) for event in exits]
        ended = [job.handle for job in running if job is not None and job.handle is not None]
        created: list[tuple[_RunningJob, TrainingJobRequest]] = []
        with self.store.batch():  # one transaction for the whole burst of events
            for event in batch:
                if isinstance(event, LogLine):
                    self._on_line(event)
                elif isinstance(event, JobStarted):
                    self._on_started(event)
            self._flush_metrics({event.training_job_name for event in exits})
            for event in exits:
                self._on_exit(event, artifacts[event.training_job_name])
            self._write_due_starts()
            if exits and self._suggests_quickly:
                self._check_stop_sources()
                if self._stopping_reason is None:
                    created = self._create_more()
        for job, request in created:  # committed: now their processes may run
            self._start(job, request)
        end_recorded = getattr(self.executor, "end_recorded", None)
        if end_recorded is not None:
            for handle in ended:  # committed: the supervisor need not leave them on disk
                end_recorded(handle)
        if exits:
            self._emit_progress()  # outside the transaction: the callback may be slow

    def _wait_seconds(self) -> float:
        """How long to wait for an event: until the next wake-up, or until the oldest start
        not yet written is due."""
        seen = [job.start_seen for job in self._running.values() if job.unwritten_start]
        if not seen:
            return WAKE_INTERVAL_SECONDS
        due = min(seen) + EVENT_COALESCE_SECONDS - time.monotonic()
        return min(WAKE_INTERVAL_SECONDS, max(due, 0.001))

    def _write_due_starts(self, everyone: bool = False) -> None:
        now = time.monotonic()
        for job in list(self._running.values()):
            start = job.unwritten_start
            if start is not None and (everyone or now - job.start_seen >= EVENT_COALESCE_SECONDS):
                self._write_start(job, start)

    def _coalesce(self, batch: list[JobEvent | object]) -> None:
        """Starts and lines are worth a short wait: a job's start, its lines and its end (or
        another job's) usually follow each other within milliseconds, and one transaction then
        records them all. Events are gathered for up to ``EVENT_COALESCE_SECONDS``; an end (a
        free slot to fill) or a stop request ends the wait at once."""
        seen = 0
        deadline = time.monotonic() + EVENT_COALESCE_SECONDS
        while not any(_is_urgent(event) for event in batch[seen:]):
            seen = len(batch)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                batch.append(self._next_event(remaining))
            except queue.Empty:
                if self._pump is None:
                    return
                continue  # the loop had other work: wait on for the rest of the time
            self._drain_into(batch)

    def _next_event(self, timeout: float) -> JobEvent | object:
        """The next event, waiting up to ``timeout`` seconds; ``queue.Empty`` when none came
        (when driving the executor's loop, possibly sooner: the caller then just asks again)."""
        if self._pump is None:
            return self._events.get(timeout=timeout)
        try:
            return self._events.get_nowait()
        except queue.Empty:
            self._pump(timeout)
        return self._events.get_nowait()

    def _drain_into(self, batch: list[JobEvent | object]) -> None:
        while len(batch) < 10_000:
            try:
                batch.append(self._events.get_nowait())
            except queue.Empty:
                return

    def _on_line(self, line: LogLine) -> None:
        job = self._running.get(line.training_job_name)
        if job is None:
            return
        for match in self.parser.parse(line.text):
            ordinal = job.tracker.ordinal_for(match)
            if (
                match.name == self.objective_name
                and ordinal is not None
                and match.value is not None
            ):
                self._on_objective_report(job, ordinal, match.value)
            job.metrics.append(
                MetricEventRecord(
                    metric_name=match.name,
                    value=match.value,
                    raw=match.raw,
                    timestamp=line.time,
                    ordinal=ordinal,
                    attempt=job.attempt,
                    training_job_name=job.name,
                )
            )

    def _on_objective_report(self, job: _RunningJob, step: int, value: float) -> None:
        """Ask the scheduler at once, so a stop costs no more epochs than it must."""
        curve = self._curves[job.name]
        self._set_curve(JobCurve(job.name, curve.ordinal, (*curve.values, value), False))
        if job.stop_reason is not None:
            return
        decision = self.scheduler.on_report(job.name, step, value, self._curves)
        if decision.action == Action.STOP:
            self._stop_job(job, decision.reason)
            self.store.add_decision(job.name, "STOP", decision.reason, step)

    def _flush_metrics(self, ending: set[str]) -> None:
        for job in self._running.values():
            if job.metrics:
                if job.unwritten_start is not None and job.name not in ending:
                    self._write_start(job, job.unwritten_start)  # never metrics before a start
                self.store.add_metric_events(job.name, job.metrics)
                job.metrics = []

    def _on_started(self, event: JobStarted) -> None:
        job = self._running.get(event.training_job_name)
        if job is None:
            return
        job.started = event.time
        job.unwritten_start = event  # see _RunningJob.unwritten_start
        job.start_seen = time.monotonic()

    def _write_start(self, job: _RunningJob, event: JobStarted) -> None:
        job.unwritten_start = None
        at = _utc(event.time)
        self._keep(
            self.store.update_training_job(
                job.name,
                now=at,  # Training begins when the process started, not when this is written
                start_time=at,
                secondary_status=SecondaryStatus.TRAINING,
                pid=event.pid,
            )
        )

    def _publish(self, event: JobExited) -> Path | None:
        """Publish the artifacts of a job that ends other than Failed (a failed job's are not
        wanted, and a retried one runs again); the path, or None when nothing was published."""
        job = self._running.get(event.training_job_name)
        record = self._records.get(event.training_job_name)
        if job is None or record is None:
            return None
        budget = self.spec.definition.stopping_condition.max_runtime_in_seconds
        if decide_outcome(event, budget, job.stop_reason).status == TrainingJobStatus.FAILED:
            return None
        return publish_artifacts(
            Path(record.job_dir or ""), job.name, self.spec.definition.output_data_config
        )

    def _on_exit(self, event: JobExited, artifact: Path | None) -> None:
        job = self._running.pop(event.training_job_name, None)
        if job is None:
            return
        outcome = decide_outcome(
            event, self.spec.definition.stopping_condition.max_runtime_in_seconds, job.stop_reason
        )
        start = job.unwritten_start
        if outcome.failure_kind == FailureKind.RETRYABLE:
            if start is not None:
                self._write_start(job, start)
                start = None
            if self._retry(job, event, outcome):
                return
        curve = self._curves[job.name]
        self._set_curve(JobCurve(job.name, curve.ordinal, curve.values, True))
        value, objective_status, note = job.tracker.final()
        billable = None
        if job.started is not None:
            billable = max(1, round(event.time - job.started))
        started: dict[str, Any] = {}
        if start is not None:  # Training, then the end: one write
            at = _utc(start.time)
            training = [(SecondaryStatus.TRAINING, at)]
            started = {"start_time": at, "pid": start.pid, "passed": training}
        self._keep(
            self.store.finish_training_job(
                job.name,
                **started,
                status=outcome.status,
                secondary_status=outcome.secondary_status,
                failure_reason=outcome.failure_reason,
                failure_kind=outcome.failure_kind,
                stop_reason=outcome.stop_reason,
                final_objective_value=value,
                objective_status=objective_status,
                objective_note=note,
                end_time=_utc(event.time),
                billable_seconds=billable,
                exit_code=event.exit_code if event.exit_status_known else None,
                **({"model_artifact_path": str(artifact)} if artifact else {}),
            )
        )
        self._after_exit()

    def _retry(self, job: _RunningJob, event: JobExited, outcome: Outcome) -> bool:
        """RetryStrategy: relaunch a job that failed for an internal reason, under the same
        name, while attempts remain and the tuning job is not stopping."""
        if not self._may_retry(job.attempt):
            return False
        used = job.used_seconds + (event.time - job.started if job.started else 0.0)
        self._relaunch(job.name, job.attempt + 1, used, outcome.failure_reason or "")
        return True

    def _may_retry(self, attempts_so_far: int) -> bool:
        retry = self.spec.definition.retry_strategy
        return (
            retry is not None
            and attempts_so_far <= retry.maximum_retry_attempts
            and self._stopping_reason is None
        )

    def _relaunch(self, name: str, attempt: int, used_seconds: float, why: str) -> None:
        """Run attempt ``attempt`` of training job ``name`` in its own folder."""
        record = self._keep(
            self.store.update_training_job(
                name,
                attempts=attempt,
                secondary_status=SecondaryStatus.STARTING,
                status_message=f"Retrying (attempt {attempt}) after: {why}",
            )
        )
        budget = self.spec.definition.stopping_condition.max_runtime_in_seconds
        job = _RunningJob(
            name, None, ObjectiveTracker(self.objective_name), attempt, used_seconds=used_seconds
        )
        self._running[name] = job
        self._set_curve(JobCurve(name, record.ordinal, (), False))  # a fresh curve
        request = build_request(
            self.spec,
            name,
            record.hyperparameters,
            Path(record.job_dir or self.settings.jobs_dir / self.name / name),
            attempt=attempt,
            max_runtime_seconds=max(1, int(budget - used_seconds)),
        )
        self._start(job, request)

    def _keep(self, record: TrainingJobRecord) -> TrainingJobRecord:
        """Remember the record a store write returned (the cache stays exact)."""
        previous = self._records.get(record.name)
        self._records[record.name] = record
        self._changed.add(record.name)
        if self._finished_keys is not None:
            if previous is not None and previous.status.is_terminal:
                self._finished_keys.remove((_finish_key(previous), previous.name))
            if record.status.is_terminal:
                insort(self._finished_keys, (_finish_key(record), record.name))
        return record

    def _finished_in_order(self) -> list[TrainingJobRecord]:
        """Finished jobs in the order they ended; kept sorted as they finish (after the first
        call), so the checks after every exit do not sort the whole history again."""
        return self._first_finished(None)

    def _first_finished(self, count: int | None) -> list[TrainingJobRecord]:
        """The first ``count`` (None: all) finished jobs in the order they ended."""
        if self._finished_keys is None:
            self._finished_keys = sorted(
                (_finish_key(r), r.name) for r in self._records.values() if r.status.is_terminal
            )
        return [self._records[name] for _, name in self._finished_keys[:count]]

    def _after_exit(self) -> None:
        """Fail fast, then the completion criteria, after every finished training job."""
        if self._stopping_reason is not None:
            return
        first = self._first_finished(FAIL_FAST_JOBS)
        if len(first) == FAIL_FAST_JOBS and all(
            r.objective_status != ObjectiveStatus.SUCCEEDED for r in first
        ):
            # SageMaker's rule: the first five finished training jobs all failed -> Failed.
            self._begin_stop(FAIL_FAST_REASON, TuningJobStatus.FAILED, FAIL_FAST_REASON)
            return
        criteria = self.spec.hyper_parameter_tuning_job_config.tuning_job_completion_criteria
        if criteria is None:
            return
        finished = self._finished_in_order()
        check = check_completion([_objective_of(r) for r in finished], criteria, self.maximize)
        if check.reason is not None:
            if check.converged:
                self._converged_at = self._clock()
            self._begin_stop(check.reason, TuningJobStatus.COMPLETED)

    # ------------------------------------------------------------------ endings
    def _finish(self, status: TuningJobStatus, failure_reason: str | None) -> None:
        best = overall_best(self._records.values(), self.maximize)
        values = [_objective_of(r) for r in self._finished_in_order()]
        details: dict[str, object] = {
            "NumberOfTrainingJobsObjectiveNotImproving": not_improving_count(values, self.maximize)
        }
        if self._converged_at is not None:
            details["ConvergenceDetectedTime"] = _utc(self._converged_at).isoformat()
        if self._stopping_reason is not None:
            details["Reason"] = self._stopping_reason
        self.store.update_tuning_job(
            self.name,
            status=status,
            failure_reason=failure_reason,
            end_time=_utc(self._clock()),
            best_training_job_name=best.name if best else None,
            completion_details=details,
        )
        self._emit_progress()

    def _recover_orphans(self) -> None:
        """Jobs left InProgress by a controller that is gone (kill -9, Ctrl-C "leave", a lost
        machine): still-running processes are adopted, the others retried per RetryStrategy or
        marked failed (see :mod:`tunesmith.orchestrator.recovery`). Finished jobs never rerun."""
        recovery.recover(self)

    def _abort_running(self) -> None:
        """The controller itself is failing: stop what it started so nothing runs unowned."""
        for job in list(self._running.values()):
            if job.handle is not None:
                self.executor.stop(job.handle)

    def _emit_progress(self) -> None:
        if self.on_progress is None:
            return
        records = list(self._records.values())
        status = self.store.get_tuning_job(self.name).status
        self.on_progress(
            Progress.from_records(
                self.name, status, records, self.max_jobs, self.objective_name, self.maximize
            )
        )

    # ------------------------------------------------------------------ leaving jobs running
    def _leave_running(self) -> None:
        """End now without stopping the training jobs (Ctrl-C, "leave"): the executor lets go
        of them, they stay InProgress in the store, and a later resume adopts them. Metric
        events not yet written are not lost: the resume parses the log on from what the store
        holds. An executor that cannot leave jobs behind (their processes would die with it)
        stops them instead."""
        with self.store.batch():  # a resume adopts them by their pid
            self._write_due_starts(everyone=True)
        detach_all = getattr(self.executor, "detach_all", None)
        if detach_all is None:
            self._abort_running()
            return
        self.left_running = list(detach_all())


end_orphan_process = recovery.end_orphan_process  # moved; kept importable from here


def _is_urgent(event: object) -> bool:
    """An event the controller acts on at once: a job's end, or a wake-up (stop request)."""
    return event is _WAKE or isinstance(event, JobExited)


def _finish_key(record: TrainingJobRecord) -> tuple[datetime, int]:
    return (record.end_time or record.last_modified_time, record.ordinal)


def _objective_of(record: TrainingJobRecord) -> float | None:
    if record.objective_status == ObjectiveStatus.SUCCEEDED:
        return record.final_objective_value
    return None
