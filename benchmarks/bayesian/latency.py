"""Suggestion latency on Hartmann-6 after 50, 200 and 500 observations, ours beside Optuna's GP.

Both see the same random history and run in the same fresh process with the same thread
settings (two BLAS / torch threads: the whole machine). Each timing is a fresh optimiser asked
for one configuration, so it includes fitting the model, as a resumed tuning job would. The
two are timed alternately and the median of ``repeats`` timings of each is reported, so a
change of load on a shared machine affects both sides alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np


def _ours(problem: Any, configs: list[dict], values: list[float], options: dict) -> float:
    from tunesmith.strategies.base import Trial, TrialState
    from tunesmith.strategies.bayesian import BayesianSearch

    history = [Trial(c, TrialState.COMPLETED, v) for c, v in zip(configs, values, strict=False)]
    strategy = BayesianSearch(problem.space, seed=0, **options)
    t = time.perf_counter()
    strategy.suggest(1, history)
    return time.perf_counter() - t


def _optuna_gp(problem: Any, configs: list[dict], values: list[float]) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    dists = {
        p.name: optuna.distributions.FloatDistribution(0.0, 1.0) for p in problem.space.parameters
    }
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))
    study.add_trials(
        [
            optuna.trial.create_trial(params=c, distributions=dists, value=v)
            for c, v in zip(configs, values, strict=False)
        ]
    )
    t = time.perf_counter()
    study.ask(dists)
    return time.perf_counter() - t


def _measure(sizes: list[int], repeats: int, options: dict) -> dict[str, Any]:
    from benchmarks.bayesian.problems import PROBLEMS

    problem = PROBLEMS["hartmann6"]
    rng = np.random.default_rng(0)
    configs = [problem.space.sample(rng) for _ in range(max(sizes))]
    values = [problem.fn(c) for c in configs]
    out: dict[str, Any] = {}
    for n in sizes:
        # Interleaved, so a load change on a shared machine hits both sides alike.
        ours, gp = [], []
        for _ in range(repeats):
            ours.append(_ours(problem, configs[:n], values[:n], options))
            gp.append(_optuna_gp(problem, configs[:n], values[:n]))
        out[str(n)] = {
            "tunesmith-bayesian": float(np.median(ours)),
            "optuna-gp": float(np.median(gp)),
        }
        print(
            f"  latency n={n}: ours {np.median(ours):.3f} s, optuna-gp {np.median(gp):.3f} s",
            file=sys.stderr,
            flush=True,
        )
    return out


def measure_latency(quick: bool = False, options: dict | None = None) -> dict[str, Any]:
    """Run the measurement in a fresh process that may use both cores."""
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2")
    arg = json.dumps(
        {"sizes": [50, 200, 500], "repeats": 3 if quick else 5, "options": options or {}}
    )
    res = subprocess.run(
        [sys.executable, "-m", "benchmarks.bayesian.latency", arg],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    sys.stderr.write(res.stderr)
    return json.loads(res.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    print(json.dumps(_measure(spec["sizes"], spec["repeats"], spec["options"])))
