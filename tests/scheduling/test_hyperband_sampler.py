"""The Hyperband sampler: random until a rung has enough results, then the model fitted there."""

from __future__ import annotations

import numpy as np

from tunesmith.domain.parse import parse_request
from tunesmith.space import SearchSpace
from tunesmith.strategies.base import Trial, TrialState
from tunesmith.strategies.hyperband_sampler import HyperbandSampler, resource_levels
from tunesmith.strategies.random_search import RandomSearch


def space() -> SearchSpace:
    spec = parse_request(
        {
            "HyperParameterTuningJobName": "s",
            "HyperParameterTuningJobConfig": {
                "Strategy": "Random",
                "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "acc"},
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 5, "MaxParallelTrainingJobs": 1},
                "ParameterRanges": {
                    "ContinuousParameterRanges": [
                        {"Name": "x", "MinValue": "0", "MaxValue": "1"},
                        {"Name": "y", "MinValue": "0", "MaxValue": "1"},
                    ]
                },
            },
            "TrainingJobDefinition": {
                "AlgorithmSpecification": {
                    "ContainerEntrypoint": ["simulated"],
                    "MetricDefinitions": [{"Name": "acc", "Regex": r"acc=(\S+)"}],
                },
                "StoppingCondition": {"MaxRuntimeInSeconds": 100},
            },
        }
    )
    return SearchSpace.from_ranges(spec.ranges)


def curve(config: dict, epochs: int) -> tuple[float, ...]:
    peak = 1 - (config["x"] - 0.7) ** 2 - (config["y"] - 0.2) ** 2
    return tuple(peak * (1 - 0.5 / e) for e in range(1, epochs + 1))


def test_levels() -> None:
    assert resource_levels(1, 27) == [1, 3, 9, 27]
    assert resource_levels(2, 2) == [2]


def test_random_until_a_rung_has_enough_results() -> None:
    sampler = HyperbandSampler(space(), maximize=True, seed=5, max_resource=27)
    reference = RandomSearch(space(), 5)
    history = [
        Trial(reference.config_at(k), TrialState.COMPLETED, 0.5, curve(reference.config_at(k), 1))
        for k in range(5)
    ]
    assert sampler.level_with_data(history) is None
    assert sampler.suggest(3, history) == [reference.config_at(k) for k in (5, 6, 7)]
    assert sampler.last_source.startswith("random")


def test_model_on_the_highest_rung_with_enough_data() -> None:
    s = space()
    sampler = HyperbandSampler(s, maximize=True, seed=5, max_resource=27)
    rng = np.random.default_rng(0)
    history = []
    for k in range(14):
        config = s.sample(rng)
        epochs = 9 if k < 7 else 1  # seven trials reached rung 9, the rest stopped at 1
        history.append(Trial(config, TrialState.COMPLETED, None, curve(config, epochs)))
    assert sampler.level_with_data(history) == 9
    first = sampler.suggest(4, history)
    assert len(first) == 4 and all(0 <= c["x"] <= 1 and 0 <= c["y"] <= 1 for c in first)
    assert "at resource 9" in sampler.last_source or "unavailable" in sampler.last_source
    again = HyperbandSampler(s, maximize=True, seed=5, max_resource=27).suggest(4, history)
    assert again == first  # reproducible from the seed and the history
