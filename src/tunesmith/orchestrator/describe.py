"""SageMaker's response shapes built from the store: DescribeHyperParameterTuningJob,
HyperParameterTrainingJobSummary (the leaderboard), DescribeTrainingJob. Derived on read, so
counters can never drift from the training jobs they count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tunesmith.domain.enums import (
    FailureKind,
    ObjectiveStatus,
    ObjectiveType,
    TrainingJobStatus,
)
from tunesmith.store import TrainingJobRecord, TuningJobRecord
from tunesmith.store.records import training_job_arn


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def training_job_status_counters(records: Sequence[TrainingJobRecord]) -> dict[str, int]:
    counters = {
        "Completed": 0,
        "InProgress": 0,
        "RetryableError": 0,
        "NonRetryableError": 0,
        "Stopped": 0,
    }
    for record in records:
        if record.status == TrainingJobStatus.COMPLETED:
            counters["Completed"] += 1
        elif record.status == TrainingJobStatus.STOPPED:
            counters["Stopped"] += 1
        elif record.status == TrainingJobStatus.FAILED:
            kind = record.failure_kind or FailureKind.NON_RETRYABLE
            counters[kind.value] += 1
        else:
            counters["InProgress"] += 1
    return counters


def objective_status_counters(records: Sequence[TrainingJobRecord]) -> dict[str, int]:
    counters = {s.value: 0 for s in ObjectiveStatus}
    for record in records:
        counters[record.objective_status.value] += 1
    return counters


def training_job_summary(record: TrainingJobRecord, tuning: TuningJobRecord) -> dict[str, Any]:
    """One HyperParameterTrainingJobSummary, with SageMaker's field names."""
    summary: dict[str, Any] = {
        "TrainingJobName": record.name,
        "TrainingJobArn": training_job_arn(record.name),
        "TuningJobName": tuning.name,
        "CreationTime": iso(record.creation_time),
        "TrainingStartTime": iso(record.start_time),
        "TrainingEndTime": iso(record.end_time),
        "TrainingJobStatus": record.status.value,
        "TunedHyperParameters": dict(record.tuned_hyperparameters),
        "FailureReason": record.failure_reason,
        "ObjectiveStatus": record.objective_status.value,
    }
    if record.final_objective_value is not None:
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": tuning.objective_type.value,
            "MetricName": tuning.objective_metric,
            "Value": record.final_objective_value,
        }
    if record.billable_seconds is not None:
        summary["BillableTimeInSeconds"] = record.billable_seconds
    return {k: v for k, v in summary.items() if v is not None}


def rank(
    records: Sequence[TrainingJobRecord], objective_type: ObjectiveType
) -> list[TrainingJobRecord]:
    """Best first: jobs with a final objective by value (ties by launch order), then the rest
    in launch order."""
    scored = [
        r
        for r in records
        if r.objective_status == ObjectiveStatus.SUCCEEDED and r.final_objective_value is not None
    ]
    sign = -1.0 if objective_type == ObjectiveType.MAXIMIZE else 1.0
    scored.sort(key=lambda r: (sign * (r.final_objective_value or 0.0), r.ordinal))
    scored_names = {r.name for r in scored}
    rest = sorted((r for r in records if r.name not in scored_names), key=lambda r: r.ordinal)
    return scored + rest


def describe_tuning_job(
    tuning: TuningJobRecord, records: Sequence[TrainingJobRecord]
) -> dict[str, Any]:
    """DescribeHyperParameterTuningJob's response."""
    spec = tuning.spec
    response: dict[str, Any] = {
        "HyperParameterTuningJobName": tuning.name,
        "HyperParameterTuningJobArn": tuning.arn,
        "HyperParameterTuningJobConfig": spec.get("HyperParameterTuningJobConfig"),
        "HyperParameterTuningJobStatus": tuning.status.value,
        "CreationTime": iso(tuning.creation_time),
        "HyperParameterTuningEndTime": iso(tuning.end_time),
        "LastModifiedTime": iso(tuning.last_modified_time),
        "TrainingJobStatusCounters": training_job_status_counters(records),
        "ObjectiveStatusCounters": objective_status_counters(records),
    }
    for key in ("TrainingJobDefinition", "TrainingJobDefinitions", "WarmStartConfig", "Tags"):
        if spec.get(key):
            response[key] = spec[key]
    ranked = rank(records, tuning.objective_type)
    if ranked and ranked[0].objective_status == ObjectiveStatus.SUCCEEDED:
        response["BestTrainingJob"] = training_job_summary(ranked[0], tuning)
    if tuning.failure_reason:
        response["FailureReason"] = tuning.failure_reason
    if tuning.completion_details:
        response["TuningJobCompletionDetails"] = tuning.completion_details
    end = tuning.end_time or datetime.now(UTC)
    response["ConsumedResources"] = {
        "RuntimeInSeconds": int((end - tuning.creation_time).total_seconds())
    }
    return {k: v for k, v in response.items() if v is not None}
