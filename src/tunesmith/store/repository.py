"""The Store: every read and write of tuning state goes through here.

One engine per Store, one short session per call, so a Store can be shared by the threads of a
process, and several processes (a controller writing, a CLI reading) can open the same SQLite
file. Callers get frozen records from ``records.py``, never ORM objects.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Engine, Select, delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tunesmith.domain.enums import (
    ObjectiveType,
    SecondaryStatus,
    Strategy,
    TrainingJobStatus,
    TuningJobStatus,
)
from tunesmith.errors import ResourceNotFoundError, StoreError, TunesmithError
from tunesmith.store import statements
from tunesmith.store._helpers import (
    affected_rows,
    assign,
    check_training_transition,
    check_tuning_transition,
    event_columns,
    find_tuning,
    finish_defaults,
    normalized_event,
    ordinal_counter,
    record_transition,
    record_transitions,
    reject_unknown,
    to_columns,
    to_enum,
    training_exists,
    training_row,
    tuning_exists,
    tuning_not_found,
    tuning_row,
)
from tunesmith.store.direct import DirectSql, StatementCache
from tunesmith.store.engine import make_engine, upgrade_to_head, writer
from tunesmith.store.models import (
    TRAINING_JSON_FIELDS,
    TUNING_JSON_FIELDS,
    DecisionRow,
    MetricEventRow,
    StatusTransitionRow,
    TrainingJobRow,
    TuningJobRow,
    decision_record,
    finite_or_none,
    metric_record,
    training_record,
    transition_record,
    tuning_record,
)
from tunesmith.store.records import (
    DecisionRecord,
    MetricEventRecord,
    StatusTransitionRecord,
    TrainingJobRecord,
    TuningJobRecord,
    tuning_job_arn,
    utcnow,
)

DB_FILENAME = "tunesmith.db"

_TUNING_UPDATABLE = frozenset(
    {
        "status",
        "failure_reason",
        "end_time",
        "best_training_job_name",
        "stop_requested",
        "completion_details",
        "fingerprints",
        "spec",
        "strategy",
        "objective_metric",
        "objective_type",
    }
)
_TRAINING_FIXED = frozenset({"name", "tuning_job_name", "ordinal", "creation_time", "arn"})
_TRAINING_UPDATABLE = frozenset(TrainingJobRecord.__dataclass_fields__) - _TRAINING_FIXED
_TUNING_SORT = {"Name": "name_lower", "Status": "status", "CreationTime": "creation_time"}


@contextmanager
def _write_errors(conflict: TunesmithError | None) -> Iterator[None]:
    """Database errors of a write as the store's own: ``conflict`` for a key violation."""
    try:
        yield
    except IntegrityError as exc:
        raise (conflict or StoreError(f"Store constraint violated: {exc.orig}")) from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"Writing to the store failed: {exc}") from exc


class _Batch:
    """The transaction of one :meth:`Store.batch` block, begun at its first write."""

    def __init__(self, engine: Engine, statements: StatementCache) -> None:
        self._engine = engine
        self._statements = statements
        self._conn: Connection | None = None
        self._transaction: Any = None
        self._sql: DirectSql | None = None

    def connection(self) -> Connection:
        if self._conn is None:
            self._conn = self._engine.connect()
            self._transaction = self._conn.begin()
        return self._conn

    def sql(self) -> DirectSql:
        """The block's plain-SQL runner: one driver cursor for all its writes."""
        if self._sql is None:
            self._sql = DirectSql(self.connection(), self._statements)
        return self._sql

    def end(self, *, failed: bool) -> None:
        if self._conn is None:
            return
        try:
            if self._sql is not None:
                self._sql.close()
            if failed:
                self._transaction.rollback()
            else:
                self._transaction.commit()
        finally:
            self._conn.close()


class Store:
    """Tuning jobs, training jobs, metric events, status transitions and decisions."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self._engine = make_engine(url)
        try:
            if migrate:
                upgrade_to_head(self._engine)
        except SQLAlchemyError as exc:
            self._engine.dispose()
            raise StoreError(f"Could not open the store at {self!r}: {exc}") from exc
        except BaseException:
            self._engine.dispose()
            raise
        self._reader = sessionmaker(self._engine, expire_on_commit=False)
        self._writer = sessionmaker(writer(self._engine), expire_on_commit=False)
        self._write_engine = writer(self._engine)
        self._statements = StatementCache(self._engine.dialect)
        self._local = threading.local()  # the open batch() connection of each thread

    @classmethod
    def for_home(cls, home: Path) -> Store:
        """The embedded SQLite store ``<home>/tunesmith.db``; the folder is created if needed."""
        home = Path(home).expanduser()
        home.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{(home / DB_FILENAME).resolve()}")

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._engine.url.render_as_string(hide_password=True)!r})"

    # --- sessions ------------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Session]:
        try:
            with self._reader() as session:
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"Reading the store failed: {exc}") from exc

    @contextmanager
    def _write(self, conflict: TunesmithError | None = None) -> Iterator[Session]:
        """One short write transaction: committed on success, rolled back on any error.

        ``conflict`` is raised instead of a unique-key violation (a concurrent insert). Inside
        :meth:`batch` the session joins the batch's transaction instead.
        """
        with _write_errors(conflict):
            batch = self._batch_connection()
            if batch is not None:
                with Session(
                    bind=batch, expire_on_commit=False, join_transaction_mode="rollback_only"
                ) as session:
                    yield session
                    session.flush()
            else:
                with self._writer.begin() as session:
                    yield session

    @contextmanager
    def _write_sql(self, conflict: TunesmithError | None = None) -> Iterator[DirectSql]:
        """Like :meth:`_write` but plain SQL on the driver (:mod:`~tunesmith.store.direct`):
        the training-job hot path (launch, start, metrics, finish) runs once or more per job
        and skips the ORM's unit of work and SQLAlchemy's per-statement execution cost."""
        batch: _Batch | None = getattr(self._local, "batch", None)
        with _write_errors(conflict):
            if batch is not None:
                yield batch.sql()
                return
            with self._write_engine.begin() as conn:
                sql = DirectSql(conn, self._statements)
                try:
                    yield sql
                finally:
                    sql.close()  # before the commit

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Make every write of this thread inside the block one transaction: all or nothing,
        one commit (none if nothing was written). The controller wraps each burst of job
        events in one. Reads inside the block do not see its writes until it ends; nested
        blocks join the outer one."""
        if getattr(self._local, "batch", None) is not None:
            yield
            return
        batch = _Batch(self._write_engine, self._statements)
        self._local.batch = batch
        try:
            yield
        except BaseException:
            self._local.batch = None
            batch.end(failed=True)
            raise
        self._local.batch = None
        with _write_errors(None):
            batch.end(failed=False)

    def _batch_connection(self) -> Connection | None:
        batch: _Batch | None = getattr(self._local, "batch", None)
        return None if batch is None else batch.connection()

    # --- tuning jobs ---------------------------------------------------------------------------

    def create_tuning_job(
        self,
        name: str,
        spec: dict[str, Any],
        strategy: Strategy | str,
        objective_metric: str,
        objective_type: ObjectiveType | str,
        now: datetime | None = None,
        *,
        arn: str | None = None,
    ) -> TuningJobRecord:
        """Insert a new InProgress tuning job; names are unique regardless of case."""
        now = now or utcnow()
        row = TuningJobRow(
            name=name,
            name_lower=name.lower(),
            arn=arn or tuning_job_arn(name),
            status=TuningJobStatus.IN_PROGRESS.value,
            creation_time=now,
            last_modified_time=now,
            stop_requested=False,
            next_ordinal=1,
            **to_columns(
                dict(
                    spec=spec,
                    strategy=strategy,
                    objective_metric=objective_metric,
                    objective_type=objective_type,
                ),
                TUNING_JSON_FIELDS,
                TuningJobStatus,
            ),
        )
        with self._write(conflict=tuning_exists(name)) as session:
            if find_tuning(session, name) is not None:
                raise tuning_exists(name)
            session.add(row)
            session.flush()
            return tuning_record(row)

    def delete_tuning_job(self, name: str) -> None:
        """Remove a tuning job with its training jobs, metric events and decisions (the
        foreign keys cascade). Raises ResourceNotFoundError when it does not exist."""
        with self._write() as session:
            row = tuning_row(session, name)
            session.execute(delete(TuningJobRow).where(TuningJobRow.name == row.name))

    def get_tuning_job(self, name: str) -> TuningJobRecord:
        with self._read() as session:
            return tuning_record(tuning_row(session, name))

    def list_tuning_jobs(
        self,
        status: TuningJobStatus | str | None = None,
        name_contains: str | None = None,
        sort_by: str = "CreationTime",
        descending: bool = True,
    ) -> list[TuningJobRecord]:
        """Tuning jobs filtered like ListHyperParameterTuningJobs (NameContains ignores case)."""
        if sort_by not in _TUNING_SORT:
            raise StoreError(f"sort_by must be one of {sorted(_TUNING_SORT)}, not {sort_by!r}.")
        key = getattr(TuningJobRow, _TUNING_SORT[sort_by])
        query = select(TuningJobRow)
        if status is not None:
            query = query.where(TuningJobRow.status == to_enum(TuningJobStatus, status).value)
        if name_contains:
            query = query.where(
                TuningJobRow.name_lower.contains(name_contains.lower(), autoescape=True)
            )
        tie = TuningJobRow.name_lower
        query = query.order_by(*((key.desc(), tie.desc()) if descending else (key, tie)))
        with self._read() as session:
            return [tuning_record(row) for row in session.scalars(query)]

    def update_tuning_job(
        self, name: str, *, now: datetime | None = None, **fields: Any
    ) -> TuningJobRecord:
        """Change fields named as in :class:`TuningJobRecord`; the status change must be legal."""
        reject_unknown(fields, _TUNING_UPDATABLE, "tuning job")
        values = to_columns(fields, TUNING_JSON_FIELDS, TuningJobStatus)
        with self._write() as session:
            row = tuning_row(session, name)
            if "status" in values:
                check_tuning_transition(row, TuningJobStatus(values["status"]))
            assign(row, values, now)
            session.flush()
            return tuning_record(row)

    def request_stop(self, name: str, *, now: datetime | None = None) -> TuningJobRecord:
        """Ask the controller to stop: sets stop_requested, and Stopping if InProgress.

        A job that already ended is returned unchanged.
        """
        with self._write() as session:
            row = tuning_row(session, name)
            status = TuningJobStatus(row.status)
            if not status.is_terminal:
                values: dict[str, Any] = {"stop_requested": True}
                if status is TuningJobStatus.IN_PROGRESS:
                    values["status"] = TuningJobStatus.STOPPING.value
                assign(row, values, now)
            session.flush()
            return tuning_record(row)

    def allocate_training_job_ordinal(self, tuning_job_name: str) -> int:
        """Reserve the next 1-based training-job number of a tuning job, atomically."""
        with self._write_sql() as sql:
            return self._take_ordinal(sql, tuning_job_name)[1]

    @staticmethod
    def _take_ordinal(sql: DirectSql, tuning_job_name: str) -> tuple[str, int]:
        """The tuning job's stored name and the ordinal just taken (one statement)."""
        taken = sql.rows(statements.BUMP_ORDINAL, {"lower": tuning_job_name.lower()})
        if not taken:
            raise tuning_not_found(tuning_job_name)
        ((parent, following),) = taken
        return parent, int(following) - 1

    # --- leases --------------------------------------------------------------------------------

    def acquire_lease(
        self, tuning_job_name: str, owner: str, ttl_seconds: float, now: datetime | None = None
    ) -> bool:
        """Take the controller lease: True if it was free, expired, or already ``owner``'s."""
        now = now or utcnow()
        free = (
            (TuningJobRow.lease_owner.is_(None))
            | (TuningJobRow.lease_owner == owner)
            | (TuningJobRow.lease_expires_at.is_(None))
            | (TuningJobRow.lease_expires_at <= now)
        )
        return self._set_lease(tuning_job_name, free, owner, now + timedelta(seconds=ttl_seconds))

    def renew_lease(
        self, tuning_job_name: str, owner: str, ttl_seconds: float, now: datetime | None = None
    ) -> bool:
        """Extend ``owner``'s lease; False if someone else holds it (or nobody)."""
        now = now or utcnow()
        held = TuningJobRow.lease_owner == owner
        return self._set_lease(tuning_job_name, held, owner, now + timedelta(seconds=ttl_seconds))

    def release_lease(self, tuning_job_name: str, owner: str) -> bool:
        """Give the lease up; False if ``owner`` did not hold it."""
        held = TuningJobRow.lease_owner == owner
        return self._set_lease(tuning_job_name, held, None, None)

    def _set_lease(
        self, tuning_job_name: str, condition: Any, owner: str | None, expires: datetime | None
    ) -> bool:
        with self._write() as session:
            tuning_row(session, tuning_job_name)  # ResourceNotFound if missing
            result = session.execute(
                update(TuningJobRow)
                .where(TuningJobRow.name_lower == tuning_job_name.lower(), condition)
                .values(lease_owner=owner, lease_expires_at=expires)
                .execution_options(synchronize_session=False)
            )
            return affected_rows(result) == 1

    # --- training jobs -------------------------------------------------------------------------

    def create_training_job(
        self, record: TrainingJobRecord, *, status_message: str | None = None
    ) -> TrainingJobRecord:
        """Insert a training job and its first SecondaryStatusTransitions entry."""
        with self._write_sql(conflict=training_exists(record.name)) as sql:
            return self._insert_training(sql, record, status_message)

    def create_next_training_job(
        self,
        tuning_job_name: str,
        make: Callable[[int], TrainingJobRecord],
        *,
        status_message: str | None = None,
    ) -> TrainingJobRecord:
        """Allocate the next ordinal and insert ``make(ordinal)`` in one transaction (the
        launch path: a crash can neither skip a number nor leave it half-used)."""
        with self._write_sql() as sql:
            parent, ordinal = self._take_ordinal(sql, tuning_job_name)
            return self._insert_training(sql, make(ordinal), status_message, parent)

    @staticmethod
    def _insert_training(
        sql: DirectSql,
        record: TrainingJobRecord,
        status_message: str | None,
        parent: str | None = None,
    ) -> TrainingJobRecord:
        """Insert the row (a taken name raises ResourceInUse) and its first transition."""
        fields = {k: getattr(record, k) for k in TrainingJobRecord.__dataclass_fields__}
        values = to_columns(fields, TRAINING_JSON_FIELDS, TrainingJobStatus)
        if parent is None:
            lower = {"lower": record.tuning_job_name.lower()}
            parent = sql.scalar(statements.TUNING_NAME, lower)
            if parent is None:
                raise tuning_not_found(record.tuning_job_name)
        values["tuning_job_name"] = parent
        try:
            sql.execute(statements.INSERT_TRAINING, values)
        except IntegrityError as exc:  # the primary key: the name is taken
            raise training_exists(record.name) from exc
        record_transition(
            sql,
            record.name,
            values["secondary_status"],
            record.creation_time,
            status_message,
            first=True,
        )
        return training_record(SimpleNamespace(**values))

    def get_training_job(self, name: str) -> TrainingJobRecord:
        with self._read() as session:
            return training_record(training_row(session, name))

    def list_training_jobs(
        self, tuning_job_name: str, status: TrainingJobStatus | str | None = None
    ) -> list[TrainingJobRecord]:
        """A tuning job's training jobs in launch order (ResourceNotFound if it does not exist)."""
        with self._read() as session:
            parent = tuning_row(session, tuning_job_name)
            query = select(TrainingJobRow).where(TrainingJobRow.tuning_job_name == parent.name)
            if status is not None:
                wanted = to_enum(TrainingJobStatus, status).value
                query = query.where(TrainingJobRow.status == wanted)
            query = query.order_by(TrainingJobRow.ordinal, TrainingJobRow.name)
            return [training_record(row) for row in session.scalars(query)]

    def update_training_job(
        self,
        name: str,
        *,
        now: datetime | None = None,
        status_message: str | None = None,
        **fields: Any,
    ) -> TrainingJobRecord:
        """Change fields named as in :class:`TrainingJobRecord`; the status change must be legal.

        A change of ``secondary_status`` closes the open SecondaryStatusTransitions entry and
        opens a new one (with ``status_message``, or a default text).
        """
        reject_unknown(fields, _TRAINING_UPDATABLE, "training job")
        values = to_columns(fields, TRAINING_JSON_FIELDS, TrainingJobStatus)
        with self._write_sql() as sql:
            row = training_row(sql, name)
            return self._apply_training(sql, row, values, now, status_message)

    def finish_training_job(
        self,
        name: str,
        status: TrainingJobStatus | str,
        *,
        now: datetime | None = None,
        status_message: str | None = None,
        passed: Sequence[tuple[SecondaryStatus | str, datetime]] = (),
        **fields: Any,
    ) -> TrainingJobRecord:
        """End a training job: status and outcome in one transaction.

        Defaults, each overridden by an explicit field: ``end_time`` = now; ``secondary_status``
        = Completed/Failed/Stopped; ``billable_seconds`` = whole seconds since ``start_time``
        (at least 1) when the job started; ``objective_status`` = Succeeded if the job has a
        final objective value, else Failed (when it was still Pending). ``passed``: secondary
        statuses the job went through since the last write, each with when it began (a job
        that started and ended between two writes passed through Training), recorded in the
        SecondaryStatusTransitions before the final one.
        """
        reject_unknown(fields, _TRAINING_UPDATABLE, "training job")
        final = to_enum(TrainingJobStatus, status)
        if not final.is_terminal:
            raise StoreError(f"finish_training_job needs a final status, not {final.value}.")
        now = now or utcnow()
        with self._write_sql() as sql:
            row = training_row(sql, name)
            fields = {**finish_defaults(row, final, fields, now), **fields, "status": final}
            values = to_columns(fields, TRAINING_JSON_FIELDS, TrainingJobStatus)
            return self._apply_training(sql, row, values, now, status_message, passed)

    @staticmethod
    def _apply_training(
        sql: DirectSql,
        row: SimpleNamespace,
        values: dict[str, Any],
        now: datetime | None,
        status_message: str | None,
        passed: Sequence[tuple[SecondaryStatus | str, datetime]] = (),
    ) -> TrainingJobRecord:
        now = now or utcnow()
        if "status" in values:
            check_training_transition(row, TrainingJobStatus(values["status"]))
        values = {**values, "last_modified_time": now}
        sql.execute(statements.UPDATE_TRAINING, {**values, "pk": row.name})
        merged = {**vars(row), **values}
        steps: list[tuple[SecondaryStatus | str, datetime, str | None]] = [
            (status, since, None) for status, since in passed
        ]
        before = SecondaryStatus(steps[-1][0]).value if steps else row.secondary_status
        if merged["secondary_status"] != before:
            steps.append((merged["secondary_status"], now, status_message))
        if steps:
            record_transitions(sql, row.name, steps)
        return training_record(SimpleNamespace(**merged))

    # --- metric events -------------------------------------------------------------------------

    def add_metric_events(
        self, training_job_name: str, events: Sequence[MetricEventRecord]
    ) -> list[MetricEventRecord]:
        """Append metric events in one transaction; returns them as stored (without ids).

        Non-finite values are stored as None with no ordinal. A finite value without an ordinal
        gets the next one for its metric and attempt, continuing from what is already stored.
        """
        if not events:
            return []
        missing = ResourceNotFoundError(f"Could not find training job '{training_job_name}'.")
        with self._write_sql(conflict=missing) as sql:  # the foreign key checks the job
            counter: dict[tuple[str, int], int] | None = None
            if any(e.ordinal is None and finite_or_none(e.value) is not None for e in events):
                counter = ordinal_counter(sql, training_job_name)
            stored = [normalized_event(training_job_name, event, counter) for event in events]
            sql.execute_many(statements.INSERT_METRIC_EVENTS, [event_columns(e) for e in stored])
            return stored

    def list_metric_events(
        self,
        training_job_name: str,
        metric_name: str | None = None,
        attempt: int | None = None,
    ) -> list[MetricEventRecord]:
        """A training job's metric events in the order they were added."""
        query = select(MetricEventRow).where(MetricEventRow.training_job_name == training_job_name)
        return self._metric_events(query, metric_name, attempt)

    def list_tuning_job_metric_events(
        self, tuning_job_name: str, metric_name: str | None = None
    ) -> list[MetricEventRecord]:
        """Metric events of every training job of a tuning job (for median-rule histories)."""
        with self._read() as session:
            parent = tuning_row(session, tuning_job_name).name
        query = (
            select(MetricEventRow)
            .join(TrainingJobRow, TrainingJobRow.name == MetricEventRow.training_job_name)
            .where(TrainingJobRow.tuning_job_name == parent)
        )
        return self._metric_events(query, metric_name, None)

    def latest_metric_values(self, training_job_name: str) -> dict[str, MetricEventRecord]:
        """The last finite value of each metric (DescribeTrainingJob's FinalMetricDataList)."""
        latest: dict[str, MetricEventRecord] = {}
        for event in self.list_metric_events(training_job_name):
            if event.value is not None:
                latest[event.metric_name] = event
        return latest

    def _metric_events(
        self, query: Select[tuple[MetricEventRow]], metric_name: str | None, attempt: int | None
    ) -> list[MetricEventRecord]:
        if metric_name is not None:
            query = query.where(MetricEventRow.metric_name == metric_name)
        if attempt is not None:
            query = query.where(MetricEventRow.attempt == attempt)
        with self._read() as session:
            rows = session.scalars(query.order_by(MetricEventRow.id))
            return [metric_record(row) for row in rows]

    # --- status transitions and decisions ------------------------------------------------------

    def add_status_transition(
        self,
        training_job_name: str,
        status: SecondaryStatus | str,
        message: str | None = None,
        *,
        now: datetime | None = None,
    ) -> StatusTransitionRecord:
        """Move a job to a new secondary status: closes the open transition, opens this one.

        Also sets the training job's ``secondary_status``. Recording the same status twice in
        a row (e.g. Starting again on a retry) still adds an entry.
        """
        new = to_enum(SecondaryStatus, status)
        now = now or utcnow()
        with self._write_sql() as sql:
            training_row(sql, training_job_name)
            sql.execute(
                statements.UPDATE_TRAINING,
                {"pk": training_job_name, "secondary_status": new.value, "last_modified_time": now},
            )
            return record_transition(sql, training_job_name, new, now, message)

    def list_status_transitions(self, training_job_name: str) -> list[StatusTransitionRecord]:
        query = (
            select(StatusTransitionRow)
            .where(StatusTransitionRow.training_job_name == training_job_name)
            .order_by(StatusTransitionRow.id)
        )
        with self._read() as session:
            return [transition_record(row) for row in session.scalars(query)]

    def add_decision(
        self,
        training_job_name: str,
        kind: str,
        reason: str,
        step: int | None = None,
        *,
        now: datetime | None = None,
    ) -> DecisionRecord:
        """Keep a scheduler decision (e.g. kind "STOP") and why it was taken."""
        record = DecisionRecord(training_job_name, kind, reason, step, now or utcnow())
        with self._write_sql() as sql:
            training_row(sql, training_job_name)
            values = {k: v for k, v in asdict(record).items() if k != "id"}
            return replace(record, id=sql.insert_returning(statements.INSERT_DECISION, values))

    def list_decisions(
        self, training_job_name: str | None = None, tuning_job_name: str | None = None
    ) -> list[DecisionRecord]:
        """Decisions about one training job, or all training jobs of a tuning job, or all."""
        query = select(DecisionRow)
        if training_job_name is not None:
            query = query.where(DecisionRow.training_job_name == training_job_name)
        with self._read() as session:
            if tuning_job_name is not None:
                parent = tuning_row(session, tuning_job_name).name
                query = query.join(
                    TrainingJobRow, TrainingJobRow.name == DecisionRow.training_job_name
                ).where(TrainingJobRow.tuning_job_name == parent)
            rows = session.scalars(query.order_by(DecisionRow.id))
            return [decision_record(row) for row in rows]
