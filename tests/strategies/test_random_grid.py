"""Random and Grid strategies: reproducibility, batching independence, grid skipping."""

from __future__ import annotations

import numpy as np
import pytest

from tunesmith.domain.spec import ParameterRanges
from tunesmith.errors import SpecValidationError
from tunesmith.space import Config, SearchSpace
from tunesmith.strategies.base import Strategy, Trial, TrialState
from tunesmith.strategies.grid_search import GridSearch
from tunesmith.strategies.random_search import PositionStream, RandomSearch


@pytest.fixture
def space() -> SearchSpace:
    return SearchSpace.from_ranges(
        ParameterRanges.model_validate(
            {
                "IntegerParameterRanges": [{"Name": "n", "MinValue": "1", "MaxValue": "100"}],
                "ContinuousParameterRanges": [
                    {"Name": "lr", "MinValue": "1e-5", "MaxValue": "1e-1"}
                ],
                "CategoricalParameterRanges": [{"Name": "opt", "Values": ["sgd", "adam"]}],
            }
        )
    )


@pytest.fixture
def grid_space() -> SearchSpace:
    return SearchSpace.from_ranges(
        ParameterRanges.model_validate(
            {
                "CategoricalParameterRanges": [
                    {"Name": "a", "Values": ["1", "2"]},
                    {"Name": "b", "Values": ["x", "y", "z"]},
                ]
            }
        )
    )


def _pending(configs: list[Config]) -> list[Trial]:
    return [Trial(config=c, state=TrialState.PENDING) for c in configs]


# ---------------------------------------------------------------- random
def test_random_satisfies_the_protocol(space: SearchSpace) -> None:
    strategy: Strategy = RandomSearch(space, seed=1)
    configs = strategy.suggest(3, [])
    assert len(configs) == 3
    assert all(set(c) == set(space.names) for c in configs)


def test_random_same_seed_same_configs(space: SearchSpace) -> None:
    a = RandomSearch(space, seed=42).suggest(10, [])
    b = RandomSearch(space, seed=42).suggest(10, [])
    c = RandomSearch(space, seed=43).suggest(10, [])
    assert a == b
    assert a != c
    assert len({tuple(cfg.values()) for cfg in a}) == 10


def test_random_independent_of_batching(space: SearchSpace) -> None:
    whole = RandomSearch(space, seed=7).suggest(8, [])
    strategy = RandomSearch(space, seed=7)
    first = strategy.suggest(4, [])
    second = strategy.suggest(4, _pending(first))
    assert first + second == whole
    # One at a time, with finished and failed trials in the history, gives the same sequence.
    one_by_one: list[Config] = []
    history: list[Trial] = []
    for k in range(8):
        (config,) = RandomSearch(space, seed=7).suggest(1, history)
        one_by_one.append(config)
        state = TrialState.FAILED if k % 3 == 0 else TrialState.COMPLETED
        history.append(Trial(config=config, state=state, objective=float(k)))
    assert one_by_one == whole


def test_random_depends_only_on_position_not_on_history_content(space: SearchSpace) -> None:
    strategy = RandomSearch(space, seed=3)
    fake = _pending([{"n": 1, "lr": 0.01, "opt": "sgd"}] * 5)
    assert strategy.suggest(2, fake) == RandomSearch(space, seed=3).suggest(7, [])[5:]


def test_random_without_seed_draws_one_and_keeps_it(space: SearchSpace) -> None:
    strategy = RandomSearch(space, seed=None)
    assert isinstance(strategy.seed, int)
    assert strategy.suggest(5, []) == strategy.suggest(5, [])
    assert RandomSearch(space, seed=strategy.seed).suggest(5, []) == strategy.suggest(5, [])
    assert RandomSearch(space, seed=None).seed != strategy.seed


def test_random_marginals_respect_scaling(space: SearchSpace) -> None:
    configs = RandomSearch(space, seed=0).suggest(4000, [])
    lr = np.array([c["lr"] for c in configs])
    assert abs((lr < 1e-3).mean() - 0.5) < 0.04  # log scale: half the draws below the midpoint
    opts = [c["opt"] for c in configs]
    assert abs(opts.count("adam") / len(opts) - 0.5) < 0.04
    assert RandomSearch(space, seed=0).suggest(0, []) == []


# ---------------------------------------------------------------- grid
def test_grid_in_order_then_exhausts(grid_space: SearchSpace) -> None:
    strategy = GridSearch(grid_space)
    assert strategy.size == 6
    history: list[Trial] = []
    seen: list[Config] = []
    for batch in (4, 4, 4):
        configs = strategy.suggest(batch, history)
        seen += configs
        history += _pending(configs)
    assert seen == grid_space.grid()
    assert strategy.suggest(3, history) == []


def test_grid_skips_points_already_tried(grid_space: SearchSpace) -> None:
    strategy = GridSearch(grid_space)
    history = [
        Trial(config={"a": "1", "b": "y"}, state=TrialState.COMPLETED, objective=0.3),
        Trial(config={"a": "2", "b": "x"}, state=TrialState.FAILED),
        Trial(config={"a": "1", "b": "x"}, state=TrialState.PENDING),
    ]
    assert strategy.suggest(10, history) == [
        {"a": "1", "b": "z"},
        {"a": "2", "b": "y"},
        {"a": "2", "b": "z"},
    ]
    assert strategy.suggest(1, history) == [{"a": "1", "b": "z"}]


def test_grid_ignores_unrelated_history(grid_space: SearchSpace) -> None:
    strategy = GridSearch(grid_space)
    history = _pending([{"a": "1"}, {"a": "9", "b": "x"}, {"other": "v"}])
    assert strategy.suggest(6, history) == grid_space.grid()


def test_grid_rejects_numeric_parameters(space: SearchSpace) -> None:
    with pytest.raises(SpecValidationError, match="Categorical"):
        GridSearch(space)


def test_position_stream_is_fixed_by_seed_and_position() -> None:
    def draws(seed: int, position: int) -> list[float]:
        stream = PositionStream(seed, position)
        return [stream.random() for _ in range(5)]

    assert draws(7, 3) == draws(7, 3)
    assert draws(7, 3) != draws(7, 4)
    assert draws(7, 3) != draws(8, 3)
    big = 2**100 + 7  # drawn seeds have 128 bits: the high ones count too
    assert draws(big, 3) != draws(7, 3)
    assert all(0.0 <= x < 1.0 for x in draws(big, 3))


def test_position_stream_draws_are_uniform() -> None:
    """First draws of 20,000 positions (what a one-parameter space uses): 20 equal bins,
    chi-square against its 99.9% quantile (43.8 for 19 degrees of freedom), and no correlation
    between neighbouring positions."""
    first = np.array([PositionStream(2024, k).random() for k in range(20_000)])
    counts = np.bincount((first * 20).astype(int), minlength=20)
    expected = len(first) / 20
    assert float(((counts - expected) ** 2 / expected).sum()) < 43.8
    assert abs(float(np.corrcoef(first[:-1], first[1:])[0, 1])) < 0.03
