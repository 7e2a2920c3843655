"""A training job that is a Python function of its hyperparameters, on a virtual clock.

The real orchestrator drives it exactly as it drives processes: launches, log lines (so the
metric regexes, early stopping and Hyperband see what a script would print), stops, exits. Time
is virtual: when the controller has nothing to do it calls :meth:`SimulatedExecutor.advance`,
which jumps the clock to the next scheduled event. A 50-job tuning job at any parallelism
finishes in a fraction of a second, deterministically, so tests and benchmarks use it.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tunesmith.execution.base import (
    EventSink,
    JobEvent,
    JobExited,
    JobStarted,
    LogLine,
    TrainingJobRequest,
)


@dataclass(frozen=True)
class SimulatedRun:
    """What a simulated training job does: log lines at offsets, then an exit."""

    duration: float  # virtual seconds from start to exit
    lines: list[tuple[float, str]] = field(default_factory=list)  # (offset seconds, text)
    exit_code: int = 0
    failure_text: str | None = None


TrainFunction = Callable[[dict[str, str]], SimulatedRun]


def epochs_run(values: list[float], metric: str, seconds_per_epoch: float = 1.0) -> SimulatedRun:
    """A run printing ``metric=value`` once per epoch (a learning curve)."""
    lines = [
        ((i + 1) * seconds_per_epoch, f"epoch={i + 1} {metric}={value!r}")
        for i, value in enumerate(values)
    ]
    return SimulatedRun(duration=len(values) * seconds_per_epoch + 0.001, lines=lines)


@dataclass
class SimulatedJob:
    training_job_name: str
    sink: EventSink
    max_runtime: float
    started_at: float
    done: bool = False
    stop_requested: bool = False
    epochs_printed: int = 0


class SimulatedExecutor:
    """Runs :data:`TrainFunction` jobs on a virtual clock that starts at the real time."""

    def __init__(self, train: TrainFunction, start_time: float | None = None) -> None:
        self.train = train
        self._now = time.time() if start_time is None else start_time
        self._heap: list[tuple[float, int, SimulatedJob, JobEvent]] = []
        self._seq = itertools.count()
        self.launched: list[TrainingJobRequest] = []
        self.lines_emitted: dict[str, int] = {}  # what the "processes" really printed

    def now(self) -> float:
        return self._now

    def launch(self, request: TrainingJobRequest, sink: EventSink) -> SimulatedJob:
        self.launched.append(request)
        job = SimulatedJob(
            request.training_job_name, sink, float(request.max_runtime_seconds), self._now
        )
        run = self.train(dict(request.hyperparameters))
        name = request.training_job_name
        self._schedule(self._now, job, JobStarted(name, self._now, pid=None))
        for offset, text in run.lines:
            if offset >= job.max_runtime > 0:
                break
            at = self._now + offset
            self._schedule(at, job, LogLine(name, "stdout", text, at))
        timed_out = 0 < job.max_runtime < run.duration
        end = self._now + (job.max_runtime if timed_out else run.duration)
        exit_event = JobExited(
            name,
            end,
            exit_code=None if timed_out else run.exit_code,
            signal=15 if timed_out else None,
            timed_out=timed_out,
            failure_text=run.failure_text,
        )
        self._schedule(end, job, exit_event)
        return job

    def stop(self, handle: SimulatedJob) -> None:
        """Stop now: the job's future events are dropped and it exits at the current time."""
        if handle.done or handle.stop_requested:
            return
        handle.stop_requested = True
        self._schedule(
            self._now,
            handle,
            JobExited(
                handle.training_job_name, self._now, exit_code=None, signal=15, stop_requested=True
            ),
        )

    def advance(self) -> bool:
        """Jump to the next scheduled time and emit every event due then; False when idle."""
        while self._heap:
            at, _, job, event = heapq.heappop(self._heap)
            if job.done or (job.stop_requested and not _is_stop_exit(event)):
                continue
            self._now = max(self._now, at)
            self._emit(job, event)
            while self._heap and self._heap[0][0] <= self._now:
                _, _, job, event = heapq.heappop(self._heap)
                if job.done or (job.stop_requested and not _is_stop_exit(event)):
                    continue
                self._emit(job, event)
            return True
        return False

    def close(self) -> None:
        for _, _, job, _ in list(self._heap):
            if not job.done:
                self.stop(job)
        while self.advance():
            pass

    def _emit(self, job: SimulatedJob, event: JobEvent) -> None:
        if isinstance(event, LogLine):
            self.lines_emitted[job.training_job_name] = (
                self.lines_emitted.get(job.training_job_name, 0) + 1
            )
        if isinstance(event, JobExited):
            job.done = True
        job.sink(event)

    def _schedule(self, at: float, job: SimulatedJob, event: JobEvent) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), job, event))


def _is_stop_exit(event: JobEvent) -> bool:
    return isinstance(event, JobExited) and event.stop_requested
