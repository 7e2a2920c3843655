"""Random search: every configuration drawn independently, uniformly in the scaled space.

Reproducible by position: the k-th configuration of a tuning job (k counts every trial in the
history, pending or finished, plus its place in the current batch) comes from a generator
seeded with ``[seed, k]``. So the same ``RandomSeed`` gives the same sequence of configurations
however the jobs are batched, however many run in parallel and whenever they finish.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tunesmith.space import Config, SearchSpace
from tunesmith.strategies.base import Trial


class RandomSearch:
    """The ``Random`` strategy."""

    def __init__(self, space: SearchSpace, seed: int | None = None):
        self.space = space
        #: The seed in use; when none was given it is drawn from the OS once, here, so the
        #: caller can record it and resume with the same sequence.
        self.seed: int = (
            int(np.random.SeedSequence().entropy) if seed is None else int(seed)  # type: ignore[arg-type]
        )

    def config_at(self, k: int) -> Config:
        """The k-th configuration of the sequence (0-based)."""
        return self.space.sample(np.random.default_rng([self.seed, k]))

    def suggest(self, n: int, history: Sequence[Trial]) -> list[Config]:
        start = len(history)
        return [self.config_at(start + i) for i in range(max(n, 0))]
