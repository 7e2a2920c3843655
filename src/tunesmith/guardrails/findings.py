"""What the doctor reports: one :class:`Finding` per mistake, with the reason and the fix.

Checks are pure functions ``(spec, context) -> list[Finding]``. They name fields by their
canonical PascalCase path; :class:`CheckContext` turns a path into the user's own spelling
(the friendly snake_case form when the spec was written that way), both for ``Finding.field``
and for the field names quoted in messages and fixes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tunesmith.domain.friendly import friendly_path

if TYPE_CHECKING:
    from tunesmith.guardrails.dry_run import DryRunResult
    from tunesmith.store import TuningJobRecord

CONFIG = "HyperParameterTuningJobConfig"
LIMITS = f"{CONFIG}.ResourceLimits"
MAX_JOBS = f"{LIMITS}.MaxNumberOfTrainingJobs"
MAX_PARALLEL = f"{LIMITS}.MaxParallelTrainingJobs"
TUNING_MAX_RUNTIME = f"{LIMITS}.MaxRuntimeInSeconds"
STRATEGY = f"{CONFIG}.Strategy"
OBJECTIVE = f"{CONFIG}.HyperParameterTuningJobObjective"
OBJECTIVE_NAME = f"{OBJECTIVE}.MetricName"
OBJECTIVE_TYPE = f"{OBJECTIVE}.Type"
EARLY_STOPPING = f"{CONFIG}.TrainingJobEarlyStoppingType"
RANGES = f"{CONFIG}.ParameterRanges"
DEFINITION = "TrainingJobDefinition"
METRICS = f"{DEFINITION}.AlgorithmSpecification.MetricDefinitions"
MAX_RUN = f"{DEFINITION}.StoppingCondition.MaxRuntimeInSeconds"
WARM_START = "WarmStartConfig"


class Severity(StrEnum):
    """``error``: the tuning job would be wrong or wasted (``tune`` refuses it);
    ``warning``: budget is likely wasted; ``advice``: a better way exists."""

    ERROR = "error"
    WARNING = "warning"
    ADVICE = "advice"


SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.ADVICE: 2}


@dataclass(frozen=True)
class Finding:
    """One mistake: a stable ``code``, how bad it is, the field, why it hurts, what to change."""

    code: str
    severity: Severity
    field: str
    message: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


@dataclass(frozen=True)
class CheckContext:
    """What checks may look at besides the spec: a dry run and the stored tuning jobs.

    ``request`` is the PascalCase request the spec came from; with ``friendly`` set, field
    paths are shown in the friendly form's names.
    """

    request: dict[str, Any] = field(default_factory=dict)
    friendly: bool = False
    dry_run: DryRunResult | None = None
    stored_jobs: list[TuningJobRecord] | None = None

    def path(self, canonical: str) -> str:
        """A field path in the user's own spelling."""
        return friendly_path(canonical, self.request) if self.friendly else canonical

    def term(self, canonical: str) -> str:
        """The short name of a field, as the user writes it (``max_parallel_jobs`` or
        ``MaxParallelTrainingJobs``)."""
        if self.friendly:
            return friendly_path(canonical, self.request)
        return canonical.rsplit(".", 1)[-1]


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == Severity.ERROR for f in findings)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, then advice; stable within a severity."""
    return sorted(findings, key=lambda f: SEVERITY_ORDER[f.severity])
