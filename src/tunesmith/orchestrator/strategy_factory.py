"""Which strategies and schedulers this build can run, and building them for a spec."""

from __future__ import annotations

from tunesmith.domain.enums import EarlyStoppingType, ObjectiveType
from tunesmith.domain.enums import Strategy as StrategyName
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.scheduling.base import NoStopping, Scheduler
from tunesmith.space import SearchSpace
from tunesmith.strategies.base import Strategy
from tunesmith.strategies.grid_search import GridSearch
from tunesmith.strategies.random_search import RandomSearch


def available_strategies() -> frozenset[StrategyName]:
    names = {StrategyName.RANDOM, StrategyName.GRID}
    try:
        import tunesmith.strategies.bayesian  # noqa: F401
    except ImportError:
        pass
    else:
        names.add(StrategyName.BAYESIAN)
    return frozenset(names)


def make_strategy(spec: TuningJobSpec, space: SearchSpace) -> Strategy:
    config = spec.hyper_parameter_tuning_job_config
    seed = config.random_seed
    if config.strategy == StrategyName.GRID:
        return GridSearch(space)
    if config.strategy == StrategyName.BAYESIAN:
        from tunesmith.strategies.bayesian import BayesianSearch

        maximize = spec.objective.type == ObjectiveType.MAXIMIZE
        return BayesianSearch(space, maximize=maximize, seed=seed)
    return RandomSearch(space, seed)


def make_scheduler(spec: TuningJobSpec) -> Scheduler:
    """Median rule for early stopping Auto, ASHA rungs for Hyperband, else never stop."""
    config = spec.hyper_parameter_tuning_job_config
    maximize = spec.objective.type == ObjectiveType.MAXIMIZE
    if config.strategy == StrategyName.HYPERBAND:
        from tunesmith.scheduling.hyperband import scheduler_for

        return scheduler_for(spec, maximize=maximize)
    if config.training_job_early_stopping_type == EarlyStoppingType.AUTO:
        from tunesmith.scheduling.median import MedianStoppingRule

        return MedianStoppingRule(maximize=maximize)
    return NoStopping()
