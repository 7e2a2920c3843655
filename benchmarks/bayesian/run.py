"""Run the Bayesian-optimisation benchmark and write tables and plots.

    python -m benchmarks.bayesian.run --out docs            # full: 20 seeds, ~1.5 h on 2 cores
    python -m benchmarks.bayesian.run --out docs --quick    # 3 seeds, fewer problems
    python -m benchmarks.bayesian.run --out docs --seeds 30 --keep-runs  # add seeds 20-29

20 seeds by default: with 10, one unlucky draw of initial designs on a multi-modal problem
(Hartmann-6) moved a method's suite mean by more than the gap between the two best GPs.

Every (optimiser, problem, seed, batch) run is an independent task spread over worker processes
(each limited to one BLAS/torch thread, the same for every optimiser, so runs do not fight for
the two cores). Latency is measured afterwards in one process, ours and Optuna's GP side by
side on identical histories. Raw results go to ``<out>/data/bayesian-benchmark.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from multiprocessing import get_context
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

BUDGET = 50
BATCH = 10


def run_one(task: tuple[str, str, int, int, dict[str, Any]]) -> dict[str, Any]:
    """One optimisation run: ``BUDGET`` evaluations in rounds of ``batch``."""
    import numpy as np

    from benchmarks.bayesian.adapters import ADAPTERS
    from benchmarks.bayesian.problems import PROBLEMS

    method, problem_name, seed, batch, options = task
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    problem = PROBLEMS[problem_name]
    cls = ADAPTERS[method]
    opt = cls(problem.space, seed, **options) if options else cls(problem.space, seed)
    values: list[float] = []
    ask_time = 0.0
    t0 = time.perf_counter()
    while len(values) < BUDGET:
        n = min(batch, BUDGET - len(values))
        t = time.perf_counter()
        configs = opt.ask(n)
        ask_time += time.perf_counter() - t
        ys = [float(problem.fn(c)) for c in configs]
        opt.tell(configs, ys)
        values += ys
    return {
        "method": method,
        "problem": problem_name,
        "seed": seed,
        "batch": batch,
        "values": [float(v) for v in np.asarray(values)],
        "ask_seconds": ask_time,
        "seconds": time.perf_counter() - t0,
        "options": options,
    }


def _task_key(method: str, problem: str, seed: int, batch: int, options: dict[str, Any]) -> str:
    return json.dumps([method, problem, seed, batch, options], sort_keys=True)


def _kept_runs(log: Path, tasks: list[Any]) -> dict[str, dict[str, Any]]:
    """Runs in ``log`` that match one of ``tasks`` (the first of duplicates), by task key."""
    wanted = {_task_key(*t) for t in tasks}
    kept: dict[str, dict[str, Any]] = {}
    if log.exists():
        for line in log.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                key = _task_key(r["method"], r["problem"], r["seed"], r["batch"], r["options"])
                if key in wanted:
                    kept.setdefault(key, r)
    return kept


def _pool_map(
    tasks: list[Any], workers: int, fn: Any = run_one, log: Path | None = None
) -> list[dict[str, Any]]:
    """Run tasks over ``workers`` processes, appending each result to ``log`` (JSON lines)."""
    out = []
    with get_context("spawn").Pool(workers, maxtasksperchild=20) as pool:
        for i, res in enumerate(pool.imap_unordered(fn, tasks)):
            out.append(res)
            if log is not None:
                with log.open("a") as fh:
                    fh.write(json.dumps(res) + "\n")
            if (i + 1) % 20 == 0 or i + 1 == len(tasks):
                print(f"  {i + 1}/{len(tasks)} runs", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    from benchmarks.bayesian.adapters import ADAPTERS
    from benchmarks.bayesian.latency import measure_latency
    from benchmarks.bayesian.parallel import parallel_curve
    from benchmarks.bayesian.problems import PROBLEMS
    from benchmarks.bayesian.report import write_report

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("docs"))
    ap.add_argument("--quick", action="store_true", help="3 seeds, a smoke run of everything")
    ap.add_argument("--seeds", type=int, default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--methods", default=",".join(ADAPTERS))
    ap.add_argument("--problems", default=",".join(PROBLEMS))
    ap.add_argument("--skip", default="", help="comma list of: latency,parallel")
    ap.add_argument("--options", default="{}", help="JSON options for tunesmith-bayesian")
    ap.add_argument(
        "--keep-runs",
        action="store_true",
        help="reuse the runs already in <out>/data/bayesian-runs.jsonl that match a task "
        "(same optimiser, problem, seed, batch and options) and run only the others; with "
        "--skip, the skipped latency or parallelism curve is taken from the saved data",
    )
    ap.add_argument(
        "--report-only", action="store_true", help="rewrite tables and plots from saved data"
    )
    args = ap.parse_args(argv)
    data_dir = args.out / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        write_report(json.loads((data_dir / "bayesian-benchmark.json").read_text()), args.out)
        return
    seeds = args.seeds or (3 if args.quick else 20)
    methods = [m for m in args.methods.split(",") if m]
    problems = [p for p in args.problems.split(",") if p]
    options = json.loads(args.options)
    tasks = [
        (m, p, s, b, options if m == "tunesmith-bayesian" else {})
        for b in (1, BATCH)
        for p in problems
        for s in range(seeds)
        for m in methods
    ]
    # Longest first keeps both workers busy to the end.
    slow = {"skopt-gp": 0, "optuna-gp": 1, "smac3-hpo": 2, "tunesmith-bayesian": 3}
    tasks.sort(key=lambda t: (t[3] != 1, slow.get(t[0], 9)))
    print(f"{len(tasks)} runs on {args.workers} workers", file=sys.stderr)
    t0 = time.time()
    log = data_dir / "bayesian-runs.jsonl"
    kept = _kept_runs(log, tasks) if args.keep_runs else {}
    if not args.keep_runs:
        log.unlink(missing_ok=True)
    todo = [t for t in tasks if _task_key(*t) not in kept]
    print(f"{len(kept)} runs kept, {len(todo)} to run", file=sys.stderr)
    runs = [*kept.values(), *_pool_map(todo, args.workers, log=log)]
    print(f"runs done in {time.time() - t0:.0f} s", file=sys.stderr)
    skip = set(args.skip.split(","))
    saved_path = data_dir / "bayesian-benchmark.json"
    saved = json.loads(saved_path.read_text()) if args.keep_runs and saved_path.exists() else {}
    latency = (
        saved.get("latency", {})
        if "latency" in skip
        else measure_latency(quick=args.quick, options=options)
    )
    curve = (
        saved.get("parallel", {})
        if "parallel" in skip
        else parallel_curve(
            seeds=min(seeds, 5 if args.quick else 10), workers=args.workers, options=options
        )
    )
    data = {
        "runs": runs,
        "latency": latency,
        "parallel": curve,
        "seeds": seeds,
        "budget": BUDGET,
        "batch": BATCH,
        "quick": args.quick,
    }
    (data_dir / "bayesian-benchmark.json").write_text(json.dumps(data))
    write_report(data, args.out)


if __name__ == "__main__":
    main()
