"""Which strategies and schedulers this build can run, and building them for a spec."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tunesmith.domain.enums import EarlyStoppingType, ObjectiveType
from tunesmith.domain.enums import Strategy as StrategyName
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.scheduling.base import NoStopping, Scheduler
from tunesmith.space import Config, SearchSpace
from tunesmith.strategies.base import Strategy, Trial
from tunesmith.strategies.grid_search import GridSearch
from tunesmith.strategies.random_search import RandomSearch

if TYPE_CHECKING:
    from tunesmith.orchestrator.warm_start import WarmStartPrior


def available_strategies() -> frozenset[StrategyName]:
    names = {StrategyName.RANDOM, StrategyName.GRID, StrategyName.HYPERBAND}
    try:
        import tunesmith.strategies.bayesian  # noqa: F401
    except ImportError:
        pass
    else:
        names.add(StrategyName.BAYESIAN)
    return frozenset(names)


def make_strategy(
    spec: TuningJobSpec, space: SearchSpace, prior: WarmStartPrior | None = None
) -> Strategy:
    """The spec's strategy; with a warm start, one that also sees the parents' results."""
    config = spec.hyper_parameter_tuning_job_config
    seed = config.random_seed
    if config.strategy == StrategyName.GRID:
        return GridSearch(space)
    if config.strategy == StrategyName.HYPERBAND:
        from tunesmith.scheduling.hyperband import resources_for
        from tunesmith.strategies.hyperband_sampler import HyperbandSampler

        maximize = spec.objective.type == ObjectiveType.MAXIMIZE
        return HyperbandSampler(space, maximize, seed, *resources_for(spec))
    if config.strategy == StrategyName.BAYESIAN:
        from tunesmith.strategies.bayesian import BayesianSearch

        maximize = spec.objective.type == ObjectiveType.MAXIMIZE
        bayesian = BayesianSearch(space, maximize=maximize, seed=seed)
        return WithPriorTrials(bayesian, prior.trials) if prior and prior.trials else bayesian
    return RandomSearch(space, seed)  # random search learns nothing from the parents


class WithPriorTrials:
    """A strategy whose history starts with the parents' finished jobs (warm start)."""

    def __init__(self, strategy: Strategy, prior: list[Trial]) -> None:
        self.strategy = strategy
        self.prior = list(prior)

    def suggest(self, n: int, history: Sequence[Trial]) -> list[Config]:
        return self.strategy.suggest(n, [*self.prior, *history])


def make_scheduler(spec: TuningJobSpec) -> Scheduler:
    """Median rule for early stopping Auto, ASHA rungs for Hyperband, else never stop."""
    config = spec.hyper_parameter_tuning_job_config
    maximize = spec.objective.type == ObjectiveType.MAXIMIZE
    if config.strategy == StrategyName.HYPERBAND:
        from tunesmith.scheduling.hyperband import scheduler_for

        return scheduler_for(spec, maximize=maximize)
    if config.training_job_early_stopping_type == EarlyStoppingType.AUTO:
        from tunesmith.scheduling.median import MedianStoppingRule

        return MedianStoppingRule(maximize=maximize, metric_name=spec.objective.metric_name)
    return NoStopping()
