"""The ``store`` fixture: a fresh SQLite file, and PostgreSQL too when a test server is given.

Set ``TUNESMITH_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
to run every test that uses ``store`` against that database as well; its tables are dropped
after each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tunesmith.store import Store
from tunesmith.store.models import Base

POSTGRES_URL = os.environ.get("TUNESMITH_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s = Store.for_home(tmp_path / "home")
        yield s
        s.close()
        return
    assert POSTGRES_URL is not None
    s = Store(POSTGRES_URL)
    try:
        yield s
    finally:
        with s._engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        s.close()
