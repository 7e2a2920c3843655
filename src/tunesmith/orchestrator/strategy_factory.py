"""Which strategies and schedulers this build can run, and building them for a spec."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tunesmith.domain.enums import EarlyStoppingType, ObjectiveType, WarmStartType
from tunesmith.domain.enums import Strategy as StrategyName
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.scheduling.base import NoStopping, Scheduler
from tunesmith.space import Config, SearchSpace
from tunesmith.strategies.base import Strategy, Trial, TrialState
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
        if not prior or not prior.trials:
            return bayesian
        transfer = prior.kind == WarmStartType.TRANSFER_LEARNING
        return WithPriorTrials(
            bayesian, prior.trials, transfer_handoff(space) if transfer else None
        )
    return RandomSearch(space, seed)  # random search learns nothing from the parents


def transfer_handoff(space: SearchSpace) -> int:
    """Own results after which a TransferLearning child stops leaning on its parents: the size
    of the initial design the parents replace (one per parameter plus one, 5 to 10)."""
    return min(10, max(5, len(space.parameters) + 1))


class WithPriorTrials:
    """A strategy whose history starts with the parents' finished jobs (warm start).

    IdenticalDataAndAlgorithm (``handoff=None``): the parents' jobs stay in the history for
    good, as observations of the same function. TransferLearning (``handoff=k``): they stand
    in for the initial design and inform the model only until this job has ``k`` results of
    its own; from then on its own data alone drives the model, so a shifted task cannot be
    held back by the parents' optimum.
    """

    def __init__(self, strategy: Strategy, prior: list[Trial], handoff: int | None = None):
        self.strategy = strategy
        self.prior = list(prior)
        self.handoff = handoff

    def suggest(self, n: int, history: Sequence[Trial]) -> list[Config]:
        own = sum(t.state == TrialState.COMPLETED for t in history)
        if self.handoff is not None and own >= self.handoff:
            return self.strategy.suggest(n, history)
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
