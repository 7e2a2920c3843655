"""``Strategy: Hyperband``: building the ASHA scheduler from a tuning-job spec.

``HyperParameterTuningJobConfig.StrategyConfig.HyperbandStrategyConfig`` gives ``MinResource``
(default 1) and ``MaxResource`` (default: inferred from an epochs-like static hyperparameter,
see :func:`tunesmith.domain.rules.infer_max_resource`). The reduction factor is 3 and a single
bracket is used (see :mod:`tunesmith.scheduling.asha`); brackets are drawn from
``RandomSeed`` when more are asked for.
"""

from __future__ import annotations

from tunesmith.domain.rules import infer_max_resource
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.errors import TunesmithError
from tunesmith.scheduling.asha import ETA, AshaScheduler

DEFAULT_MIN_RESOURCE = 1


def resources_for(spec: TuningJobSpec) -> tuple[int, int]:
    """``(MinResource, MaxResource)`` of a Hyperband spec, with SageMaker's defaults."""
    config = spec.hyper_parameter_tuning_job_config
    hyperband = config.strategy_config.hyperband_strategy_config if config.strategy_config else None
    min_resource = (hyperband.min_resource if hyperband else None) or DEFAULT_MIN_RESOURCE
    max_resource = hyperband.max_resource if hyperband else None
    if max_resource is None:
        max_resource = infer_max_resource(spec.definition.static_hyper_parameters)
    if max_resource is None:
        raise TunesmithError(
            "Hyperband needs StrategyConfig.HyperbandStrategyConfig.MaxResource or an "
            "epochs-like static hyperparameter (for example epochs) to infer it from"
        )
    return min_resource, max(max_resource, min_resource)


def scheduler_for(spec: TuningJobSpec, maximize: bool, brackets: int = 1) -> AshaScheduler:
    """The ASHA scheduler for a ``Strategy: Hyperband`` tuning job."""
    min_resource, max_resource = resources_for(spec)
    config = spec.hyper_parameter_tuning_job_config
    return AshaScheduler(
        maximize=maximize,
        max_resource=max_resource,
        min_resource=min_resource,
        eta=ETA,
        brackets=brackets,
        seed=config.random_seed or 0,
        metric_name=spec.objective.metric_name,
    )
