"""Frozen records the store hands out: plain values, never ORM objects or open sessions.

Field names match the ``**fields`` accepted by the ``update_*`` methods of
:class:`~tunesmith.store.Store`. JSON columns come back decoded; statuses as the enums of
:mod:`tunesmith.domain.enums`; times as timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tunesmith.domain.enums import (
    FailureKind,
    ObjectiveStatus,
    ObjectiveType,
    SecondaryStatus,
    Strategy,
    TrainingJobStatus,
    TuningJobStatus,
)

ARN_PREFIX = "arn:aws:sagemaker:local:000000000000"


def utcnow() -> datetime:
    return datetime.now(UTC)


def tuning_job_arn(name: str) -> str:
    """SageMaker lowercases the name in a tuning job's ARN."""
    return f"{ARN_PREFIX}:hyper-parameter-tuning-job/{name.lower()}"


def training_job_arn(name: str) -> str:
    return f"{ARN_PREFIX}:training-job/{name.lower()}"


@dataclass(frozen=True)
class TuningJobRecord:
    name: str
    arn: str
    spec: dict[str, Any]  # the canonical CreateHyperParameterTuningJob request
    strategy: Strategy
    objective_metric: str
    objective_type: ObjectiveType
    status: TuningJobStatus
    creation_time: datetime
    last_modified_time: datetime
    failure_reason: str | None = None
    end_time: datetime | None = None
    best_training_job_name: str | None = None
    stop_requested: bool = False
    completion_details: dict[str, Any] | None = None  # TuningJobCompletionDetails
    fingerprints: dict[str, Any] | None = None  # of the training code and data (warm start)
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    next_ordinal: int = 1


@dataclass(frozen=True)
class TrainingJobRecord:
    """One training job launched by a tuning job (HyperParameterTrainingJobSummary and more)."""

    name: str
    tuning_job_name: str
    ordinal: int
    tuned_hyperparameters: dict[str, str]
    hyperparameters: dict[str, str]  # static + tuned + _tuning_objective_metric
    status: TrainingJobStatus = TrainingJobStatus.IN_PROGRESS
    secondary_status: SecondaryStatus = SecondaryStatus.STARTING
    final_objective_value: float | None = None
    objective_status: ObjectiveStatus = ObjectiveStatus.PENDING
    objective_note: str | None = None  # why the objective is missing or ignored
    failure_reason: str | None = None  # at most 1024 characters
    failure_kind: FailureKind | None = None
    stop_reason: str | None = None  # user stop, early-stopping decision, max runtime
    creation_time: datetime = field(default_factory=utcnow)
    start_time: datetime | None = None
    end_time: datetime | None = None
    last_modified_time: datetime = field(default_factory=utcnow)
    billable_seconds: int | None = None
    attempts: int = 1
    job_dir: str | None = None
    log_path: str | None = None
    model_artifact_path: str | None = None
    pid: int | None = None
    exit_code: int | None = None

    @property
    def arn(self) -> str:
        return training_job_arn(self.name)


@dataclass(frozen=True)
class MetricEventRecord:
    """One regex match in a job's log. ``value`` is None when the capture was not finite.

    ``ordinal`` counts this metric's finite values in the job (1-based, the epoch that early
    stopping and Hyperband use); the store fills it in when it is None for a finite value.
    """

    metric_name: str
    value: float | None
    raw: str
    timestamp: float  # epoch seconds
    ordinal: int | None = None
    attempt: int = 1
    training_job_name: str = ""
    id: int | None = None


@dataclass(frozen=True)
class StatusTransitionRecord:
    """One entry of DescribeTrainingJob's SecondaryStatusTransitions."""

    training_job_name: str
    status: SecondaryStatus
    start_time: datetime
    end_time: datetime | None = None
    message: str = ""
    id: int | None = None


@dataclass(frozen=True)
class DecisionRecord:
    """A scheduler decision about a training job, kept so users can see why a job stopped."""

    training_job_name: str
    kind: str  # e.g. "STOP"
    reason: str
    step: int | None = None
    created_at: datetime = field(default_factory=utcnow)
    id: int | None = None
