"""Pick up the training jobs a controller that is gone left InProgress (see docs/resume.md).

On start, a controller looks at each job the store says is running:

* its process still runs (its environment names this job and attempt): it is **adopted**: the
  log is parsed on from the first line whose metrics the store does not hold yet, early stopping
  and the stop deadline (counted from the attempt's start) carry on, no new attempt is made;
* it has ended, and its supervisor recorded how (it died between the exit and the store write),
  or it was left running on purpose (Ctrl-C, "leave") and ended since: it is adopted too, its
  remaining lines are parsed and it ends as recorded, or by the outcome rule for an unknown
  exit status (:func:`tunesmith.execution.jobstate.unknown_exit`);
* otherwise it died unobserved: it is marked and retried per RetryStrategy.

Executors that cannot adopt (Ray, simulated) get the last treatment for every job, after the
process group is killed if it still runs here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from tunesmith.domain.enums import FailureKind, TrainingJobStatus
from tunesmith.execution import jobdir, orphans
from tunesmith.execution.base import Orphan, OrphanQuery, TrainingJobRequest
from tunesmith.execution.exitwatch import pid_running
from tunesmith.execution.logtail import iter_lines
from tunesmith.metrics import MetricMatch, MetricParser
from tunesmith.orchestrator.objective import ObjectiveTracker
from tunesmith.orchestrator.requests import build_request
from tunesmith.store import MetricEventRecord, TrainingJobRecord

if TYPE_CHECKING:
    from tunesmith.orchestrator.controller import TuningJobController

DEAD_REASON = "InternalServerError: the controller running this job ended before the job did"
STOPPED_WHILE_DOWN = "Stopped while its controller was down"


class LeaveJobsRunning(BaseException):  # a request, like KeyboardInterrupt
    """Raised (from a signal handler, in the controller's thread) to end the controller at once
    and leave its training jobs running for a later resume: nothing is stopped, the tuning job
    stays InProgress, the lease is released."""


def seed_tracker(tracker: ObjectiveTracker, stored: list[MetricEventRecord]) -> None:
    """Replay the attempt's stored metric events, so ordinals and the last objective go on."""
    for event in stored:
        tracker.ordinal_for(MetricMatch(event.metric_name, event.value, event.raw))


def resume_offset(log_file: Path, start: int, parser: MetricParser, stored: int) -> int:
    """Where parsing must go on in ``log_file``: just past the line that yielded the
    ``stored``-th metric match of the attempt whose output starts at ``start``.

    The controller stores the matches of whole lines, in order, one transaction per batch, so
    what the store holds is always the matches of a prefix of the lines: reparsing from here
    neither loses nor repeats an event. Lines with no match before it are not delivered again
    (they carry nothing the store keeps).
    """
    if stored <= 0:
        return start
    seen = 0
    offset = start
    try:
        for line in iter_lines(log_file, start):
            matches = len(parser.parse(line.text))
            if matches:
                seen += matches
                offset = line.end
                if seen >= stored:
                    return offset
    except OSError:
        return start
    return offset  # fewer matches than stored (the log was changed): go on from the last one


def recover(controller: TuningJobController) -> None:
    """Adopt or retry every non-terminal training job of ``controller``'s tuning job."""
    pending = [r for r in controller._records.values() if not r.status.is_terminal]
    if not pending:
        return
    executor = controller.executor
    finder = getattr(executor, "find_orphans", None)
    requests = {r.name: _request(controller, r) for r in pending}
    found: dict[str, Orphan] = {}
    if finder is not None:
        queries = [
            OrphanQuery(
                training_job_name=r.name,
                attempt=r.attempts,
                log_file=_log_file(r, requests[r.name]),
                state_file=jobdir.job_layout(requests[r.name]).state_file,
                pid=r.pid,
            )
            for r in pending
        ]
        found = finder(queries)
    for record in pending:
        orphan = found.get(record.name)
        if orphan is None:
            if finder is None:
                end_orphan_process(record)
            _retry_or_mark(controller, record)
            continue
        _adopt(controller, record, requests[record.name], orphan)


def _request(controller: TuningJobController, record: TrainingJobRecord) -> TrainingJobRequest:
    job_dir = Path(record.job_dir or controller.settings.jobs_dir / controller.name / record.name)
    return build_request(
        controller.spec, record.name, record.hyperparameters, job_dir, attempt=record.attempts
    )


def _log_file(record: TrainingJobRecord, request: TrainingJobRequest) -> Path:
    return Path(record.log_path) if record.log_path else jobdir.job_layout(request).log_file


def _adopt(
    controller: TuningJobController,
    record: TrainingJobRecord,
    request: TrainingJobRequest,
    orphan: Orphan,
) -> None:
    from tunesmith.orchestrator.controller import _RunningJob  # the controller imports us

    stored = controller.store.list_metric_events(record.name, attempt=record.attempts)
    tracker = ObjectiveTracker(controller.objective_name)
    seed_tracker(tracker, stored)
    offset = resume_offset(orphan.log_file, orphan.log_start, controller.parser, len(stored))
    budget = controller.spec.definition.stopping_condition.max_runtime_in_seconds
    this_attempt = (orphan.deadline - orphan.started) if orphan.deadline else budget
    job = _RunningJob(
        record.name,
        None,
        tracker,
        record.attempts,
        started=orphan.started,
        used_seconds=max(0.0, budget - this_attempt),
    )
    stopping = record.status == TrainingJobStatus.STOPPING
    if stopping:
        job.stop_reason = _stop_reason(controller, record)
    controller._running[record.name] = job
    adopt = controller.executor.adopt  # type: ignore[attr-defined]
    job.handle = adopt(request, orphan, offset, controller._events.put)
    if stopping:
        controller.executor.stop(job.handle)


def _stop_reason(controller: TuningJobController, record: TrainingJobRecord) -> str:
    decisions = [d for d in controller.store.list_decisions(record.name) if d.kind == "STOP"]
    return decisions[-1].reason if decisions else "Stopped on request"


def _retry_or_mark(controller: TuningJobController, record: TrainingJobRecord) -> None:
    """The process is gone and nobody saw how it ended: retry per RetryStrategy, else mark it
    failed for an internal (retryable) reason; a job being stopped is marked Stopped."""
    if record.status == TrainingJobStatus.IN_PROGRESS and controller._may_retry(record.attempts):
        used = 0.0
        if record.start_time is not None:
            used = max(0.0, controller._clock() - record.start_time.timestamp())
        controller._relaunch(record.name, record.attempts + 1, used, DEAD_REASON)
        return
    from tunesmith.orchestrator.controller import _utc  # the controller imports us

    stopping = record.status == TrainingJobStatus.STOPPING
    controller._keep(
        controller.store.finish_training_job(
            record.name,
            status=TrainingJobStatus.STOPPED if stopping else TrainingJobStatus.FAILED,
            failure_reason=None if stopping else DEAD_REASON,
            failure_kind=None if stopping else FailureKind.RETRYABLE,
            stop_reason=STOPPED_WHILE_DOWN if stopping else None,
            end_time=_utc(controller._clock()),
        )
    )


def end_orphan_process(record: TrainingJobRecord) -> None:
    """Kill the process group of a job whose controller died, if it still runs that job.

    The pid is only trusted when the process's environment names this training job, so a
    recycled pid is never killed."""
    if not record.pid:
        return
    try:
        environ = Path(f"/proc/{record.pid}/environ").read_bytes()
    except OSError:
        return
    if f"TRAINING_JOB_NAME={record.name}".encode() not in environ.split(b"\0"):
        return
    with contextlib.suppress(OSError):
        os.killpg(record.pid, signal.SIGKILL)


def stop_left_processes(records: Iterable[TrainingJobRecord], grace_seconds: float) -> int:
    """Stop the still-running processes of ``records`` when no controller runs them (a job left
    running, then ``tunesmith stop`` or ``delete``): SIGTERM to each process group, SIGKILL to
    those still there after ``grace_seconds``. Returns how many were found."""
    pending = [r for r in records if not r.status.is_terminal]
    hints = {r.name: r.pid for r in pending if r.pid}
    found = orphans.job_processes({r.name for r in pending}, hints)
    for process in found:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    alive = [p.pid for p in found]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [pid for pid in alive if pid_running(pid)]
    for pid in alive:
        orphans.kill_group(pid)
    return len(found)
