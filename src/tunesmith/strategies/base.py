"""The strategy contract: "what to try next", from the search space and past trials only.

Strategies never touch processes, files or the store. The orchestrator rebuilds the history from
the store and asks ``suggest(n, history)``; a strategy is deterministic for a given seed and
history, so a resumed tuning job makes the same choices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from tunesmith.space import Config


class TrialState(StrEnum):
    PENDING = "pending"  # launched, still running: no result yet
    COMPLETED = "completed"  # ended with a finite final objective (completed or stopped early)
    FAILED = "failed"  # ended without a usable objective


@dataclass(frozen=True)
class Trial:
    """One training job as a strategy sees it."""

    config: Config  # typed values: int, float or str per parameter
    state: TrialState
    objective: float | None = None  # as reported, in the metric's own direction
    curve: tuple[float, ...] = ()  # finite objective values in report order (multi-fidelity)


class Strategy(Protocol):
    def suggest(self, n: int, history: Sequence[Trial]) -> list[Config]:
        """Return up to ``n`` new configurations (fewer when the space is exhausted)."""
        ...
