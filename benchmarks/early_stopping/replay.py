"""Replay recorded learning curves through stopping rules, to compare rule variants offline.

A real run of the benchmark takes minutes and its numbers move with the machine's timing (which
of two jobs started together reports first decides a lot at the first rungs). This replays the
full curves of the benchmark's configurations, recorded once without stopping, with their
measured timings (start-up, then each epoch): two workers, a stopped job frees its worker at
once, each replay scales every job's start-up and epoch times by seeded random factors
(lognormal, sigma ``--jitter``) so the orderings vary as they do on a real machine.

    python -m benchmarks.early_stopping.replay record   # runs every configuration (~5 min)
    python -m benchmarks.early_stopping.replay          # every variant, 40 replays per seed

For each variant and seed it prints the mean and 90th percentile share of the no-stopping
epochs and the share of replays with regret. Only the shipped rules are in tunesmith; the
others are the alternatives that were weighed (see docs/early-stopping.md).
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks.early_stopping.common import (
    EPOCH_LINE,
    EPOCHS,
    SCRIPT,
    configurations,
    script_args,
)
from tunesmith.scheduling.asha import AshaScheduler
from tunesmith.scheduling.base import Action, Decision, JobCurve, Scheduler
from tunesmith.scheduling.median import MedianStoppingRule

CURVES = Path(__file__).resolve().parent / "curves.json"


def record(seeds: list[int], jobs: int, parallel: int, path: Path) -> None:
    """Run every configuration to the end, ``parallel`` at a time; keep values and times."""
    items = [(s, i, c) for s in seeds for i, c in enumerate(configurations(s, jobs))]
    with tempfile.TemporaryDirectory() as scratch, ThreadPoolExecutor(parallel) as pool:
        runs = list(pool.map(lambda item: _run_to_the_end(*item, cwd=scratch), items))
    path.write_text(json.dumps(runs))


def _run_to_the_end(seed: int, index: int, config: dict[str, str], cwd: str) -> dict:
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), *script_args(config)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )
    values, times = [], []
    for line in process.stdout or []:
        match = EPOCH_LINE.match(line)
        if match:
            values.append(float(match[2]))
            times.append(round(time.perf_counter() - start, 4))
    process.wait()
    return {"seed": seed, "index": index, "values": values, "times": times}


def replay(runs: list[dict], make: Callable[[], Scheduler], parallel: int = 2) -> tuple[int, float]:
    """(epochs run, best final value) of one replay: ``runs`` in launch order."""
    scheduler = make()
    curves: dict[str, JobCurve] = {}
    events: list[tuple[float, int, str, int]] = []
    order = 0
    finals: dict[str, float] = {}
    epochs: dict[str, int] = {}
    dead: set[str] = set()

    def launch(index: int, now: float) -> None:
        nonlocal order
        name = f"job-{index + 1:03d}"
        curves[name] = JobCurve(name, index + 1, (), False)
        for step, at in enumerate(runs[index]["times"], start=1):
            heapq.heappush(events, (now + at, order, name, step))
            order += 1

    launched = min(parallel, len(runs))
    for index in range(launched):
        launch(index, 0.0)
    while events:
        now, _, name, step = heapq.heappop(events)
        if name in dead:
            continue
        values = runs[int(name[4:]) - 1]["values"]
        curve = curves[name]
        curves[name] = JobCurve(name, curve.ordinal, (*curve.values, values[step - 1]), False)
        epochs[name], finals[name] = step, values[step - 1]
        decision = scheduler.on_report(name, step, values[step - 1], curves)
        if decision.action == Action.STOP or step == len(values):
            dead.add(name)
            curves[name] = JobCurve(name, curve.ordinal, curves[name].values, True)
            if launched < len(runs):
                launch(launched, now)
                launched += 1
    return sum(epochs.values()), max(finals.values())


def jittered(runs: list[dict], sigma: float, rng: random.Random) -> list[dict]:
    out = []
    for run in runs:
        first, rest = run["times"][0], run["times"]
        startup, speed = rng.lognormvariate(0, sigma), rng.lognormvariate(0, sigma)
        out.append({**run, "times": [first * startup + (t - first) * speed for t in rest]})
    return out


def _at(step: int, job: str, curves: Mapping[str, JobCurve]) -> list[float]:
    """The step-``step`` values of every job but ``job``."""
    return [c.values[step - 1] for n, c in curves.items() if n != job and len(c.values) >= step]


class RayCutoff(AshaScheduler):
    """Ray Tune's ASHA rule: continue iff the value is at least the (1 - 1/eta) percentile
    of the values recorded earlier at the rung; no probation."""

    def on_report(
        self, job: str, step: int, value: float, curves: Mapping[str, JobCurve]
    ) -> Decision:
        if step > self.max_resource:
            return Decision.stop("MaxResource")
        recorded = _at(step, job, curves) if step in self.rungs else []
        if not recorded or value >= np.percentile(recorded, 100 * (1 - 1 / self.eta)):
            return Decision.go_on()
        return Decision.stop("below cutoff")


class StrictTopThird(AshaScheduler):
    """Continue iff rank <= floor(n / eta), with no exception for the best so far."""

    def on_report(
        self, job: str, step: int, value: float, curves: Mapping[str, JobCurve]
    ) -> Decision:
        if step not in self.rungs:
            return super().on_report(job, step, value, curves)
        rank, n = self._rank(job, step, value, curves)
        return Decision.go_on() if rank <= n // self.eta else Decision.stop("not in top third")


class TiesToIncumbent(AshaScheduler):
    """Ties count against the later arrival (an equal earlier value outranks it)."""

    def _rank(
        self, job: str, step: int, value: float, curves: Mapping[str, JobCurve]
    ) -> tuple[int, int]:
        others = _at(step, job, curves)
        return 1 + sum(1 for u in others if u >= value), len(others) + 1


class MedianAnyEarlierReport(MedianStoppingRule):
    """ "Earlier" = every other job that reached the step before (any launch order)."""

    def earlier(self, me: JobCurve, step: int, curves: Mapping[str, JobCurve]) -> list[JobCurve]:
        return [c for c in curves.values() if c is not me and len(c.values) >= step]


class MedianCompletedOnly(MedianStoppingRule):
    """ "Earlier" = launched before and already finished."""

    def earlier(self, me: JobCurve, step: int, curves: Mapping[str, JobCurve]) -> list[JobCurve]:
        return [c for c in super().earlier(me, step, curves) if c.finished]


class MedianBestSoFar(MedianStoppingRule):
    """Compares the job's best value so far (as NNI does) instead of its current one."""

    def on_report(
        self, job: str, step: int, value: float, curves: Mapping[str, JobCurve]
    ) -> Decision:
        return super().on_report(job, step, max(curves[job].values), curves)


def variants() -> dict[str, Callable[[], Scheduler]]:
    top = EPOCHS

    def asha(**kw: object) -> Callable[[], Scheduler]:
        return lambda: AshaScheduler(maximize=True, max_resource=top, **kw)  # type: ignore[arg-type]

    return {
        "hyperband (shipped: probation)": asha(),
        "hyperband without probation": asha(probation=False),
        "hyperband ties to incumbent": lambda: TiesToIncumbent(True, top),
        "hyperband strict top third": lambda: StrictTopThird(True, top, probation=False),
        "hyperband Ray-style cutoff": lambda: RayCutoff(True, top),
        "hyperband MinResource 2": asha(min_resource=2),
        "hyperband MinResource 3": asha(min_resource=3),
        "hyperband 2 brackets": asha(brackets=2, seed=1),
        "hyperband 4 brackets": asha(brackets=4, seed=1),
        "hyperband eta 2": asha(eta=2),
        "hyperband eta 4": asha(eta=4),
        "median (shipped: min 3 earlier)": lambda: MedianStoppingRule(True),
        "median min 1 earlier": lambda: MedianStoppingRule(True, min_jobs=1),
        "median any earlier report": lambda: MedianAnyEarlierReport(True, min_jobs=1),
        "median completed only": lambda: MedianCompletedOnly(True),
        "median best so far": lambda: MedianBestSoFar(True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", choices=["record", "replay"], default="replay")
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--replays", type=int, default=40)
    parser.add_argument("--jitter", type=float, default=0.15)
    parser.add_argument("--only", default="", help="variants whose name contains this")
    args = parser.parse_args()
    if args.command == "record":
        record(args.seeds, args.jobs, 2, CURVES)
        return
    recorded = json.loads(CURVES.read_text())
    print("| variant | " + " | ".join(f"seed {s}: mean, p90, regret" for s in args.seeds) + " |")
    print("|---|" + "---|" * len(args.seeds))
    for name, make in variants().items():
        if args.only not in name:
            continue
        cells = []
        for seed in args.seeds:
            runs = sorted((r for r in recorded if r["seed"] == seed), key=lambda r: r["index"])
            base = sum(len(r["values"]) for r in runs)
            best = max(r["values"][-1] for r in runs)
            shares, regrets = [], 0
            for k in range(args.replays):
                rng = random.Random(1000 * k + seed)
                used, found = replay(jittered(runs, args.jitter, rng), make)
                shares.append(100 * used / base)
                regrets += found < best
            shares.sort()
            p90 = float(np.percentile(shares, 90))
            cells.append(
                f"{statistics.mean(shares):.1f}%, {p90:.1f}%, {regrets / args.replays:.0%}"
            )
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
