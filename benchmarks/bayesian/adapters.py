"""Ask/tell adapters: one per optimiser, all driven by the same loop.

``ask(n)`` returns ``n`` configurations (typed values of the problem's ``SearchSpace``) that are
evaluated together, so with ``n > 1`` every optimiser must account for the other running jobs
in its own way: ours with its pending-job fantasies, Optuna with running trials (TPE's constant
liar; GPSampler conditions on running trials), scikit-optimize with a constant liar, SMAC with
its own bookkeeping of running trials. Peers get the same scaling information we use:
log ranges as log ranges, reverse-log ranges on their scaled unit axis.
"""

from __future__ import annotations

import math
import tempfile
from typing import Any

import numpy as np

from tunesmith.domain.enums import ScalingType
from tunesmith.space import (
    CategoricalParameter,
    Config,
    ContinuousParameter,
    IntegerParameter,
    SearchSpace,
)
from tunesmith.strategies.base import Trial, TrialState
from tunesmith.strategies.bayesian import BayesianSearch

LOG = ScalingType.LOGARITHMIC


class Adapter:
    def __init__(self, space: SearchSpace, seed: int) -> None:
        self.space = space
        self.seed = seed

    def ask(self, n: int) -> list[Config]:
        raise NotImplementedError

    def tell(self, configs: list[Config], values: list[float]) -> None:
        raise NotImplementedError


class Ours(Adapter):
    """tunesmith's BayesianSearch through its Strategy interface."""

    def __init__(self, space: SearchSpace, seed: int, **options: Any) -> None:
        super().__init__(space, seed)
        self.strategy = BayesianSearch(space, maximize=False, seed=seed, **options)
        self.history: list[Trial] = []

    def ask(self, n: int) -> list[Config]:
        return self.strategy.suggest(n, self.history)

    def tell(self, configs: list[Config], values: list[float]) -> None:
        self.history += [
            Trial(c, TrialState.COMPLETED, v) for c, v in zip(configs, values, strict=False)
        ]


class RandomSearch(Adapter):
    """Plain random search (each value uniform in its scaled space)."""

    def __init__(self, space: SearchSpace, seed: int) -> None:
        super().__init__(space, seed)
        self.rng = np.random.default_rng(seed)

    def ask(self, n: int) -> list[Config]:
        return [self.space.sample(self.rng) for _ in range(n)]

    def tell(self, configs: list[Config], values: list[float]) -> None:
        pass


class TunesmithRandom(Adapter):
    """tunesmith's own Random strategy (if present), else the same plain random search."""

    def __init__(self, space: SearchSpace, seed: int) -> None:
        super().__init__(space, seed)
        try:
            from tunesmith.strategies.random_search import RandomSearch as TSRandom

            self.strategy: Any = TSRandom(space, seed=seed)
        except Exception:
            self.strategy = None
            self.rng = np.random.default_rng(seed)
        self.history: list[Trial] = []

    def ask(self, n: int) -> list[Config]:
        if self.strategy is None:
            return [self.space.sample(self.rng) for _ in range(n)]
        return list(self.strategy.suggest(n, self.history))

    def tell(self, configs: list[Config], values: list[float]) -> None:
        self.history += [
            Trial(c, TrialState.COMPLETED, v) for c, v in zip(configs, values, strict=False)
        ]


def _reverse(p: ContinuousParameter) -> bool:
    return p.scaling is ScalingType.REVERSE_LOGARITHMIC


class _OptunaBase(Adapter):
    def __init__(self, space: SearchSpace, seed: int) -> None:
        super().__init__(space, seed)
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        self.optuna = optuna
        self.study = optuna.create_study(direction="minimize", sampler=self.sampler())
        d = optuna.distributions
        self.dists: dict[str, Any] = {}
        for p in space.parameters:
            if isinstance(p, CategoricalParameter):
                self.dists[p.name] = d.CategoricalDistribution(list(p.values))
            elif isinstance(p, IntegerParameter):
                self.dists[p.name] = d.IntDistribution(p.low, p.high, log=p.scaling is LOG)
            elif _reverse(p):
                self.dists[p.name] = d.FloatDistribution(0.0, 1.0)
            else:
                self.dists[p.name] = d.FloatDistribution(p.low, p.high, log=p.scaling is LOG)
        self.running: dict[int, Any] = {}

    def sampler(self) -> Any:
        raise NotImplementedError

    def _config(self, params: dict[str, Any]) -> Config:
        out: Config = {}
        for p in self.space.parameters:
            v = params[p.name]
            out[p.name] = (
                p.from_unit(v) if isinstance(p, ContinuousParameter) and _reverse(p) else v
            )
        return out

    def ask(self, n: int) -> list[Config]:
        configs = []
        for _ in range(n):
            trial = self.study.ask(self.dists)
            c = self._config(trial.params)
            self.running[id(c)] = trial
            configs.append(c)
        return configs

    def tell(self, configs: list[Config], values: list[float]) -> None:
        for c, v in zip(configs, values, strict=False):
            self.study.tell(self.running.pop(id(c)), v)


class OptunaTPE(_OptunaBase):
    def sampler(self) -> Any:
        return self.optuna.samplers.TPESampler(
            seed=self.seed, multivariate=True, constant_liar=True
        )


class OptunaGP(_OptunaBase):
    def sampler(self) -> Any:
        return self.optuna.samplers.GPSampler(seed=self.seed)


class SkoptGP(Adapter):
    """scikit-optimize's GP with EI; batches by its constant liar (``cl_min``)."""

    def __init__(self, space: SearchSpace, seed: int) -> None:
        super().__init__(space, seed)
        from skopt import Optimizer
        from skopt.space import Categorical, Integer, Real

        dims: list[Any] = []
        for p in space.parameters:
            if isinstance(p, CategoricalParameter):
                dims.append(Categorical(list(p.values), name=p.name))
            elif isinstance(p, IntegerParameter):
                prior = "log-uniform" if p.scaling is LOG else "uniform"
                dims.append(Integer(p.low, p.high, prior=prior, name=p.name))
            elif _reverse(p):
                dims.append(Real(0.0, 1.0, name=p.name))
            else:
                prior = "log-uniform" if p.scaling is LOG else "uniform"
                dims.append(Real(p.low, p.high, prior=prior, name=p.name))
        self.opt = Optimizer(
            dims,
            base_estimator="GP",
            acq_func="EI",
            random_state=seed,
            n_initial_points=10,
            acq_optimizer="lbfgs",
        )

    def _config(self, row: list[Any]) -> Config:
        out: Config = {}
        for p, v in zip(self.space.parameters, row, strict=False):
            if isinstance(p, ContinuousParameter):
                out[p.name] = p.from_unit(float(v)) if _reverse(p) else float(v)
            elif isinstance(p, IntegerParameter):
                out[p.name] = int(v)
            else:
                out[p.name] = str(v)
        return out

    def _row(self, c: Config) -> list[Any]:
        return [
            p.to_unit(c[p.name])
            if isinstance(p, ContinuousParameter) and _reverse(p)
            else c[p.name]
            for p in self.space.parameters
        ]

    def ask(self, n: int) -> list[Config]:
        rows = [self.opt.ask()] if n == 1 else self.opt.ask(n_points=n, strategy="cl_min")
        return [self._config(r) for r in rows]

    def tell(self, configs: list[Config], values: list[float]) -> None:
        self.opt.tell([self._row(c) for c in configs], [float(v) for v in values])


class SMAC(Adapter):
    """SMAC3's hyperparameter-optimisation facade (random-forest surrogate)."""

    def __init__(self, space: SearchSpace, seed: int, budget: int = 50) -> None:
        super().__init__(space, seed)
        from ConfigSpace import Categorical, ConfigurationSpace, Float, Integer
        from smac import HyperparameterOptimizationFacade as HPO
        from smac import Scenario

        cs = ConfigurationSpace(seed=seed)
        for p in space.parameters:
            if isinstance(p, CategoricalParameter):
                cs.add(Categorical(p.name, list(p.values)))
            elif isinstance(p, IntegerParameter):
                cs.add(Integer(p.name, (p.low, p.high), log=p.scaling is LOG))
            elif _reverse(p):
                cs.add(Float(p.name, (0.0, 1.0)))
            else:
                cs.add(Float(p.name, (p.low, p.high), log=p.scaling is LOG))
        self._tmp = tempfile.TemporaryDirectory()
        scenario = Scenario(
            cs, deterministic=True, n_trials=budget, seed=seed, output_directory=self._tmp.name
        )
        self.smac = HPO(
            scenario, target_function=lambda config, seed=0: 0.0, logging_level=40, overwrite=True
        )
        self.running: dict[int, Any] = {}

    def ask(self, n: int) -> list[Config]:
        out = []
        for _ in range(n):
            info = self.smac.ask()
            raw = dict(info.config)
            c: Config = {}
            for p in self.space.parameters:
                v = raw[p.name]
                if isinstance(p, ContinuousParameter):
                    c[p.name] = p.from_unit(float(v)) if _reverse(p) else float(v)
                elif isinstance(p, IntegerParameter):
                    c[p.name] = int(v)
                else:
                    c[p.name] = str(v)
            self.running[id(c)] = info
            out.append(c)
        return out

    def tell(self, configs: list[Config], values: list[float]) -> None:
        from smac.runhistory.dataclasses import TrialValue

        for c, v in zip(configs, values, strict=False):
            cost = float(v) if math.isfinite(v) else 1e12
            self.smac.tell(self.running.pop(id(c)), TrialValue(cost=cost))


ADAPTERS: dict[str, Any] = {
    "tunesmith-bayesian": Ours,
    "tunesmith-random": TunesmithRandom,
    "optuna-tpe": OptunaTPE,
    "optuna-gp": OptunaGP,
    "skopt-gp": SkoptGP,
    "smac3-hpo": SMAC,
    "random": RandomSearch,
}
