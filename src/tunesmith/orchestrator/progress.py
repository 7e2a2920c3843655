"""A snapshot of a tuning job's progress, for live views (CLI, notebooks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tunesmith.domain.enums import ObjectiveStatus, TrainingJobStatus, TuningJobStatus
from tunesmith.store import TrainingJobRecord


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
