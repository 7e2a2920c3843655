"""SageMaker's enumerations, spelled as on the wire, plus the legal status transitions."""

from __future__ import annotations

from enum import StrEnum


class Strategy(StrEnum):
    BAYESIAN = "Bayesian"
    RANDOM = "Random"
    HYPERBAND = "Hyperband"
    GRID = "Grid"


class ObjectiveType(StrEnum):
    MAXIMIZE = "Maximize"
    MINIMIZE = "Minimize"


class ScalingType(StrEnum):
    AUTO = "Auto"
    LINEAR = "Linear"
    LOGARITHMIC = "Logarithmic"
    REVERSE_LOGARITHMIC = "ReverseLogarithmic"


class EarlyStoppingType(StrEnum):
    OFF = "Off"
    AUTO = "Auto"


class WarmStartType(StrEnum):
    IDENTICAL_DATA_AND_ALGORITHM = "IdenticalDataAndAlgorithm"
    TRANSFER_LEARNING = "TransferLearning"


class TuningJobStatus(StrEnum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"

    @property
    def is_terminal(self) -> bool:
        return self in (TuningJobStatus.COMPLETED, TuningJobStatus.FAILED, TuningJobStatus.STOPPED)


class TrainingJobStatus(StrEnum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"

    @property
    def is_terminal(self) -> bool:
        return self in (
            TrainingJobStatus.COMPLETED,
            TrainingJobStatus.FAILED,
            TrainingJobStatus.STOPPED,
        )


class SecondaryStatus(StrEnum):
    STARTING = "Starting"
    PENDING = "Pending"
    DOWNLOADING = "Downloading"
    TRAINING = "Training"
    UPLOADING = "Uploading"
    RESTARTING = "Restarting"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    MAX_RUNTIME_EXCEEDED = "MaxRuntimeExceeded"
    COMPLETED = "Completed"
    FAILED = "Failed"


class ObjectiveStatus(StrEnum):
    SUCCEEDED = "Succeeded"
    PENDING = "Pending"
    FAILED = "Failed"


class FailureKind(StrEnum):
    """Why a training job failed, for SageMaker's split of the failure counters."""

    RETRYABLE = "RetryableError"  # internal: the executor lost the job, a signal we did not send
    NON_RETRYABLE = "NonRetryableError"  # the client's: script error, non-zero exit, bad input


_TRAINING_TRANSITIONS: dict[TrainingJobStatus, frozenset[TrainingJobStatus]] = {
    TrainingJobStatus.IN_PROGRESS: frozenset(
        {
            TrainingJobStatus.COMPLETED,
            TrainingJobStatus.FAILED,
            TrainingJobStatus.STOPPING,
            TrainingJobStatus.STOPPED,
        }
    ),
    TrainingJobStatus.STOPPING: frozenset(
        {TrainingJobStatus.STOPPED, TrainingJobStatus.COMPLETED, TrainingJobStatus.FAILED}
    ),
    # A failed job may be retried under the same name (RetryStrategy).
    TrainingJobStatus.FAILED: frozenset({TrainingJobStatus.IN_PROGRESS}),
    TrainingJobStatus.COMPLETED: frozenset(),
    TrainingJobStatus.STOPPED: frozenset(),
}

_TUNING_TRANSITIONS: dict[TuningJobStatus, frozenset[TuningJobStatus]] = {
    TuningJobStatus.IN_PROGRESS: frozenset(
        {
            TuningJobStatus.COMPLETED,
            TuningJobStatus.FAILED,
            TuningJobStatus.STOPPING,
            TuningJobStatus.STOPPED,
        }
    ),
    TuningJobStatus.STOPPING: frozenset({TuningJobStatus.STOPPED, TuningJobStatus.FAILED}),
    TuningJobStatus.COMPLETED: frozenset(),
    TuningJobStatus.FAILED: frozenset(),
    TuningJobStatus.STOPPED: frozenset(),
}


def can_transition_training(old: TrainingJobStatus, new: TrainingJobStatus) -> bool:
    return old == new or new in _TRAINING_TRANSITIONS[old]


def can_transition_tuning(old: TuningJobStatus, new: TuningJobStatus) -> bool:
    return old == new or new in _TUNING_TRANSITIONS[old]
