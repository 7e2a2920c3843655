"""Random search: every configuration drawn independently, uniformly in the scaled space.

Reproducible by position: the k-th configuration of a tuning job (k counts every trial in the
history, pending or finished, plus its place in the current batch) comes from a stream of
uniform draws that depends only on ``(seed, k)``. So the same ``RandomSeed`` gives the same
sequence of configurations however the jobs are batched, however many run in parallel and
whenever they finish.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tunesmith.space import Config, SearchSpace
from tunesmith.strategies.base import Trial

_MASK64 = (1 << 64) - 1
_GOLDEN_GAMMA = 0x9E3779B97F4A7C15
_UNIT = 1.0 / (1 << 53)


def _mix64(z: int) -> int:
    """SplitMix64's output function (Steele, Lea and Flood, 2014): a bijective 64-bit hash."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


class PositionStream:
    """The uniform draws of one position of the sequence: SplitMix64 from a state hashed from
    the seed (all of its bits) and the position.

    It replaced a numpy generator seeded with ``[seed, k]``, whose set-up (a SeedSequence, a
    PCG64 and a Generator for every configuration) was the largest single cost of suggesting a
    random configuration, several times the draws themselves, on the path from one training
    job's end to the next one's start. SplitMix64 passes BigCrush; a configuration takes a
    handful of draws.
    """

    __slots__ = ("_state",)

    def __init__(self, seed: int, position: int):
        state = _mix64((position + _GOLDEN_GAMMA) & _MASK64)
        seed = abs(int(seed))
        while True:  # every 64-bit word of the seed counts (drawn seeds have 128 bits)
            state = _mix64(((state ^ (seed & _MASK64)) + _GOLDEN_GAMMA) & _MASK64)
            seed >>= 64
            if not seed:
                break
        self._state = state

    def random(self) -> float:
        """The next draw, uniform in [0, 1) on a grid of 2**-53."""
        self._state = (self._state + _GOLDEN_GAMMA) & _MASK64
        return (_mix64(self._state) >> 11) * _UNIT


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
        return self.space.sample(PositionStream(self.seed, k))

    def suggest(self, n: int, history: Sequence[Trial]) -> list[Config]:
        start = len(history)
        return [self.config_at(start + i) for i in range(max(n, 0))]
