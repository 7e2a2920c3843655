"""BayesianSearch as the orchestrator sees it: properties, pending jobs, reproducibility,
convergence."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

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

BRANIN_MIN = 0.397887


def branin(c: Config) -> float:
    x1, x2 = float(c["x1"]), float(c["x2"])
    b, cc, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + cc * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


BRANIN = SearchSpace((ContinuousParameter("x1", -5, 10), ContinuousParameter("x2", 0, 15)))

MIXED = SearchSpace(
    (
        IntegerParameter("layers", 1, 8),
        IntegerParameter("width", 8, 1024, ScalingType.LOGARITHMIC),
        ContinuousParameter("lr", 1e-5, 1.0, ScalingType.LOGARITHMIC),
        ContinuousParameter("momentum", 0.5, 0.999, ScalingType.REVERSE_LOGARITHMIC),
        ContinuousParameter("dropout", 0.0, 0.5),
        CategoricalParameter("opt", ("sgd", "adam", "rmsprop")),
    )
)


def mixed_objective(c: Config) -> float:
    """Known optimum: layers=3, width=128, lr=1e-3, momentum=0.99, dropout=0.1, adam."""
    return (
        (int(c["layers"]) - 3) ** 2 * 0.1
        + math.log2(int(c["width"]) / 128) ** 2 * 0.1
        + math.log10(float(c["lr"]) / 1e-3) ** 2
        + math.log10((1 - float(c["momentum"])) / 0.01) ** 2 * 0.5
        + (float(c["dropout"]) - 0.1) ** 2
        + {"sgd": 1.0, "adam": 0.0, "rmsprop": 0.3}[str(c["opt"])]
    )


def run(strategy: BayesianSearch, fn, budget: int, batch: int = 1) -> list[Trial]:
    history: list[Trial] = []
    while len(history) < budget:
        for c in strategy.suggest(min(batch, budget - len(history)), history):
            history.append(Trial(c, TrialState.COMPLETED, fn(c)))
    return history


def assert_valid(space: SearchSpace, config: Config) -> None:
    assert set(config) == set(space.names)
    for p in space.parameters:
        v = config[p.name]
        if isinstance(p, CategoricalParameter):
            assert isinstance(v, str) and v in p.values
        elif isinstance(p, IntegerParameter):
            assert type(v) is int and p.low <= v <= p.high
        else:
            assert type(v) is float and p.low <= v <= p.high


def test_mixed_space_proposals_are_valid_and_typed() -> None:
    strategy = BayesianSearch(MIXED, seed=0)
    history = run(strategy, mixed_objective, 20, batch=3)
    for t in history:
        assert_valid(MIXED, t.config)
    # Proposals are exactly what the model sees: encode/decode is a fixed point.
    for t in history:
        assert MIXED.decode(MIXED.encode(t.config)) == t.config


def test_log_scaled_optimum_is_found() -> None:
    history = run(BayesianSearch(MIXED, seed=1), mixed_objective, 35)
    best = min(history, key=lambda t: t.objective or 0.0)
    assert best.objective is not None and best.objective < 0.5
    assert 1e-4 < float(best.config["lr"]) < 1e-2  # found in log space, 5 decades wide


def test_maximize_goes_the_right_way() -> None:
    strategy = BayesianSearch(BRANIN, maximize=True, seed=0)
    history = run(strategy, lambda c: -branin(c), 25)
    assert max(t.objective for t in history) > -BRANIN_MIN - 0.5  # type: ignore[type-var]


def test_duplicate_observations_are_handled() -> None:
    c = {"x1": 1.0, "x2": 2.0}
    history = [Trial(c, TrialState.COMPLETED, float(v)) for v in range(10)]
    history += [Trial({"x1": 5.0, "x2": 5.0}, TrialState.COMPLETED, 3.0)]
    out = BayesianSearch(BRANIN, seed=0).suggest(3, history)
    assert len(out) == 3 and all(o != c for o in out)


def test_all_failed_history_keeps_exploring() -> None:
    history = [Trial(BRANIN.sample(np.random.default_rng(i)), TrialState.FAILED) for i in range(12)]
    out = BayesianSearch(BRANIN, seed=0).suggest(4, history)
    assert len(out) == 4 and len({json.dumps(o) for o in out}) == 4
    for o in out:
        assert_valid(BRANIN, o)


def test_failures_and_missing_objectives_are_not_good() -> None:
    """Failures are imputed with the worst value: the model avoids their neighbourhood."""
    rng = np.random.default_rng(0)
    history = []
    for _ in range(15):
        c = BRANIN.sample(rng)
        history.append(Trial(c, TrialState.COMPLETED, branin(c)))
    bad = {"x1": 9.5, "x2": 2.5}  # near a Branin minimum, but it crashes
    history += [Trial(bad, TrialState.FAILED), Trial(bad, TrialState.COMPLETED, None)]
    history += [Trial({"x1": 9.4, "x2": 2.4}, TrialState.COMPLETED, math.nan)]
    out = BayesianSearch(BRANIN, seed=0).suggest(1, history)
    assert_valid(BRANIN, out[0])
    assert math.dist((out[0]["x1"], out[0]["x2"]), (9.5, 2.5)) > 0.3


def test_pending_only_history_spreads_out() -> None:
    rng = np.random.default_rng(0)
    history = [Trial(BRANIN.sample(rng), TrialState.PENDING) for _ in range(12)]
    out = BayesianSearch(BRANIN, seed=0).suggest(3, history)
    seen = {json.dumps(t.config) for t in history}
    assert len(out) == 3 and not seen & {json.dumps(o) for o in out}


@pytest.mark.parametrize(
    "options",
    [{}, {"n_fantasies": 2}, {"fantasy_spread": 1.0}, {"pending": "believer"}],
    ids=["fantasies", "two", "full-spread", "kb"],
)
def test_batch_with_pending_jobs_spreads(options: dict[str, Any]) -> None:
    rng = np.random.default_rng(3)
    history = []
    for _ in range(12):
        c = BRANIN.sample(rng)
        history.append(Trial(c, TrialState.COMPLETED, branin(c)))
    strategy = BayesianSearch(BRANIN, seed=0, **options)
    first = strategy.suggest(1, history)[0]
    history.append(Trial(first, TrialState.PENDING))
    batch = strategy.suggest(5, history)
    pts = BRANIN.encode_many([*batch, first])
    assert len(batch) == 5
    d = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    pairs = d[np.triu_indices(len(pts), 1)]
    # Distinct, and not piled on each other or on the pending job (a batch that ignored the
    # pending job would propose it again: distances of 0).
    assert pairs.min() > 0.01
    assert np.median(pairs) > 0.05


def test_fantasies_without_spread_are_the_kriging_believer() -> None:
    """A spread of 0 makes every fantasy the posterior mean: the believer's batch, up to
    rounding in the averaging."""
    rng = np.random.default_rng(5)
    history = []
    for _ in range(12):
        c = BRANIN.sample(rng)
        history.append(Trial(c, TrialState.COMPLETED, branin(c)))
    history.append(Trial(BRANIN.sample(rng), TrialState.PENDING))
    zero = BayesianSearch(BRANIN, seed=0, fantasy_spread=0.0).suggest(4, history)
    believer = BayesianSearch(BRANIN, seed=0, pending="believer").suggest(4, history)
    spread = BayesianSearch(BRANIN, seed=0).suggest(4, history)
    enc = BRANIN.encode_many
    assert np.allclose(enc(zero), enc(believer), atol=1e-4)
    assert not np.allclose(enc(spread), enc(believer), atol=1e-4)


def test_invalid_options_are_rejected() -> None:
    with pytest.raises(ValueError, match="n_fantasies"):
        BayesianSearch(BRANIN, seed=0, n_fantasies=0)
    with pytest.raises(ValueError, match="fantasy_spread"):
        BayesianSearch(BRANIN, seed=0, fantasy_spread=1.5)
    with pytest.raises(TypeError, match="unknown BayesianSearch options"):
        BayesianSearch(BRANIN, seed=0, fantasies=8)


def test_finite_space_is_exhausted_without_repeats() -> None:
    space = SearchSpace((IntegerParameter("a", 1, 3), CategoricalParameter("b", ("x", "y"))))
    strategy = BayesianSearch(space, seed=0)
    history = run(strategy, lambda c: int(c["a"]) + (c["b"] == "y"), 6, batch=2)
    assert len({json.dumps(t.config, sort_keys=True) for t in history}) == 6
    assert strategy.suggest(3, history) == []


def test_same_seed_and_history_give_the_same_suggestions_in_a_fresh_process() -> None:
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_bayesian_strategy import MIXED, BayesianSearch, mixed_objective, run
        h = run(BayesianSearch(MIXED, seed=7), mixed_objective, 14, batch=4)
        print(json.dumps([t.config for t in h]))
        """
    )
    outs = [
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    ]
    here = [t.config for t in run(BayesianSearch(MIXED, seed=7), mixed_objective, 14, batch=4)]
    assert json.loads(outs[0]) == json.loads(outs[1]) == json.loads(json.dumps(here))
    other = [t.config for t in run(BayesianSearch(MIXED, seed=8), mixed_objective, 14, batch=4)]
    assert other != here


@pytest.mark.parametrize("batch", [1, 5])
def test_branin_converges_well_ahead_of_random_search(batch: int) -> None:
    """Seeded, same budget: median regret at least 20x lower than random search's.

    One seed in four may stall near the x1 = 10 edge (regret 1.5, still better than random's
    median): a known weakness of the current model, kept visible rather than hidden by seeds.
    """
    budget, seeds = 25, range(4)
    bo, rnd = [], []
    for seed in seeds:
        h = run(BayesianSearch(BRANIN, seed=seed), branin, budget, batch)
        bo.append(min(t.objective for t in h) - BRANIN_MIN)  # type: ignore[type-var]
        rng = np.random.default_rng(seed)
        rnd.append(min(branin(BRANIN.sample(rng)) for _ in range(budget)) - BRANIN_MIN)
    assert np.median(bo) < np.median(rnd) / 20
    assert sum(r < 0.1 for r in bo) >= 3
    assert np.mean(bo) < np.mean(rnd) / 3
