"""``tunesmith plan``: how long a tuning job will take and what it would cost, before it runs.

Wall clock = waves of ``MaxParallelTrainingJobs`` x the per-trial duration (measured by a dry
run, given by the user, or bounded by ``MaxRuntimeInSeconds``). Early stopping and Hyperband
save a share of the training time that depends on the problem, so the plan shows a range:

* early stopping ``Auto`` (median rule): saves 10-35% of training time;
* Hyperband: saves 40-75%;
* neither: no saving.

Cost = instance-hours x the price per instance-hour (see :mod:`prices`), less the spot discount
when ``EnableManagedSpotTraining`` is set.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from tunesmith.domain.enums import EarlyStoppingType, Strategy
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.guardrails.checks.common import explicit_max_run, planned_jobs
from tunesmith.guardrails.prices import CLOUD_EQUIVALENT, PriceTable, is_local

#: (lowest, highest) share of training time saved, by stopping method.
SAVINGS: dict[str, tuple[float, float]] = {
    "none": (0.0, 0.0),
    "early stopping Auto": (0.10, 0.35),
    "Hyperband": (0.40, 0.75),
}


@dataclass(frozen=True)
class Plan:
    trials: int | None
    max_parallel: int
    waves: int | None
    trial_seconds: float | None
    trial_seconds_source: str  # "user", "dry run", "max_run (upper bound)" or "unknown"
    stopping: str  # a key of SAVINGS
    savings: tuple[float, float]
    wall_clock_seconds: tuple[float, float] | None  # (with the most saving, with none)
    instance_type: str
    instance_count: int
    local: bool
    machine_hours: tuple[float, float] | None  # instance-hours, (most saving, none)
    price_per_hour: float | None
    spot: bool
    spot_discount: float
    cost: tuple[float, float] | None  # USD
    cloud_equivalent: str | None
    cloud_equivalent_cost: tuple[float, float] | None
    price_source: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def make_plan(
    spec: TuningJobSpec,
    prices: PriceTable | None = None,
    trial_seconds: float | None = None,
    dry_run_seconds: float | None = None,
) -> Plan:
    """The plan for ``spec``; ``trial_seconds`` (the user's) wins over ``dry_run_seconds``."""
    prices = prices or PriceTable()
    config = spec.hyper_parameter_tuning_job_config
    definition = spec.definition
    notes: list[str] = []
    trials = planned_jobs(spec)
    parallel = config.resource_limits.max_parallel_training_jobs
    seconds, source = _trial_seconds(spec, trial_seconds, dry_run_seconds)
    if seconds is None:
        notes.append("Per-trial duration unknown: give --trial-seconds or run with --dry-run.")
    if trials is None:
        notes.append("The number of training jobs is unknown (set max_jobs).")
    stopping = _stopping(spec)
    savings = SAVINGS[stopping]
    waves = math.ceil(trials / min(parallel, trials)) if trials else None
    wall = None
    hours = None
    resources = definition.resource_config or definition.hyper_parameter_tuning_resource_config
    instance_type = (resources.instance_type if resources else None) or "local"
    count = resources.instance_count if resources else 1
    if seconds is not None and trials and waves:
        full = waves * seconds
        wall = (full * (1 - savings[1]), full)
        full_hours = trials * seconds * count / 3600
        hours = (full_hours * (1 - savings[1]), full_hours)
        limit = config.resource_limits.max_runtime_in_seconds
        if limit is not None and wall[0] > limit:
            notes.append(
                f"The tuning job's MaxRuntimeInSeconds ({limit} s) ends it before all "
                f"{trials} training jobs can run."
            )
    local = is_local(instance_type)
    spot = bool(definition.enable_managed_spot_training)
    factor = 1 - prices.spot_discount if spot else 1.0
    price = prices.price(instance_type)
    if not local and price is None:
        notes.append(f"No price for {instance_type} in the price table; add it with --prices FILE.")
    cost = _cost(hours, price, factor)
    cloud_price = prices.price(CLOUD_EQUIVALENT) if local else None
    return Plan(
        trials=trials,
        max_parallel=parallel,
        waves=waves,
        trial_seconds=seconds,
        trial_seconds_source=source,
        stopping=stopping,
        savings=savings,
        wall_clock_seconds=wall,
        instance_type=instance_type,
        instance_count=count,
        local=local,
        machine_hours=hours,
        price_per_hour=0.0 if local else price,
        spot=spot,
        spot_discount=prices.spot_discount if spot else 0.0,
        cost=(0.0, 0.0) if local and hours else cost,
        cloud_equivalent=CLOUD_EQUIVALENT if local else None,
        cloud_equivalent_cost=_cost(hours, cloud_price, factor) if local else None,
        price_source=prices.source,
        notes=notes,
    )


def _trial_seconds(
    spec: TuningJobSpec, user: float | None, dry_run: float | None
) -> tuple[float | None, str]:
    if user is not None:
        return user, "user"
    if dry_run is not None:
        return dry_run, "dry run"
    max_run = explicit_max_run(spec)
    if max_run is not None:
        return float(max_run), "max_run (upper bound)"
    return None, "unknown"


def _stopping(spec: TuningJobSpec) -> str:
    config = spec.hyper_parameter_tuning_job_config
    if config.strategy == Strategy.HYPERBAND:
        return "Hyperband"
    if config.training_job_early_stopping_type == EarlyStoppingType.AUTO:
        return "early stopping Auto"
    return "none"


def _cost(
    hours: tuple[float, float] | None, price: float | None, factor: float
) -> tuple[float, float] | None:
    if hours is None or price is None:
        return None
    return (hours[0] * price * factor, hours[1] * price * factor)
