"""The store: the single source of truth for tuning state (SQLite by default, PostgreSQL by URL)."""

from tunesmith.store.records import (
    DecisionRecord,
    MetricEventRecord,
    StatusTransitionRecord,
    TrainingJobRecord,
    TuningJobRecord,
    training_job_arn,
    tuning_job_arn,
)
from tunesmith.store.repository import DB_FILENAME, Store

__all__ = [
    "DB_FILENAME",
    "DecisionRecord",
    "MetricEventRecord",
    "StatusTransitionRecord",
    "Store",
    "TrainingJobRecord",
    "TuningJobRecord",
    "training_job_arn",
    "tuning_job_arn",
]
