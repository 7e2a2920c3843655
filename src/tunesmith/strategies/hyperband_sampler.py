"""``HyperbandSampler``: where ``Strategy: Hyperband`` gets its new configurations.

As BOHB and MOBSTER do, the model is fitted on the results at one resource level: the
**highest level with enough data**. Levels are the ASHA rungs (``MinResource * 3**k``) and
``MaxResource``; a trial contributes at level ``r`` when its curve has at least ``r`` values,
with its ``r``-th value as the objective (a stopped job contributes at the rungs it reached).
"Enough" is ``min_points`` trials (default ``max(6, number of parameters + 2)``).

* With such a level, the Bayesian strategy (``strategies.bayesian.BayesianSearch``) proposes the
  configurations from those trials; running trials that have not reached the level are passed
  as pending, so it does not propose them again.
* Otherwise, or when the Bayesian strategy is not importable or fails, configurations come from
  :class:`~tunesmith.strategies.random_search.RandomSearch` (same seed, same positions).
* As in BOHB, a share ``random_fraction`` (default 1/3) of the configurations stays random
  even when a model is available, so a misleading low-fidelity model cannot starve
  exploration. Whether the k-th configuration of the tuning job is such a random one is a
  seeded draw of ``(seed, k)``.

``last_source`` says where the last batch came from, for logs and tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tunesmith.space import Config, SearchSpace
from tunesmith.strategies.base import Trial, TrialState
from tunesmith.strategies.random_search import RandomSearch

ETA = 3


def resource_levels(min_resource: int, max_resource: int, eta: int = ETA) -> list[int]:
    """Rungs ``min_resource * eta**k`` below ``max_resource``, then ``max_resource``."""
    levels = []
    level = min_resource
    while level < max_resource:
        levels.append(level)
        level *= eta
    return [*levels, max_resource]


class HyperbandSampler:
    """The Strategy of ``Strategy: Hyperband`` (the ASHA scheduler does the stopping)."""

    def __init__(
        self,
        space: SearchSpace,
        maximize: bool,
        seed: int | None = None,
        min_resource: int = 1,
        max_resource: int = 1,
        min_points: int | None = None,
        random_fraction: float = 1 / 3,
    ) -> None:
        self.space = space
        self.maximize = maximize
        self.random = RandomSearch(space, seed)
        self.seed = self.random.seed
        self.levels = resource_levels(min_resource, max(max_resource, min_resource))
        self.min_points = min_points if min_points is not None else max(6, len(space) + 2)
        self.random_fraction = random_fraction
        self.last_source = "random"
        self._bayesian: object | None = None
        self._bayesian_error: str | None = None

    def level_with_data(self, history: Sequence[Trial]) -> int | None:
        """The highest resource level reached by at least ``min_points`` trials."""
        for level in reversed(self.levels):
            if sum(1 for t in history if len(t.curve) >= level) >= self.min_points:
                return level
        return None

    def suggest(self, n: int, history: Sequence[Trial]) -> list[Config]:
        if n <= 0:
            return []
        start = len(history)
        model_slots = [k for k in range(start, start + n) if not self._random_slot(k)]
        level = self.level_with_data(history)
        model_configs: list[Config] = []
        if level is not None and model_slots:
            model_configs = self._from_model(len(model_slots), history, level)
        if level is None:
            self.last_source = "random (no rung has enough results yet)"
        out: list[Config] = []
        for k in range(start, start + n):
            if k in model_slots and model_configs:
                out.append(model_configs.pop(0))
            else:
                out.append(self.random.config_at(k))
        return out

    def _random_slot(self, k: int) -> bool:
        draw = np.random.default_rng([self.seed, k, 0xB0B]).random()
        return bool(draw < self.random_fraction)

    def _from_model(self, n: int, history: Sequence[Trial], level: int) -> list[Config]:
        model = self._model()
        if model is None:
            self.last_source = f"random (Bayesian strategy unavailable: {self._bayesian_error})"
            return []
        trials = []
        for t in history:
            if len(t.curve) >= level:
                trials.append(Trial(t.config, TrialState.COMPLETED, t.curve[level - 1], t.curve))
            elif t.state == TrialState.PENDING:
                trials.append(Trial(t.config, TrialState.PENDING, curve=t.curve))
        try:
            configs = list(model.suggest(n, trials))  # type: ignore[attr-defined]
        except Exception as exc:  # the model must never stop a tuning job: fall back
            self.last_source = f"random (Bayesian strategy failed: {type(exc).__name__}: {exc})"
            return []
        done = sum(1 for t in trials if t.state == TrialState.COMPLETED)
        self.last_source = f"bayesian on {done} results at resource {level}"
        return configs

    def _model(self) -> object | None:
        if self._bayesian is None and self._bayesian_error is None:
            try:
                from tunesmith.strategies.bayesian import BayesianSearch

                self._bayesian = BayesianSearch(self.space, maximize=self.maximize, seed=self.seed)
            except Exception as exc:  # not built yet, or broken: random keeps working
                self._bayesian_error = f"{type(exc).__name__}: {exc}"
        return self._bayesian
