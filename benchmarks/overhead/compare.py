"""Compare the local executor's per-job overhead between versions of the code, paired by round.

The overhead moves by ±0.8 ms a job with the machine's state from one hour to the next, more
than most changes are worth, so a number from another run is no baseline. This runs every
version in the same rounds, interleaved (each run in a fresh process, a floor run just before
it), and reports each version's difference to the first, round by round: the median and mean of
those differences are what a change is worth.

    .venv/bin/python benchmarks/overhead/compare.py HEAD~1 .            # the last commit's effect
    .venv/bin/python benchmarks/overhead/compare.py --rounds 16 main my-branch .

A version is a git revision (checked out in a temporary worktree) or ``.``, the working tree.
Each run reports the controller's CPU time too: overhead is mostly CPU (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_ONE_RUN = r"""
import json, resource, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])  # the version's src, ahead of the installed tunesmith
sys.path.insert(1, sys.argv[2])  # this tree, for benchmarks.overhead.run
from benchmarks.overhead.run import floor, tunesmith_run
from tunesmith.orchestrator.service import TuningService

work = Path(tempfile.mkdtemp(prefix="run-", dir=sys.argv[4]))
jobs = int(sys.argv[3])
(work / "train.py").write_text("import sys\nprint('loss=0.5')\n")
base = floor(work / "train.py", jobs)
run, cpu = TuningService.run, {}

def timed(self, *args, **kwargs):
    before = resource.getrusage(resource.RUSAGE_SELF)
    try:
        return run(self, *args, **kwargs)
    finally:
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu["s"] = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime

TuningService.run = timed
seconds = tunesmith_run(work, jobs, "local")
print(json.dumps({"over": (seconds - base) / jobs * 1000, "cpu": cpu["s"] / jobs * 1000}))
"""


def source_tree(ref: str, scratch: Path, made: list[Path]) -> Path:
    """The ``src`` folder of ``ref``: the working tree's, or a temporary worktree's."""
    if ref == ".":
        return ROOT / "src"
    folder = scratch / f"tree{len(made)}"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(folder), ref],
        check=True,
    )
    made.append(folder)
    return folder / "src"


def one_run(src: Path, jobs: int, scratch: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _ONE_RUN, str(src), str(ROOT), str(jobs), str(scratch)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("refs", nargs="+", help="git revisions, or . for the working tree")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=200)
    args = parser.parse_args()
    made: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="overhead-trees-") as scratch:
        try:
            trees = {ref: source_tree(ref, Path(scratch), made) for ref in args.refs}
            results: dict[str, list[dict[str, float]]] = {ref: [] for ref in args.refs}
            for round_ in range(args.rounds):
                for ref, src in trees.items():
                    results[ref].append(one_run(src, args.jobs, Path(scratch)))
                row = "  ".join(f"{ref} {results[ref][-1]['over']:.2f}" for ref in args.refs)
                print(f"round {round_ + 1}: {row}", file=sys.stderr)
        finally:
            for folder in made:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)],
                    check=False,
                )
    print(report(args.refs, results, args.jobs))


def report(refs: list[str], results: dict[str, list[dict[str, float]]], jobs: int) -> str:
    first = [r["over"] for r in results[refs[0]]]
    lines = [
        f"{jobs} trivial jobs, 2 at a time, {len(first)} interleaved rounds; ms a job",
        "| version | overhead (median) | controller CPU (median) | vs first: median | mean "
        "(± its standard error) | CPU vs first: mean (± s.e.) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    first_cpu = [r["cpu"] for r in results[refs[0]]]
    for ref in refs:
        over = [r["over"] for r in results[ref]]
        cpu = [r["cpu"] for r in results[ref]]
        diffs = [a - b for a, b in zip(over, first, strict=True)]
        cpu_diffs = [a - b for a, b in zip(cpu, first_cpu, strict=True)]
        lines.append(
            f"| {ref} | {statistics.median(over):.2f} | {statistics.median(cpu):.2f} | "
            f"{statistics.median(diffs):+.2f} | {_mean_and_error(diffs)} | "
            f"{_mean_and_error(cpu_diffs)} |"
        )
    lines.append(
        "A difference smaller than about twice its standard error is not told apart from the "
        "noise of the machine."
    )
    return "\n".join(lines)


def _mean_and_error(values: list[float]) -> str:
    """The mean, and its standard error (the paired rounds' spread over the square root of
    their number): how far apart the versions must be for the rounds to tell them apart."""
    if len(values) < 2:
        return f"{statistics.mean(values):+.2f}"
    error = statistics.stdev(values) / math.sqrt(len(values))
    return f"{statistics.mean(values):+.2f} (± {error:.2f})"


if __name__ == "__main__":
    main()
