"""Grid search: every combination of the categorical values, once, in grid order.

Grid order is :meth:`SearchSpace.grid`: the Cartesian product in parameter order with the last
parameter varying fastest. Points already in the history (pending, completed or failed) are
skipped, compared by value, so a resumed or warm-started job never repeats one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tunesmith.space import Config, ParamValue, SearchSpace
from tunesmith.strategies.base import Trial


class GridSearch:
    """The ``Grid`` strategy (all-categorical spaces only; the constructor checks)."""

    def __init__(self, space: SearchSpace):
        self.space = space
        self._grid = space.grid()  # raises SpecValidationError for numeric parameters

    @property
    def size(self) -> int:
        return len(self._grid)

    def _key(self, config: Mapping[str, ParamValue]) -> tuple[str | None, ...]:
        return tuple(None if name not in config else str(config[name]) for name in self.space.names)

    def suggest(self, n: int, history: Sequence[Trial]) -> list[Config]:
        if n <= 0:
            return []
        tried = {self._key(t.config) for t in history}
        fresh: list[Config] = []
        for point in self._grid:
            if self._key(point) not in tried:
                fresh.append(dict(point))
                if len(fresh) == n:
                    break
        return fresh
