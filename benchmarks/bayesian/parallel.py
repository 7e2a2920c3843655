"""Best objective after 50 jobs as ``max_parallel_jobs`` grows, Bayesian vs Random.

Measured through the real controller on the simulated executor's virtual clock: ``p`` jobs
run at once with seeded log-normal durations; whenever one finishes its result is recorded
and one new job is asked for while the other ``p - 1`` are still running. With ``p = 50``
all jobs are proposed before any result exists.
"""

from __future__ import annotations

import sys
from multiprocessing import get_context
from typing import Any

import numpy as np

LEVELS = (1, 2, 4, 10, 25, 50)
PROBLEM = "hartmann6"


def simulate(task: tuple[str, int, int, dict]) -> dict[str, Any]:
    """One tuning job of 50 training jobs through the real controller on the simulated
    executor: ``p`` jobs at a time, seeded log-normal job durations, so each finished job
    triggers one new suggestion while the other ``p - 1`` are still running."""
    import hashlib
    import tempfile
    from pathlib import Path

    from benchmarks.bayesian.problems import PROBLEMS
    from tunesmith.domain.parse import parse_request
    from tunesmith.execution.simulated import SimulatedExecutor, SimulatedRun
    from tunesmith.orchestrator.service import TuningService
    from tunesmith.settings import Settings

    method, p, seed, options = task
    if options:
        raise ValueError("the controller run uses the strategy's defaults")
    problem = PROBLEMS[PROBLEM]
    names = problem.space.names

    def train(hps: dict[str, str]) -> SimulatedRun:
        config = {n: float(hps[n]) for n in names}
        key = hashlib.sha256(f"{seed}:{sorted(config.items())}".encode()).digest()
        duration = float(np.random.default_rng(list(key[:8])).lognormal(0.0, 0.5))
        return SimulatedRun(duration, [(duration * 0.99, f"loss={problem.fn(config)!r}")])

    request = {
        "HyperParameterTuningJobName": f"par-{method}-{p}",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian" if method == "bayesian" else "Random",
            "RandomSeed": seed,
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 50, "MaxParallelTrainingJobs": p},
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": n, "MinValue": "0", "MaxValue": "1"} for n in names
                ]
            },
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {
                "ContainerEntrypoint": ["simulated"],
                "MetricDefinitions": [{"Name": "loss", "Regex": r"loss=(\S+)"}],
            },
        },
    }
    with tempfile.TemporaryDirectory() as home:
        service = TuningService(Settings(home=Path(home)))
        spec = parse_request(request)
        service.create(spec)
        service.run(spec.hyper_parameter_tuning_job_name, executor=SimulatedExecutor(train))
        values = [
            j.final_objective_value
            for j in service.training_jobs(spec.hyper_parameter_tuning_job_name)
            if j.final_objective_value is not None
        ]
        service.close()
    return {"method": method, "p": p, "seed": seed, "best": float(min(values))}


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
