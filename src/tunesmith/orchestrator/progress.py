"""A snapshot of a tuning job's progress, for live views (CLI, notebooks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tunesmith.domain.enums import ObjectiveStatus, TrainingJobStatus, TuningJobStatus
from tunesmith.store import TrainingJobRecord

STALL_JOBS = 10  # finished jobs in a row without a better objective: say so


@dataclass(frozen=True)
class Progress:
    tuning_job_name: str
    status: TuningJobStatus
    max_jobs: int
    launched: int
    running: int
    completed: int
    stopped: int
    failed: int
    objective_name: str
    best_job: str | None
    best_value: float | None
    jobs_since_improvement: int  # finished jobs since the best objective last improved

    @property
    def finished(self) -> int:
        return self.completed + self.stopped + self.failed

    def summary(self, with_name: bool = False) -> str:
        """One line for live views: counts, the best objective so far, and a warning when the
        best has not improved for ``STALL_JOBS`` finished jobs in a row (a stalled job)."""
        best = "-" if self.best_value is None else f"{self.best_value:.6g} ({self.best_job})"
        name = f"{self.tuning_job_name} " if with_name else ""
        text = (
            f"{name}[{self.status.value}] {self.finished}/{self.max_jobs} done, "
            f"{self.running} running, {self.completed} completed, {self.stopped} stopped, "
            f"{self.failed} failed | best {self.objective_name}: {best}"
        )
        if self.best_value is not None and self.jobs_since_improvement >= STALL_JOBS:
            text += f" | no improvement in the last {self.jobs_since_improvement} jobs"
        return text

    @classmethod
    def from_records(
        cls,
        name: str,
        status: TuningJobStatus,
        records: Sequence[TrainingJobRecord],
        max_jobs: int,
        objective_name: str,
        maximize: bool,
    ) -> Progress:
        counts = {s: 0 for s in TrainingJobStatus}
        for record in records:
            counts[record.status] += 1
        best_job, best_value, since = None, None, 0
        finished = sorted(
            (r for r in records if r.status.is_terminal),
            key=lambda r: (r.end_time or r.last_modified_time, r.ordinal),
        )
        for record in finished:
            value = record.final_objective_value
            ok = record.objective_status == ObjectiveStatus.SUCCEEDED and value is not None
            better = ok and (
                best_value is None or (value > best_value if maximize else value < best_value)
            )
            if better:
                best_job, best_value, since = record.name, value, 0
            else:
                since += 1
        return cls(
            tuning_job_name=name,
            status=status,
            max_jobs=max_jobs,
            launched=len(records),
            running=counts[TrainingJobStatus.IN_PROGRESS] + counts[TrainingJobStatus.STOPPING],
            completed=counts[TrainingJobStatus.COMPLETED],
            stopped=counts[TrainingJobStatus.STOPPED],
            failed=counts[TrainingJobStatus.FAILED],
            objective_name=objective_name,
            best_job=best_job,
            best_value=best_value,
            jobs_since_improvement=since,
        )
