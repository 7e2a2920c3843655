"""The training-job hot path, run straight on the database driver.

SQLAlchemy's execution layer costs far more per statement than SQLite takes to run it (about
50 µs against 5), and every training job is created, started, fed metrics and finished through
about a dozen statements. So each hot-path Core statement is compiled by SQLAlchemy once per
dialect and set of parameter names, and its SQL then runs on the DBAPI cursor of the same pooled
connection, inside the same transaction as any ORM work around it. Values are converted by the
columns' own ``bind_processor`` / ``result_processor``, so they are stored and read back exactly
as SQLAlchemy would; driver errors are raised as SQLAlchemy's exception classes, so callers
handle one family of errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement, Select

_Processor = Callable[[Any], Any] | None


class _Compiled:
    """One statement's SQL for one dialect and parameter-name set, with its conversions."""

    __slots__ = (
        "_dialect",
        "_types",
        "columns",
        "defaults",
        "names",
        "positional",
        "processors",
        "results",
        "sql",
    )

    def __init__(self, statement: ClauseElement, dialect: Dialect, keys: Iterable[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        self.sql: str = compiled.string
        self.positional: bool = bool(compiled.positional)
        binds = compiled.binds
        names = list(compiled.positiontup or ()) if self.positional else list(binds)
        self.names: list[str] = names
        self.processors: list[_Processor] = [
            binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names
        ]
        # Values written into the statement itself (``next_ordinal + 1``) are bound too.
        self.defaults: dict[str, Any] = {n: binds[n].effective_value for n in names}
        self._dialect = dialect
        self.results: list[_Processor] | None = None  # from the first result's description
        # What a SELECT, or a statement with RETURNING, gives back.
        selected = getattr(statement, "exported_columns", ())
        self.columns: list[str] = list(selected.keys()) if selected else []
        self._types: list[Any] = [c.type.dialect_impl(dialect) for c in selected]

    def parameters(self, values: Mapping[str, Any]) -> Any:
        converted = [
            value if process is None else process(value)
            for value, process in zip(
                (values[n] if n in values else self.defaults[n] for n in self.names),
                self.processors,
                strict=True,
            )
        ]
        if self.positional:
            return tuple(converted)
        return dict(zip(self.names, converted, strict=True))

    def row(self, raw: tuple[Any, ...], description: Any) -> tuple[Any, ...]:
        if self.results is None:  # some drivers' conversions depend on the column's wire type
            self.results = [
                kind.result_processor(self._dialect, column[1])
                for kind, column in zip(self._types, description, strict=True)
            ]
        return tuple(
            value if process is None else process(value)
            for value, process in zip(raw, self.results, strict=True)
        )


class StatementCache:
    """Compiled hot-path statements of one engine, keyed by statement and parameter names.

    The statements are module-level constants (``statements.py``), so their identity is a
    stable key; a Store holds one cache for the life of its engine.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._compiled: dict[tuple[int, frozenset[str]], _Compiled] = {}

    def get(self, statement: ClauseElement, keys: Iterable[str]) -> _Compiled:
        names = frozenset(keys)
        key = (id(statement), names)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(statement, self.dialect, sorted(names))
        return compiled


class DirectSql:
    """Run cached statements on one SQLAlchemy connection's driver cursor (its transaction)."""

    def __init__(self, conn: Connection, cache: StatementCache) -> None:
        self.conn = conn
        self._cache = cache
        self._cursor: Any = None

    def _run(self, compiled: _Compiled, parameters: Any, many: bool = False) -> Any:
        if self._cursor is None:
            self._cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        dbapi = self._cache.dialect.loaded_dbapi
        try:
            if many:
                self._cursor.executemany(compiled.sql, parameters)
            else:
                self._cursor.execute(compiled.sql, parameters)
        except dbapi.Error as exc:
            raise DBAPIError.instance(
                compiled.sql, parameters, exc, dbapi.Error, dialect=self._cache.dialect
            ) from exc
        return self._cursor

    def execute(self, statement: ClauseElement, values: Mapping[str, Any]) -> int:
        """Run one statement; the number of rows it changed."""
        compiled = self._cache.get(statement, values)
        return int(self._run(compiled, compiled.parameters(values)).rowcount)

    def execute_many(self, statement: ClauseElement, rows: list[Mapping[str, Any]]) -> None:
        """Run one statement for each of ``rows`` (all with the same keys)."""
        if not rows:
            return
        compiled = self._cache.get(statement, rows[0])
        self._run(compiled, [compiled.parameters(row) for row in rows], many=True)

    def insert_returning(self, statement: ClauseElement, values: Mapping[str, Any]) -> Any:
        """Run an ``INSERT ... RETURNING`` of one column; the value it returns."""
        compiled = self._cache.get(statement, values)
        row = self._run(compiled, compiled.parameters(values)).fetchone()
        return None if row is None else row[0]

    def rows(self, statement: ClauseElement, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row a SELECT, or a statement with RETURNING, gives back."""
        compiled = self._cache.get(statement, values)
        cursor = self._run(compiled, compiled.parameters(values))
        return [compiled.row(raw, cursor.description) for raw in cursor.fetchall()]

    def first(self, statement: Select[Any], values: Mapping[str, Any]) -> SimpleNamespace | None:
        """The first row as attributes named after the selected columns, or None."""
        compiled = self._cache.get(statement, values)
        cursor = self._run(compiled, compiled.parameters(values))
        raw = cursor.fetchone()
        if raw is None:
            return None
        row = compiled.row(raw, cursor.description)
        return SimpleNamespace(**dict(zip(compiled.columns, row, strict=True)))

    def scalar(self, statement: Select[Any], values: Mapping[str, Any]) -> Any:
        found = self.rows(statement, values)
        return found[0][0] if found else None

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None
