"""Small, single-process comparison for trying strategy options (not the documented protocol).

    python -m benchmarks.bayesian.quick --label base --options '{}' --seeds 3
    python -m benchmarks.bayesian.quick --method optuna-gp --label optuna-gp

Runs one optimiser on a few problems, sequential and in batches of 10, one run at a time, and
appends the results to ``<cache>`` (JSON lines) so peers are run only once. Then prints mean
normalised regret per problem and mode for every label in the cache, with the typical random
value of each problem estimated from 20 000 uniform samples.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from benchmarks.bayesian.problems import PROBLEMS  # noqa: E402
from benchmarks.bayesian.run import BATCH, run_one  # noqa: E402


def _typical(name: str) -> float:
    rng = np.random.default_rng(12345)
    p = PROBLEMS[name]
    return float(np.median([p.fn(p.space.sample(rng)) for _ in range(20_000)]))


def summarise(cache: Path, problems: list[str]) -> None:
    rows = [json.loads(line) for line in cache.read_text().splitlines() if line.strip()]
    scale = {p: _typical(p) - PROBLEMS[p].optimum for p in problems}
    table: dict[str, dict[tuple[str, int], list[float]]] = defaultdict(lambda: defaultdict(list))
    ask: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if r["problem"] not in problems:
            continue
        reg = (min(r["values"]) - PROBLEMS[r["problem"]].optimum) / scale[r["problem"]]
        table[r["label"]][(r["problem"], r["batch"])].append(max(reg, 0.0))
        ask[r["label"]].append(r["ask_seconds"])
    cols = [(p, b) for b in (1, BATCH) for p in problems]
    head = " ".join(f"{p[:7]}/{b:<2}" for p, b in cols)
    print(f"{'label':28s} {head}   mean-seq mean-b10  ask(s)  n")
    for label, cells in table.items():
        means = [np.mean(cells[c]) if cells[c] else np.nan for c in cols]
        seq = np.nanmean(means[: len(problems)])
        bat = np.nanmean(means[len(problems) :])
        body = " ".join(f"{m:10.3f}" for m in means)
        n = min(len(v) for v in cells.values())
        print(f"{label:28s} {body}   {seq:8.3f} {bat:8.3f} {np.mean(ask[label]):6.2f} {n:2d}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--method", default="tunesmith-bayesian")
    ap.add_argument("--label", default=None)
    ap.add_argument("--options", default="{}")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--problems", default="branin,hartmann6,levy10")
    ap.add_argument("--batches", default=f"1,{BATCH}")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/bayes-quick.jsonl"))
    ap.add_argument("--summary-only", action="store_true")
    args = ap.parse_args()
    problems = args.problems.split(",")
    if not args.summary_only:
        options = json.loads(args.options)
        label = args.label or args.method
        for b in (int(x) for x in args.batches.split(",")):
            for p in problems:
                for s in range(args.seeds):
                    res = run_one((args.method, p, s, b, options))
                    res["label"] = label
                    with args.cache.open("a") as fh:
                        fh.write(json.dumps(res) + "\n")
                    best = min(res["values"])
                    print(f"  {label} {p} b={b} s={s} best={best:.4g}", file=sys.stderr)
    summarise(args.cache, problems)


if __name__ == "__main__":
    main()
