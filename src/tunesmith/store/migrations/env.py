"""Alembic environment for the tunesmith store.

The store passes its own open connection in ``config.attributes["connection"]`` (see
``tunesmith.store.engine.upgrade_to_head``). Run from the command line, the URL comes from
``sqlalchemy.url`` in ``alembic.ini`` or the ``TUNESMITH_DATABASE_URL`` environment variable.
Logging is left alone: a library never configures the root logger.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from tunesmith.store.engine import make_engine, writer
from tunesmith.store.models import Base

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = make_engine(_url())
    try:
        with writer(engine).connect() as conn:
            _configure_and_run(conn)
    finally:
        engine.dispose()


def _url() -> str:
    url = os.environ.get("TUNESMITH_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url in alembic.ini or TUNESMITH_DATABASE_URL")
    return url


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
