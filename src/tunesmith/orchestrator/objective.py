"""Per-job metric bookkeeping while the job runs: ordinals, the objective's last value, and
why a job ends without a usable objective."""

from __future__ import annotations

from dataclasses import dataclass, field

from tunesmith.domain.enums import ObjectiveStatus
from tunesmith.metrics import MetricMatch


@dataclass
class ObjectiveTracker:
    """Follows one job's metric captures; the final objective is the last one printed."""

    objective_name: str
    counts: dict[str, int] = field(default_factory=dict)  # finite values per metric
    reports: int = 0  # objective captures, finite or not
    last_value: float | None = None
    last_raw: str | None = None

    def ordinal_for(self, match: MetricMatch) -> int | None:
        """Count one capture; its 1-based ordinal among the metric's finite values."""
        if match.name == self.objective_name:
            self.reports += 1
            self.last_value = match.value
            self.last_raw = match.raw
        if match.value is None:
            return None
        self.counts[match.name] = self.counts.get(match.name, 0) + 1
        return self.counts[match.name]

    @property
    def objective_steps(self) -> int:
        """Finite objective values so far: the "epoch" early stopping counts."""
        return self.counts.get(self.objective_name, 0)

    def final(self) -> tuple[float | None, ObjectiveStatus, str | None]:
        """(final value, objective status, note) once the job has ended."""
        if self.reports == 0:
            return (
                None,
                ObjectiveStatus.FAILED,
                f"The objective metric '{self.objective_name}' was never printed: no log line "
                "matched its regex",
            )
        if self.last_value is None:
            return (
                None,
                ObjectiveStatus.FAILED,
                f"The last value printed for '{self.objective_name}' was {self.last_raw!r}, "
                "not a finite number; the job is not ranked",
            )
        return self.last_value, ObjectiveStatus.SUCCEEDED, None
