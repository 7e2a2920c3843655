"""SQLAlchemy 2.0 typed tables: the single source of truth for tuning state.

Only portable types are used so that the same models run on SQLite and PostgreSQL. JSON is kept
as text (``json.dumps``) and times as UTC datetimes through :class:`UTCDateTime`. Callers never
see these classes; the repository turns rows into the frozen records of ``records.py``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tunesmith.domain.enums import (
    FailureKind,
    ObjectiveStatus,
    ObjectiveType,
    SecondaryStatus,
    Strategy,
    TrainingJobStatus,
    TuningJobStatus,
)
from tunesmith.store.records import (
    DecisionRecord,
    MetricEventRecord,
    StatusTransitionRecord,
    TrainingJobRecord,
    TuningJobRecord,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite has no time zones: values are stored as naive UTC text, which keeps them comparable
    in SQL (lease expiry). PostgreSQL stores ``timestamptz``. Either way callers get aware UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = _as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _read_as_utc(value)

    # On SQLite each value went through this type's conversion, then SQLAlchemy's DATETIME
    # text format (a dict and ``%`` formatting in Python): a dozen times a training job, more
    # than SQLite takes to run the statements. One step each way instead, to the same text
    # (``YYYY-MM-DD HH:MM:SS.ffffff``, what SQLAlchemy writes; checked in the store's tests).
    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _utc_to_sqlite_text

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return _sqlite_text_to_utc


def _as_utc(value: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is refused (its zone would be a guess)."""
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} given; pass a timezone-aware datetime")
    return value.astimezone(UTC)


def _read_as_utc(value: datetime) -> datetime:
    """A stored datetime in UTC (SQLite's are naive UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_to_sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    return _as_utc(value).isoformat(" ", "microseconds")[:-6]  # without its "+00:00"


def _sqlite_text_to_utc(value: str | datetime | None) -> datetime | None:
    if value is None:
        return None
    return _read_as_utc(value if isinstance(value, datetime) else datetime.fromisoformat(value))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}  # noqa: RUF012


class TuningJobRow(Base):
    __tablename__ = "tuning_jobs"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    name_lower: Mapped[str] = mapped_column(String(63), unique=True)
    arn: Mapped[str] = mapped_column(String(256))
    spec_json: Mapped[str] = mapped_column(Text)
    strategy: Mapped[str] = mapped_column(String(32))
    objective_metric: Mapped[str] = mapped_column(String(255))
    objective_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    creation_time: Mapped[datetime]
    end_time: Mapped[datetime | None]
    last_modified_time: Mapped[datetime]
    best_training_job_name: Mapped[str | None] = mapped_column(String(128))
    stop_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    completion_details_json: Mapped[str | None] = mapped_column(Text)
    fingerprints_json: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[datetime | None]
    next_ordinal: Mapped[int] = mapped_column(Integer, default=1)


class TrainingJobRow(Base):
    __tablename__ = "training_jobs"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    tuning_job_name: Mapped[str] = mapped_column(
        String(63), ForeignKey("tuning_jobs.name", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    secondary_status: Mapped[str] = mapped_column(String(32))
    tuned_hyperparameters_json: Mapped[str] = mapped_column(Text)
    hyperparameters_json: Mapped[str] = mapped_column(Text)
    final_objective_value: Mapped[float | None] = mapped_column(Float)
    objective_status: Mapped[str] = mapped_column(String(16))
    objective_note: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(String(1024))
    failure_kind: Mapped[str | None] = mapped_column(String(32))
    stop_reason: Mapped[str | None] = mapped_column(Text)
    creation_time: Mapped[datetime]
    start_time: Mapped[datetime | None]
    end_time: Mapped[datetime | None]
    last_modified_time: Mapped[datetime]
    billable_seconds: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    job_dir: Mapped[str | None] = mapped_column(Text)
    log_path: Mapped[str | None] = mapped_column(Text)
    model_artifact_path: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)
    exit_code: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_training_jobs_tuning_ordinal", "tuning_job_name", "ordinal"),)


class MetricEventRow(Base):
    __tablename__ = "metric_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    training_job_name: Mapped[str] = mapped_column(
        String(128), ForeignKey("training_jobs.name", ondelete="CASCADE"), index=True
    )
    metric_name: Mapped[str] = mapped_column(String(255))
    value: Mapped[float | None] = mapped_column(Float)
    raw: Mapped[str] = mapped_column(String(256))
    ordinal: Mapped[int | None] = mapped_column(Integer)
    timestamp: Mapped[float] = mapped_column(Float)
    attempt: Mapped[int] = mapped_column(Integer, default=1)


class StatusTransitionRow(Base):
    __tablename__ = "status_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    training_job_name: Mapped[str] = mapped_column(
        String(128), ForeignKey("training_jobs.name", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(32))
    start_time: Mapped[datetime]
    end_time: Mapped[datetime | None]
    message: Mapped[str] = mapped_column(Text, default="")


class DecisionRow(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    training_job_name: Mapped[str] = mapped_column(
        String(128), ForeignKey("training_jobs.name", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]


# --- rows <-> records -------------------------------------------------------------------------

#: Record fields kept as JSON text, and the column that holds each.
TUNING_JSON_FIELDS = {
    "spec": "spec_json",
    "completion_details": "completion_details_json",
    "fingerprints": "fingerprints_json",
}
TRAINING_JSON_FIELDS = {
    "tuned_hyperparameters": "tuned_hyperparameters_json",
    "hyperparameters": "hyperparameters_json",
}
#: Enum-typed record fields, used to validate values on the way in.
_ENUM_FIELDS: dict[str, type] = {
    "strategy": Strategy,
    "objective_type": ObjectiveType,
    "secondary_status": SecondaryStatus,
    "objective_status": ObjectiveStatus,
    "failure_kind": FailureKind,
}
FAILURE_REASON_LIMIT = 1024
RAW_LIMIT = 256


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


def _enum_or_none(enum: type, value: str | None) -> Any:
    return None if value is None else enum(value)


def column_values(
    fields: Mapping[str, Any], json_fields: Mapping[str, str], status_enum: type
) -> dict[str, Any]:
    """Turn record-style fields into column values: JSON encoded, enums checked and unwrapped.

    Raises ValueError on a value that is not one of the enum's members.
    """
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in json_fields:
            out[json_fields[key]] = _dumps(value)
            continue
        if key == "status" and value is None:
            raise ValueError("status cannot be None")
        enum = status_enum if key == "status" else _ENUM_FIELDS.get(key)
        if enum is not None and value is not None:
            value = enum(value).value
        if key == "failure_reason" and value is not None:
            value = str(value)[:FAILURE_REASON_LIMIT]
        out[key] = value
    return out


def tuning_record(row: TuningJobRow) -> TuningJobRecord:
    return TuningJobRecord(
        name=row.name,
        arn=row.arn,
        spec=_loads(row.spec_json),
        strategy=Strategy(row.strategy),
        objective_metric=row.objective_metric,
        objective_type=ObjectiveType(row.objective_type),
        status=TuningJobStatus(row.status),
        creation_time=row.creation_time,
        last_modified_time=row.last_modified_time,
        failure_reason=row.failure_reason,
        end_time=row.end_time,
        best_training_job_name=row.best_training_job_name,
        stop_requested=bool(row.stop_requested),
        completion_details=_loads(row.completion_details_json),
        fingerprints=_loads(row.fingerprints_json),
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        next_ordinal=row.next_ordinal,
    )


def training_record(row: TrainingJobRow) -> TrainingJobRecord:
    return TrainingJobRecord(
        name=row.name,
        tuning_job_name=row.tuning_job_name,
        ordinal=row.ordinal,
        tuned_hyperparameters=_loads(row.tuned_hyperparameters_json),
        hyperparameters=_loads(row.hyperparameters_json),
        status=TrainingJobStatus(row.status),
        secondary_status=SecondaryStatus(row.secondary_status),
        final_objective_value=row.final_objective_value,
        objective_status=ObjectiveStatus(row.objective_status),
        objective_note=row.objective_note,
        failure_reason=row.failure_reason,
        failure_kind=_enum_or_none(FailureKind, row.failure_kind),
        stop_reason=row.stop_reason,
        creation_time=row.creation_time,
        start_time=row.start_time,
        end_time=row.end_time,
        last_modified_time=row.last_modified_time,
        billable_seconds=row.billable_seconds,
        attempts=row.attempts,
        job_dir=row.job_dir,
        log_path=row.log_path,
        model_artifact_path=row.model_artifact_path,
        pid=row.pid,
        exit_code=row.exit_code,
    )


def metric_record(row: MetricEventRow) -> MetricEventRecord:
    return MetricEventRecord(
        metric_name=row.metric_name,
        value=row.value,
        raw=row.raw,
        timestamp=row.timestamp,
        ordinal=row.ordinal,
        attempt=row.attempt,
        training_job_name=row.training_job_name,
        id=row.id,
    )


def finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def transition_record(row: StatusTransitionRow) -> StatusTransitionRecord:
    return StatusTransitionRecord(
        training_job_name=row.training_job_name,
        status=SecondaryStatus(row.status),
        start_time=row.start_time,
        end_time=row.end_time,
        message=row.message,
        id=row.id,
    )


def decision_record(row: DecisionRow) -> DecisionRecord:
    return DecisionRecord(
        training_job_name=row.training_job_name,
        kind=row.kind,
        reason=row.reason,
        step=row.step,
        created_at=row.created_at,
        id=row.id,
    )
