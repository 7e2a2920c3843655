"""Per-job overhead: N trivial training jobs (print one metric, exit), 2 at a time.

Measures the floor (Popen + wait of the same script, 2 at a time), tunesmith's local and Ray
executors through the whole service (store writes included), Ray Tune and Syne Tune's local
backend running the same script, all in the same run. Ray runs need a loopback-only network
namespace: as root the script re-executes itself under ``unshare -n`` when needed.

    .venv/bin/python benchmarks/overhead/run.py [--quick] [--jobs 200] [--rounds 3] [--no-write]

Writes its table between the overhead markers of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "import sys\nprint('loss=0.5')\n"
START, END = "<!-- overhead:start -->", "<!-- overhead:end -->"


def floor(script: Path, jobs: int) -> float:
    def one(_: int) -> None:
        subprocess.Popen([sys.executable, str(script)], stdout=subprocess.DEVNULL).wait()

    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, range(jobs)))
    return time.perf_counter() - started


def tunesmith_run(work: Path, jobs: int, executor_name: str) -> float:
    from tunesmith.domain.parse import load_document
    from tunesmith.orchestrator.service import TuningService
    from tunesmith.settings import Settings

    folder = work / executor_name
    folder.mkdir()
    (folder / "train.py").write_text(SCRIPT)
    spec = {
        "tuning_job_name": "overhead",
        "strategy": "Random",
        "objective_metric_name": "loss",
        "objective_type": "Minimize",
        "max_jobs": jobs,
        "max_parallel_jobs": 2,
        "random_seed": 1,
        "metric_definitions": [{"Name": "loss", "Regex": r"loss=(\S+)"}],
        "hyperparameter_ranges": {"x": {"type": "continuous", "min_value": 0, "max_value": 1}},
        "estimator": {"entry_point": "train.py", "source_dir": ".", "max_run": 60},
    }
    (folder / "tuning.yaml").write_text(yaml.safe_dump(spec))
    service = TuningService(Settings(home=folder / "home", stop_grace_seconds=2))
    doc = load_document((folder / "tuning.yaml").read_text())
    service.create(service.validate(doc, base_dir=folder))
    executor = None
    if executor_name == "ray":
        from tunesmith.execution.ray import RayExecutor

        executor = RayExecutor(num_cpus=2, stop_grace_seconds=2)
    started = time.perf_counter()
    service.run("overhead", executor=executor)
    elapsed = time.perf_counter() - started
    if executor is not None:
        executor.close()
    done = [j for j in service.training_jobs("overhead") if j.final_objective_value is not None]
    assert len(done) == jobs, f"{executor_name}: {len(done)} of {jobs} jobs reported"
    service.close()
    return elapsed


def ray_tune(script: Path, jobs: int) -> float:
    import ray
    from ray import tune

    def trainable(config: dict) -> dict:
        out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
        return {"loss": float(out.stdout.split("=")[1])}

    ray.init(address="local", num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False, configure_logging=False)  # fmt: skip
    started = time.perf_counter()
    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": 1}),
        param_space={"x": tune.uniform(0, 1)},
        tune_config=tune.TuneConfig(num_samples=jobs, max_concurrent_trials=2, reuse_actors=True),
        run_config=tune.RunConfig(storage_path=str(script.parent / "ray_results"), verbose=0),
    )
    tuner.fit()
    elapsed = time.perf_counter() - started
    ray.shutdown()
    return elapsed


def syne_tune(script: Path, jobs: int) -> float:
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend import LocalBackend
    from syne_tune.config_space import uniform
    from syne_tune.optimizer.baselines import RandomSearch

    entry = script.parent / "syne_train.py"
    entry.write_text(
        "from syne_tune import Reporter\nimport argparse\n"
        "p = argparse.ArgumentParser(); p.add_argument('--x', type=float)\n"
        "p.parse_known_args()  # Syne Tune also passes --st_checkpoint_dir\n"
        "Reporter()(loss=0.5)\n"
    )
    tuner = Tuner(
        trial_backend=LocalBackend(entry_point=str(entry)),
        scheduler=RandomSearch({"x": uniform(0, 1)}, metrics=["loss"], do_minimize=True),
        stop_criterion=StoppingCriterion(max_num_trials_finished=jobs),
        n_workers=2,
        sleep_time=0.01,
        results_update_interval=1000,
        save_tuner=False,
    )
    started = time.perf_counter()
    tuner.run()
    return time.perf_counter() - started


def in_namespace() -> bool:
    return [name for _, name in socket.if_nameindex()] == ["lo"]


RUNNERS = {
    "local": "tunesmith local executor",
    "ray": "tunesmith Ray executor",
    "raytune": "Ray Tune (reuse_actors, subprocess)",
    "synetune": "Syne Tune LocalBackend (sleep_time=0.01)",
}


def measure(work: Path, script: Path, jobs: int, key: str, round_: int) -> float:
    """One timed run of ``key`` in a fresh folder (each round gets its own store)."""
    folder = work / f"round{round_}"
    folder.mkdir(exist_ok=True)
    if key == "floor":
        return floor(script, jobs)
    if key in ("local", "ray"):
        return tunesmith_run(folder, jobs, key)
    if key == "raytune":
        return ray_tune(script, jobs)
    return syne_tune(script, jobs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="40 jobs, one round")
    parser.add_argument("--rounds", type=int, default=3, help="medians over this many rounds")
    parser.add_argument("--only", default="floor,local,ray,raytune,synetune")
    parser.add_argument("--no-write", action="store_true", help="print, leave the docs alone")
    args = parser.parse_args()
    if not in_namespace() and os.geteuid() == 0 and not os.environ.get("OVERHEAD_NS"):
        os.environ["OVERHEAD_NS"] = "1"
        inner = "ip link set lo up && exec " + " ".join([sys.executable, *sys.argv])
        os.execvp("unshare", ["unshare", "-n", "sh", "-c", inner])
    jobs = 40 if args.quick else args.jobs
    rounds = 1 if args.quick else args.rounds
    work = Path(tempfile.mkdtemp(prefix="overhead-"))
    script = work / "train.py"
    script.write_text(SCRIPT)
    wanted = ["floor", *[k for k in RUNNERS if k in args.only.split(",")]]
    times: dict[str, list[float]] = {key: [] for key in wanted}
    overheads: dict[str, list[float]] = {key: [] for key in wanted}
    # The local executor's rounds first, then the others': Ray and Syne Tune delete files as
    # they shut down, and on ext4 without a journal making files shortly after many were
    # deleted is slower (docs/benchmarks.md), which would count against the next runner that
    # makes files. Within each group the rounds are interleaved with a floor run, so a busy
    # spell of the machine hits all alike.
    groups = [[k for k in wanted[1:] if k == "local"], [k for k in wanted[1:] if k != "local"]]
    for group in (g for g in groups if g):
        for round_ in range(rounds):
            base = measure(work, script, jobs, "floor", round_)
            times["floor"].append(base)
            for key in group:
                try:
                    seconds = measure(work, script, jobs, key, round_)
                except Exception as exc:  # report, keep the others
                    print(f"{RUNNERS[key]} failed: {exc!r}", file=sys.stderr)
                    continue
                times[key].append(seconds)
                overheads[key].append((seconds - base) / jobs * 1000)
                print(f"round {round_ + 1}: {key} {(seconds - base) / jobs * 1000:.1f} ms/job "
                      f"over the floor", file=sys.stderr)  # fmt: skip
    # Deleted only now: on a filesystem without a journal (ext4 here), making files shortly
    # after many were deleted is slower, so cleaning up between rounds would slow the next.
    shutil.rmtree(work, ignore_errors=True)
    section = report(jobs, rounds, args.quick, times, overheads)
    print(section)
    if not args.no_write:
        write_section(section)


def report(
    jobs: int,
    rounds: int,
    quick: bool,
    times: dict[str, list[float]],
    overheads: dict[str, list[float]],
) -> str:
    lines = [
        START,
        "## Per-job overhead",
        "",
        f"{jobs} trivial training jobs (print one metric, exit), 2 at a time, on "
        f"{os.cpu_count()} cores; `benchmarks/overhead/run.py{' --quick' if quick else ''}`. "
        f"Each runner ran {rounds} time(s), interleaved with a floor run (Popen + wait of the same "
        "script, 2 at a time); overhead per job = (wall time − that round's floor) / jobs. "
        "The local executor's rounds come first (the others' shutdowns delete files, which "
        "slows making files on this disk for a few minutes). Medians over rounds, range in "
        "brackets.",
        "",
        "| runner | wall time (s) | per job (ms) | overhead per job (ms) |",
        "|---|---:|---:|---:|",
    ]
    labels = {"floor": "floor: Popen + wait", **RUNNERS}
    for key, seconds in times.items():
        if not seconds:
            continue
        wall = statistics.median(seconds)
        over = overheads[key] or [0.0]
        spread = f" ({min(over):.1f}–{max(over):.1f})" if len(over) > 1 else ""
        lines.append(
            f"| {labels[key]} | {wall:.2f} | {wall / jobs * 1000:.1f} | "
            f"{statistics.median(over):.1f}{spread} |"
        )
    local, ours, peer = (overheads.get(k) for k in ("local", "ray", "raytune"))
    if local:
        over = statistics.median(local)
        verdict = "met" if over <= 2 else f"MISSED by {over - 2:.1f} ms"
        lines += ["", f"Target, local executor at most 2 ms a job above the floor: {verdict}."]
    if ours and peer:
        verdict = "met" if statistics.median(ours) < statistics.median(peer) else "MISSED"
        lines.append(f"Target, Ray executor ahead of Ray Tune's best setting: {verdict}.")
    lines += [
        "",
        "What a job costs the local executor, above starting its process: its folder (the "
        "container contract: ten folders and three JSON files), its place in the executor's "
        "job loop (one poll loop for every job's exit, through a pidfd, and, once a job "
        "outlives the 50 ms event hold, its log file, through inotify: a shorter job's log is "
        "read once, at its end), run by the controller's own thread where it waits for events, "
        "so that an "
        "exit, its record and the next start need no hand-off between threads (and the next "
        "process starts on the core the last one freed), "
        "and about one SQLite transaction: a job's start, metrics and end are written together "
        "when they come within 50 ms of each other, in the same transaction that numbers and "
        "creates the job taking its place (when the strategy suggests in under 5 ms), the SQL "
        "compiled once and run on the driver's cursor. No state file is left for a resumed "
        "controller once the store holds the job's end. The controller's heap is frozen for "
        "the run, so no full garbage collection walks it.",
        END,
    ]
    return "\n".join(lines)


def write_section(section: str) -> None:
    docs = ROOT / "docs" / "benchmarks.md"
    text = docs.read_text() if docs.exists() else "# Benchmarks\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    docs.write_text(text)


if __name__ == "__main__":
    main()
