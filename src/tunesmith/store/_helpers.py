"""Session-level building blocks of the Store: lookups, rules, and row bookkeeping.

Kept apart from ``repository.py`` so that the Store class reads as its public API.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tunesmith.domain.enums import (
    ObjectiveStatus,
    SecondaryStatus,
    TrainingJobStatus,
    TuningJobStatus,
    can_transition_training,
    can_transition_tuning,
)
from tunesmith.errors import ResourceInUseError, ResourceNotFoundError, StoreError
from tunesmith.store.direct import DirectSql
from tunesmith.store.models import (
    RAW_LIMIT,
    TrainingJobRow,
    TuningJobRow,
    column_values,
    finite_or_none,
)
from tunesmith.store.records import MetricEventRecord, StatusTransitionRecord, utcnow
from tunesmith.store.statements import (
    CLOSE_TRANSITION,
    INSERT_TRANSITION,
    INSERT_TRANSITIONS,
    ORDINAL_COUNTER,
    SELECT_TRAINING,
)

#: The secondary status a finished job ends in, by primary status.
TERMINAL_SECONDARY = {
    TrainingJobStatus.COMPLETED: SecondaryStatus.COMPLETED,
    TrainingJobStatus.FAILED: SecondaryStatus.FAILED,
    TrainingJobStatus.STOPPED: SecondaryStatus.STOPPED,
}
FINAL_SECONDARY = frozenset(
    {
        SecondaryStatus.COMPLETED,
        SecondaryStatus.FAILED,
        SecondaryStatus.STOPPED,
        SecondaryStatus.MAX_RUNTIME_EXCEEDED,
    }
)
STATUS_MESSAGES = {
    SecondaryStatus.STARTING: "Starting the training job",
    SecondaryStatus.PENDING: "Preparing the instances for training",
    SecondaryStatus.DOWNLOADING: "Preparing the job folder and input data",
    SecondaryStatus.TRAINING: "Training in progress",
    SecondaryStatus.UPLOADING: "Collecting the model artifacts",
    SecondaryStatus.RESTARTING: "Restarting the training job",
    SecondaryStatus.STOPPING: "Stopping the training job",
    SecondaryStatus.STOPPED: "Training job stopped",
    SecondaryStatus.MAX_RUNTIME_EXCEEDED: "Training job exceeded MaxRuntimeInSeconds",
    SecondaryStatus.COMPLETED: "Training job completed",
    SecondaryStatus.FAILED: "Training job failed",
}


def find_tuning(session: Session, name: str) -> TuningJobRow | None:
    query = select(TuningJobRow).where(TuningJobRow.name_lower == name.lower())
    return session.scalars(query).one_or_none()


def tuning_row(session: Session, name: str) -> TuningJobRow:
    row = find_tuning(session, name)
    if row is None:
        raise tuning_not_found(name)
    return row


def training_row(source: DirectSql | Session, name: str) -> Any:
    """A training job's columns, with attribute access like an ORM row (without the ORM)."""
    if isinstance(source, DirectSql):
        row = source.first(SELECT_TRAINING, {"pk": name})
    else:
        row = source.execute(SELECT_TRAINING, {"pk": name}).one_or_none()
    if row is None:
        raise ResourceNotFoundError(f"Could not find training job '{name}'.")
    return row


def tuning_not_found(name: str) -> ResourceNotFoundError:
    return ResourceNotFoundError(f"Could not find hyper parameter tuning job '{name}'.")


def tuning_exists(name: str) -> ResourceInUseError:
    return ResourceInUseError(
        f"Resource Already Exists: Hyper Parameter Tuning Job with name {name} already exists. "
        "Choose a different name."
    )


def training_exists(name: str) -> ResourceInUseError:
    return ResourceInUseError(
        f"Resource Already Exists: Training Job with name {name} already exists. "
        "Choose a different name."
    )


def to_enum(enum: Any, value: Any) -> Any:
    """``enum(value)``, or a StoreError that lists the allowed values."""
    try:
        return enum(value)
    except ValueError as exc:
        allowed = ", ".join(member.value for member in enum)
        raise StoreError(f"{value!r} is not a valid {enum.__name__} ({allowed}).") from exc


def to_columns(fields: dict[str, Any], json_fields: dict[str, str], status: Any) -> dict[str, Any]:
    try:
        return column_values(fields, json_fields, status)
    except ValueError as exc:
        raise StoreError(f"Invalid value for the store: {exc}") from exc


def reject_unknown(fields: dict[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise StoreError(
            f"Cannot update {', '.join(unknown)} of a {what}; updatable: {sorted(allowed)}."
        )


def assign(row: Any, values: dict[str, Any], now: datetime | None) -> None:
    for key, value in values.items():
        setattr(row, key, value)
    row.last_modified_time = now or utcnow()


def check_tuning_transition(row: TuningJobRow, new: TuningJobStatus) -> None:
    old = TuningJobStatus(row.status)
    if not can_transition_tuning(old, new):
        raise StoreError(
            f"Hyper parameter tuning job '{row.name}' cannot go from {old.value} to {new.value}."
        )


def check_training_transition(row: TrainingJobRow, new: TrainingJobStatus) -> None:
    old = TrainingJobStatus(row.status)
    if not can_transition_training(old, new):
        raise StoreError(f"Training job '{row.name}' cannot go from {old.value} to {new.value}.")


def affected_rows(result: Any) -> int:
    return int(result.rowcount)


def record_transition(
    sql: DirectSql,
    training_job_name: str,
    status: SecondaryStatus | str,
    now: datetime,
    message: str | None,
    *,
    first: bool = False,
) -> StatusTransitionRecord:
    """Close the job's open transition and open one for ``status`` (plain SQL, no ORM);
    ``first``: a new job's first entry, with nothing to close."""
    if not first:
        sql.execute(CLOSE_TRANSITION, {"job": training_job_name, "closed_at": now})
    status = SecondaryStatus(status)
    values = _transition_values(training_job_name, status, now, None, message)
    key = sql.insert_returning(INSERT_TRANSITION, values)
    return StatusTransitionRecord(
        training_job_name=training_job_name,
        status=status,
        start_time=now,
        end_time=values["end_time"],
        message=values["message"],
        id=key,
    )


def record_transitions(
    sql: DirectSql,
    training_job_name: str,
    steps: Sequence[tuple[SecondaryStatus | str, datetime, str | None]],
) -> None:
    """Record several statuses the job went through, in order, each ``(status, since,
    message)``: the open entry is closed, every step but the last is entered already closed
    (at the next one's start), the last is opened, as one ``record_transition`` a step would,
    in two statements instead of two a step."""
    sql.execute(CLOSE_TRANSITION, {"job": training_job_name, "closed_at": steps[0][1]})
    next_starts: list[datetime | None] = [since for _, since, _ in steps[1:]]
    rows = [
        _transition_values(training_job_name, SecondaryStatus(status), since, closed_at, message)
        for (status, since, message), closed_at in zip(steps, [*next_starts, None], strict=True)
    ]
    sql.execute_many(INSERT_TRANSITIONS, rows)


def _transition_values(
    training_job_name: str,
    status: SecondaryStatus,
    since: datetime,
    closed_at: datetime | None,
    message: str | None,
) -> dict[str, Any]:
    """One SecondaryStatusTransitions row; a final status is closed at its own start."""
    if closed_at is None and status in FINAL_SECONDARY:
        closed_at = since
    return {
        "training_job_name": training_job_name,
        "status": status.value,
        "start_time": since,
        "end_time": closed_at,
        "message": message if message is not None else STATUS_MESSAGES.get(status, ""),
    }


def finish_defaults(
    row: TrainingJobRow, final: TrainingJobStatus, fields: dict[str, Any], now: datetime
) -> dict[str, Any]:
    end = fields.get("end_time") or now
    defaults: dict[str, Any] = {"end_time": end, "secondary_status": TERMINAL_SECONDARY[final]}
    start = fields.get("start_time", row.start_time)
    if start is not None:
        defaults["billable_seconds"] = max(1, math.ceil((end - start).total_seconds()))
    objective = fields.get("final_objective_value", row.final_objective_value)
    if row.objective_status == ObjectiveStatus.PENDING.value:
        has_value = finite_or_none(objective) is not None
        defaults["objective_status"] = (
            ObjectiveStatus.SUCCEEDED if has_value else ObjectiveStatus.FAILED
        )
    return defaults


def ordinal_counter(sql: DirectSql, training_job_name: str) -> dict[tuple[str, int], int]:
    """The highest ordinal stored so far for each (metric, attempt) of a training job."""
    rows = sql.rows(ORDINAL_COUNTER, {"job": training_job_name})
    return {(name, attempt): top or 0 for name, attempt, top in rows}


def normalized_event(
    training_job_name: str, event: MetricEventRecord, counter: dict[tuple[str, int], int] | None
) -> MetricEventRecord:
    """The event as stored; ``counter`` (see :func:`ordinal_counter`) is needed only when a
    finite value comes without its ordinal."""
    if event.training_job_name not in ("", training_job_name):
        raise StoreError(
            f"Metric event of '{event.training_job_name}' given for '{training_job_name}'."
        )
    value = finite_or_none(event.value)
    key = (event.metric_name, event.attempt)
    ordinal = None
    if value is not None:
        ordinal = event.ordinal
        if counter is not None:
            ordinal = ordinal if ordinal is not None else counter.get(key, 0) + 1
            counter[key] = max(counter.get(key, 0), ordinal)
    return MetricEventRecord(
        metric_name=event.metric_name,
        value=value,
        raw=(event.raw or "")[:RAW_LIMIT],
        timestamp=float(event.timestamp),
        ordinal=ordinal,
        attempt=event.attempt,
        training_job_name=training_job_name,
    )


def event_columns(event: MetricEventRecord) -> dict[str, Any]:
    return {
        "training_job_name": event.training_job_name,
        "metric_name": event.metric_name,
        "value": event.value,
        "raw": event.raw,
        "ordinal": event.ordinal,
        "timestamp": event.timestamp,
        "attempt": event.attempt,
    }
