"""The hot path's SQL on the driver stores values exactly as SQLAlchemy's own execution does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from tunesmith.errors import ResourceInUseError
from tunesmith.store import Store, TrainingJobRecord
from tunesmith.store.direct import DirectSql, StatementCache
from tunesmith.store.models import UTCDateTime
from tunesmith.store.statements import INSERT_TRAINING, TRAINING, UPDATE_TRAINING

WHEN = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


def _row(name: str, tuning: str) -> dict[str, object]:
    return {
        "name": name,
        "tuning_job_name": tuning,
        "ordinal": 1,
        "status": "InProgress",
        "secondary_status": "Starting",
        "tuned_hyperparameters_json": "{}",
        "hyperparameters_json": "{}",
        "objective_status": "Pending",
        "creation_time": WHEN,
        "last_modified_time": WHEN,
        "attempts": 1,
    }


def test_values_written_on_the_driver_match_sqlalchemys_own(store: Store) -> None:
    store.create_tuning_job("tj", {}, "Random", "loss", "Minimize")
    cache = StatementCache(store._engine.dialect)
    with store._engine.begin() as conn:
        conn.execute(INSERT_TRAINING, _row("by-sqlalchemy", "tj"))
        sql = DirectSql(conn, cache)
        sql.execute(INSERT_TRAINING, _row("by-driver", "tj"))
        later = WHEN + timedelta(seconds=90)
        assert sql.execute(UPDATE_TRAINING, {"pk": "by-driver", "end_time": later}) == 1
        conn.execute(UPDATE_TRAINING, {"pk": "by-sqlalchemy", "end_time": later})
        sql.close()
    with store._engine.connect() as conn:
        # The raw column values, as the database holds them (text on SQLite).
        raw = {
            name: (created, ended)
            for name, created, ended in conn.exec_driver_sql(
                "SELECT name, creation_time, end_time FROM training_jobs"
            )
        }
        assert raw["by-driver"] == raw["by-sqlalchemy"]
        # Comparisons in SQL (as lease expiry uses) see the same instant.
        query = select(TRAINING.c.name).where(TRAINING.c.end_time == later)
        assert sorted(conn.scalars(query)) == ["by-driver", "by-sqlalchemy"]
    for name in ("by-driver", "by-sqlalchemy"):
        record = store.get_training_job(name)
        assert (record.creation_time, record.end_time) == (WHEN, later)


def test_a_driver_error_is_sqlalchemys_error_and_names_the_statement(store: Store) -> None:
    store.create_tuning_job("tj", {}, "Random", "loss", "Minimize")
    cache = StatementCache(store._engine.dialect)
    with pytest.raises(IntegrityError, match="training_jobs"), store._engine.begin() as conn:
        sql = DirectSql(conn, cache)
        sql.execute(INSERT_TRAINING, _row("twice", "tj"))
        sql.execute(INSERT_TRAINING, _row("twice", "tj"))
    # The failed transaction left nothing behind; through the Store the same conflict is
    # the store's own error.
    record = TrainingJobRecord("twice", "tj", 1, tuned_hyperparameters={}, hyperparameters={})
    store.create_training_job(record)
    with pytest.raises(ResourceInUseError, match="already exists"):
        store.create_training_job(record)


@pytest.mark.parametrize(
    "when",
    [
        WHEN,
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),  # no microseconds: still written, as .000000
        datetime(999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),  # a year under 1000: zero-padded
        datetime(2026, 6, 1, 12, 0, 0, 5, tzinfo=timezone(timedelta(hours=-7))),  # not UTC
    ],
)
def test_sqlite_datetime_text_is_sqlalchemys_own(when: datetime) -> None:
    """UTCDateTime's one-step SQLite conversion writes and reads what SQLAlchemy's DateTime would
    (the text is compared in SQL, for lease expiry, so its form must not change)."""
    dialect = sqlite.dialect()
    kind = UTCDateTime()
    stock_bind = DateTime().dialect_impl(dialect).bind_processor(dialect)
    stock_result = DateTime().dialect_impl(dialect).result_processor(dialect, None)
    expected = stock_bind(kind.process_bind_param(when, dialect))
    written = kind.bind_processor(dialect)(when)
    assert written == expected
    read = kind.result_processor(dialect, None)(written)
    assert read == kind.process_result_value(stock_result(expected), dialect)
    assert read == when and read.tzinfo is UTC
    assert kind.bind_processor(dialect)(None) is None
    assert kind.result_processor(dialect, None)(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        kind.bind_processor(dialect)(when.replace(tzinfo=None))
