"""Engine creation and schema migration.

SQLite is tuned for one writer process plus readers in other processes: WAL journal, a busy
timeout, foreign keys and ``synchronous=NORMAL`` on every connection. SQLite write transactions
start with ``BEGIN IMMEDIATE`` (engines made by :func:`writer`) so that a read that turns into a
write never fails with "database is locked"; readers use a plain deferred ``BEGIN`` and never
block the writer.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import StaticPool

from tunesmith.errors import OptionalDependencyError, StoreError

BUSY_TIMEOUT_MS = 30_000
#: Pages the write-ahead log may hold before a commit copies them into the database. SQLite's
#: default, 1000, makes every ninetieth job's commit a checkpoint of 4-8 ms (two fsyncs) on the
#: controller's path from one job's end to the next one's start; 10,000 (a WAL of up to 40 MB)
#: makes them ten times rarer, and each cheaper per job (a page written by many commits is
#: copied once).
WAL_AUTOCHECKPOINT_PAGES = 10_000
_WRITE_OPTION = "tunesmith_write"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK_KEY = 0x7475_6E65  # any fixed 64-bit number, shared by every tunesmith process


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the one engine a :class:`~tunesmith.store.Store` uses for all its threads."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"'{url}' is not a database URL: {exc}") from exc
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        try:
            return create_engine(url, **kwargs)
        except ModuleNotFoundError as exc:
            if parsed.get_backend_name() == "postgresql":
                raise OptionalDependencyError("psycopg", "postgres", "A PostgreSQL store") from exc
            raise
    connect_args = dict(kwargs.pop("connect_args", {}))
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", BUSY_TIMEOUT_MS / 1000)
    if parsed.database in (None, "", ":memory:"):
        # An in-memory database exists per connection: share one so every session sees it.
        kwargs.setdefault("poolclass", StaticPool)
    else:
        # The most recently returned connection first: its SQLite page cache is the warm one
        # (a connection that sat idle while another wrote must read the changed pages again).
        kwargs.setdefault("pool_use_lifo", True)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    _install_sqlite_events(engine)
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine (and pool) whose transactions take the write lock up front on SQLite."""
    return engine.execution_options(**{_WRITE_OPTION: True})


def _enable_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode = WAL``, waiting while another process switches a brand-new
    database (SQLite answers "database is locked" at once there, without its busy handler)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _install_sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own is unreliable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _enable_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        statement = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        # On the driver: SQLAlchemy's execution path costs more than the statement.
        try:
            conn.connection.dbapi_connection.execute(statement)  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            raise DBAPIError.instance(statement, (), exc, sqlite3.Error) from exc


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the newest migration; a no-op (and no write lock) when it already is.

    Runs the package's own Alembic scripts, so no ``alembic.ini`` is needed in the working
    directory. The upgrade runs in one write transaction (plus an advisory lock on PostgreSQL),
    so two processes opening a fresh database at the same time do not both create the tables.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = alembic_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current == heads:
        return
    with writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            # Serialize concurrent first opens; Alembic re-reads the version under the lock.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def alembic_config() -> Any:
    """An Alembic config pointing at the migrations shipped inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``alembic current``), or None if never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
