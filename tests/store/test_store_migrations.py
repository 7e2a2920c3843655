"""The schema is created by Alembic migrations shipped in the package."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from tunesmith.errors import StoreError
from tunesmith.store import Store
from tunesmith.store.engine import alembic_config, current_revision, make_engine
from tunesmith.store.models import Base


def _head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_fresh_database_is_at_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no alembic.ini here: the package's own scripts are used
    with Store.for_home(tmp_path / "home") as store:
        assert current_revision(store._engine) == _head() == "0002_fingerprints"
    with sqlite3.connect(tmp_path / "home" / "tunesmith.db") as raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "alembic_version",
        "tuning_jobs",
        "training_jobs",
        "metric_events",
        "status_transitions",
        "decisions",
    } <= tables


def test_reopening_is_a_no_op(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.for_home(tmp_path) as store:
        store.create_tuning_job("keep-me", {}, "Random", "m", "Minimize")

    def _fail(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("upgrade ran on a database already at head")

    monkeypatch.setattr(command, "upgrade", _fail)
    with Store.for_home(tmp_path) as again:
        assert current_revision(again._engine) == _head()
        assert again.get_tuning_job("keep-me").name == "keep-me"


def test_migration_matches_the_models(tmp_path: Path) -> None:
    Store.for_home(tmp_path).close()
    engine = make_engine(f"sqlite:///{tmp_path / 'tunesmith.db'}")
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    Store(url).close()
    engine = make_engine(url)
    try:
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert current_revision(engine) is None
    finally:
        engine.dispose()
    with Store(url) as store:
        assert current_revision(store._engine) == _head()


_OPENER = "import sys; from tunesmith.store import Store; Store(sys.argv[1]).close()"


def test_processes_opening_a_fresh_database_together(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    procs = [
        subprocess.Popen([sys.executable, "-c", _OPENER, url], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    engine = make_engine(url)
    try:
        assert current_revision(engine) == _head()
    finally:
        engine.dispose()


def test_unusable_urls_raise_store_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        Store("not a url")
    with pytest.raises(StoreError, match="Could not open the store"):
        Store(f"sqlite:///{tmp_path / 'missing-folder' / 'x.db'}")


def test_a_database_from_the_first_release_is_upgraded_in_place(tmp_path: Path) -> None:
    """A store written by 0001 keeps its rows and gains the 0002 column on open."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001_initial")
    engine.dispose()
    with sqlite3.connect(tmp_path / "old.db") as raw:
        raw.execute(
            "INSERT INTO tuning_jobs (name, name_lower, arn, spec_json, strategy, "
            "objective_metric, objective_type, status, creation_time, last_modified_time, "
            "stop_requested, next_ordinal) VALUES ('old', 'old', 'arn', '{}', 'Random', 'loss', "
            "'Minimize', 'Completed', '2026-01-01 00:00:00+00:00', "
            "'2026-01-01 00:00:00+00:00', 0, 1)"
        )
    with Store(url) as store:
        assert current_revision(store._engine) == _head()
        record = store.get_tuning_job("old")
        assert record.fingerprints is None
        store.update_tuning_job("old", fingerprints={"code": "abc"})
        assert store.get_tuning_job("old").fingerprints == {"code": "abc"}
