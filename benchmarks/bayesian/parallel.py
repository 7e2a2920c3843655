"""Best objective after 50 jobs as ``max_parallel_jobs`` grows, Bayesian vs Random.

An in-process asynchronous simulation (the orchestrator's simulated executor will replace it):
``p`` jobs run at once with seeded log-normal durations; whenever one finishes its result is
recorded and one new job is asked for while the other ``p - 1`` are still pending. With
``p = 50`` all jobs are proposed before any result exists.
"""

from __future__ import annotations

import heapq
import sys
from multiprocessing import get_context
from typing import Any

import numpy as np

LEVELS = (1, 2, 4, 10, 25, 50)
PROBLEM = "hartmann6"


def simulate(task: tuple[str, int, int, dict]) -> dict[str, Any]:
    from benchmarks.bayesian.problems import PROBLEMS
    from tunesmith.strategies.base import Trial, TrialState
    from tunesmith.strategies.bayesian import BayesianSearch
    from tunesmith.strategies.random_search import RandomSearch

    method, p, seed, options = task
    problem = PROBLEMS[PROBLEM]
    rng = np.random.default_rng([seed, p])
    strategy: Any = (
        BayesianSearch(problem.space, seed=seed, **options)
        if method == "bayesian"
        else RandomSearch(problem.space, seed=seed)
    )
    history: list[Trial] = []
    running: list[tuple[float, int]] = []  # (finish time, index in history)
    clock, budget = 0.0, 50

    def launch(k: int) -> None:
        for c in strategy.suggest(k, history):
            history.append(Trial(c, TrialState.PENDING))
            heapq.heappush(running, (clock + float(rng.lognormal(0.0, 0.5)), len(history) - 1))

    launch(min(p, budget))
    while running:
        clock, i = heapq.heappop(running)
        c = history[i].config
        history[i] = Trial(c, TrialState.COMPLETED, problem.fn(c))
        if len(history) < budget:
            launch(1)
    best = min(t.objective for t in history if t.objective is not None)
    return {"method": method, "p": p, "seed": seed, "best": float(best)}


def parallel_curve(seeds: int, workers: int, options: dict | None = None) -> dict[str, Any]:
    tasks = [
        (m, p, s, options or {})
        for p in LEVELS
        for s in range(seeds)
        for m in ("bayesian", "random")
    ]
    with get_context("spawn").Pool(workers) as pool:
        res = pool.map(simulate, tasks)
    print(f"  parallelism curve: {len(res)} simulations", file=sys.stderr)
    return {"problem": PROBLEM, "levels": list(LEVELS), "results": res}
