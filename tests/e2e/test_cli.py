"""The command line as a user runs it: real processes, a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import CLI, cli_env, run_cli, write_spec

ROOT = Path(__file__).resolve().parents[2]

QUADRATIC = r"""
import argparse
p = argparse.ArgumentParser(); p.add_argument("-x", "--x", type=float)
p.add_argument("--epochs", type=int)
a = p.parse_args()
for epoch in range(1, a.epochs + 1):
    print(f"epoch {epoch}: loss={(a.x - 1) ** 2 + 1 / epoch:.6f}", flush=True)
"""

SLOW = r"""
import time
print("loss=1.0", flush=True)
time.sleep(120)
"""


@pytest.mark.timeout(240)
def test_quickstart_end_to_end(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run_cli(["tune", str(ROOT / "examples/quickstart/tuning.yaml")], home, timeout=200)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Tuning job Completed" in result.stdout
    assert "12/12 done" in result.stdout

    board = json.loads(run_cli(["leaderboard", "quickstart", "--format", "json"], home).stdout)
    assert len(board) == 12
    values = [j["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for j in board]
    assert values == sorted(values, reverse=True)
    for job in board:
        assert job["TrainingJobStatus"] == "Completed"
        assert job["ObjectiveStatus"] == "Succeeded"
        assert set(job["TunedHyperParameters"]) == {"alpha", "l1_ratio", "loss"}
        assert job["TrainingJobName"].startswith("quickstart-")
        assert 0.5 < job["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] <= 1.0
        model = home / "jobs" / "quickstart" / job["TrainingJobName"] / "model" / "model.pkl"
        assert model.is_file()

    described = json.loads(run_cli(["describe", "quickstart"], home).stdout)
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["TrainingJobStatusCounters"]["Completed"] == 12
    assert described["BestTrainingJob"]["TrainingJobName"] == board[0]["TrainingJobName"]
    assert described["HyperParameterTuningJobConfig"]["Strategy"] == "Bayesian"
    consumed = described["ConsumedResources"]
    assert consumed["BillableTimeInSeconds"] == sum(j["BillableTimeInSeconds"] for j in board)
    assert consumed["Pricing"]["PricedAs"] == "ml.m5.xlarge"  # local runs: cloud equivalent
    assert consumed["EstimatedCostUSD"] == pytest.approx(
        sum(j["EstimatedCostUSD"] for j in board), abs=1e-5
    )

    rows = list(
        csv.DictReader(
            io.StringIO(
                run_cli(["leaderboard", "quickstart", "--format", "csv", "--top", "3"], home).stdout
            )
        )
    )
    assert [r["TrainingJobName"] for r in rows] == [j["TrainingJobName"] for j in board[:3]]

    logs = run_cli(["logs", "quickstart", "1"], home).stdout
    assert "validation:accuracy=" in logs
    listing = run_cli(["list"], home).stdout
    assert "quickstart" in listing and "Completed" in listing


@pytest.mark.timeout(120)
def test_same_seed_same_configurations(tmp_path: Path) -> None:
    home = tmp_path / "home"
    spec = write_spec(tmp_path / "s", QUADRATIC, estimator={"hyperparameters": {"epochs": 2}})
    for name in ("first", "second"):
        result = run_cli(["tune", str(spec), "--name", name], home)
        assert result.returncode == 0, result.stderr
    configs = []
    for name in ("first", "second"):
        board = json.loads(run_cli(["leaderboard", name, "--format", "json"], home).stdout)
        configs.append(sorted(j["TunedHyperParameters"]["x"] for j in board))
    assert configs[0] == configs[1]
    board = json.loads(run_cli(["leaderboard", "first", "--format", "json"], home).stdout)
    best = board[0]
    x = float(best["TunedHyperParameters"]["x"])
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == pytest.approx(
        (x - 1) ** 2 + 0.5, abs=1e-5
    )


@pytest.mark.timeout(60)
def test_invalid_spec_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    spec = write_spec(
        tmp_path / "s",
        QUADRATIC,
        metric_definitions=[{"Name": "loss", "Regex": "loss=[0-9.]+"}],
        max_parallel_jobs=0,
    )
    result = run_cli(["tune", str(spec)], home)
    assert result.returncode == 3
    assert "max_parallel_jobs" in result.stderr
    assert "Nothing was created" in result.stderr
    fixed = write_spec(
        tmp_path / "s", QUADRATIC, metric_definitions=[{"Name": "loss", "Regex": "loss=[0-9.]+"}]
    )
    result = run_cli(["tune", str(fixed)], home)
    assert result.returncode == 3
    assert "metric_definitions[0].Regex" in result.stderr
    assert "exactly one capture group" in result.stderr
    db = home / "tunesmith.db"
    if db.exists():
        with sqlite3.connect(db) as conn:
            assert conn.execute("select count(*) from tuning_jobs").fetchone()[0] == 0
    missing = run_cli(["describe", "nope"], home)
    assert missing.returncode == 1
    assert "Could not find hyper parameter tuning job 'nope'" in missing.stderr


def _wait_for_running(home: Path, name: str, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = run_cli(["describe", name], home)
        if result.returncode == 0:
            counters = json.loads(result.stdout)["TrainingJobStatusCounters"]
            if counters["InProgress"] >= count:
                return
        time.sleep(0.3)
    raise AssertionError(f"{name} never had {count} running jobs")


def _start_tune(spec: Path, home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "tune", str(spec)],
        env=cli_env(home),
        stdin=subprocess.DEVNULL,  # not a terminal: Ctrl-C stops without asking
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.timeout(120)
def test_stop_from_another_process(tmp_path: Path) -> None:
    home = tmp_path / "home"
    spec = write_spec(tmp_path / "s", SLOW, max_jobs=6, max_parallel_jobs=2)
    tune = _start_tune(spec, home)
    try:
        _wait_for_running(home, "job", 2)
        stop = run_cli(["stop", "job"], home)
        assert stop.returncode == 0, stop.stderr
        out, err = tune.communicate(timeout=60)
    finally:
        tune.kill()
    assert tune.returncode == 2, out + err
    described = json.loads(run_cli(["describe", "job"], home).stdout)
    assert described["HyperParameterTuningJobStatus"] == "Stopped"
    assert described["TrainingJobStatusCounters"]["Stopped"] == 2
    assert described["TrainingJobStatusCounters"]["InProgress"] == 0
    board = json.loads(run_cli(["leaderboard", "job", "--format", "json"], home).stdout)
    assert len(board) == 2  # nothing launched after the stop
    for job in board:  # a stopped job is ranked on its last objective
        assert job["ObjectiveStatus"] == "Succeeded"


@pytest.mark.timeout(120)
def test_ctrl_c_stops_cleanly_and_leaves_no_process(tmp_path: Path) -> None:
    home = tmp_path / "home"
    spec = write_spec(tmp_path / "s", SLOW, max_jobs=4, max_parallel_jobs=2)
    tune = _start_tune(spec, home)
    try:
        _wait_for_running(home, "job", 2)
        pids = _pids(home)
        tune.send_signal(signal.SIGINT)
        out, err = tune.communicate(timeout=60)
    finally:
        tune.kill()
    assert tune.returncode == 2, out + err
    assert "Stopping the running training jobs" in err
    described = json.loads(run_cli(["describe", "job"], home).stdout)
    assert described["HyperParameterTuningJobStatus"] == "Stopped"
    assert described["TrainingJobStatusCounters"]["Stopped"] == 2
    for pid in pids:
        assert not _alive(pid), f"training process {pid} survived Ctrl-C"


def _pids(home: Path) -> list[int]:
    with sqlite3.connect(home / "tunesmith.db") as conn:
        return [row[0] for row in conn.execute("select pid from training_jobs") if row[0]]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:  # a zombie is not alive
        return handle.read().split()[2] != "Z"


STEADY = r"""
import time
for step in range(4):
    print(f"loss={1.0 / (step + 1)}", flush=True)
    time.sleep(0.5)
"""


@pytest.mark.timeout(180)
def test_kill_9_controller_then_resume(tmp_path: Path) -> None:
    """The training processes outlive their controller and the resume adopts them: no second
    attempt, the same pid, every metric of the log stored exactly once."""
    home = tmp_path / "home"
    estimator = {"max_retry_attempts": 2}  # a retry would show as a second attempt
    slow = STEADY.replace("0.5)", "1.5)")  # long enough to outlive the controller's restart
    spec = write_spec(tmp_path / "s", slow, max_jobs=5, max_parallel_jobs=2, estimator=estimator)
    tune = _start_tune(spec, home)
    try:
        _wait_for_row(home, "select count(*) from training_jobs where pid > 0", count=2)
        with sqlite3.connect(home / "tunesmith.db") as conn:
            running = dict(conn.execute("select name, pid from training_jobs where pid > 0"))
        tune.send_signal(signal.SIGKILL)
        tune.wait(timeout=10)
    finally:
        tune.kill()
    resumed = run_cli(["resume", "job"], home, timeout=120)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    for pid in running.values():
        assert not _alive(pid), "a training process was left running"
    board = json.loads(run_cli(["leaderboard", "job", "--format", "json"], home).stdout)
    names = [j["TrainingJobName"] for j in board]
    assert len(names) == len(set(names)) == 5  # the budget, no job counted twice
    with sqlite3.connect(home / "tunesmith.db") as conn:
        rows = conn.execute("select name, status, attempts, pid, log_path from training_jobs")
        jobs = {r[0]: r[1:] for r in rows}
        events = conn.execute(
            "select training_job_name, value from metric_events where metric_name = 'loss' "
            "order by id"
        ).fetchall()
    assert running and set(running) <= set(jobs)
    for name, (status, attempts, pid, log_path) in jobs.items():
        assert (status, attempts) == ("Completed", 1), (name, status, attempts)
        if name in running:
            assert pid == running[name]  # adopted: the same process went on
        logged = [float(v) for v in re.findall(r"loss=(\S+)", Path(log_path).read_text())]
        stored = [value for job, value in events if job == name]
        assert stored == logged == [1.0, 0.5, 1.0 / 3, 0.25], name


@pytest.mark.timeout(120)
def test_tune_refuses_a_doctor_error_unless_overridden(tmp_path: Path) -> None:
    home = tmp_path / "home"
    spec = write_spec(
        tmp_path / "s",
        "print('accuracy=0.5')\n",
        objective_metric_name="accuracy",
        objective_type="Minimize",
        metric_definitions=[{"Name": "accuracy", "Regex": r"accuracy=(\S+)"}],
        max_jobs=1,
    )
    refused = run_cli(["tune", str(spec)], home)
    assert refused.returncode == 3
    assert "objective-direction" in refused.stderr and "Refusing to start" in refused.stderr
    assert run_cli(["describe", "job"], home).returncode == 1  # nothing was created
    forced = run_cli(["tune", str(spec), "--ignore-findings"], home)
    assert forced.returncode == 0, forced.stderr


@pytest.mark.timeout(240)
def test_bayesian_two_at_a_time_with_real_processes(tmp_path: Path) -> None:
    """Bayesian with max_parallel_jobs 2 through the local executor: distinct proposals while
    jobs run, and the model's later proposals beat its initial design."""
    home = tmp_path / "home"
    spec = write_spec(
        tmp_path / "s",
        QUADRATIC,
        strategy="Bayesian",
        max_jobs=16,
        max_parallel_jobs=2,
        estimator={"hyperparameters": {"epochs": 1}},
    )
    result = run_cli(["tune", str(spec)], home, timeout=220)
    assert result.returncode == 0, result.stdout + result.stderr
    board = json.loads(run_cli(["leaderboard", "job", "--format", "json"], home).stdout)
    assert len(board) == 16
    xs = [float(j["TunedHyperParameters"]["x"]) for j in board]
    assert len(set(xs)) == 16  # pending jobs were accounted for: no duplicate proposals
    best = board[0]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    assert best < 1.0 + 0.05  # (x - 1)^2 + 1 at epoch 1: the optimum is 1.0 at x = 1


THREE_REPORTS = r"""
import time
for step in range(3):
    print(f"loss={1.0 / (step + 1)}", flush=True)
    time.sleep(0.1)
"""


@pytest.mark.timeout(300)
@pytest.mark.parametrize("delay", [0.0, 0.25, 0.7])
def test_kill_9_at_different_moments_loses_and_doubles_nothing(
    tmp_path: Path, delay: float
) -> None:
    """The controller is killed at a different phase each time (launching, writing, between
    jobs); after resume the store agrees with the logs: no job twice, no metric lost."""
    home = tmp_path / "home"
    spec = write_spec(
        tmp_path / "s",
        THREE_REPORTS,
        max_jobs=8,
        max_parallel_jobs=2,
        estimator={"max_retry_attempts": 2},
    )
    tune = _start_tune(spec, home)
    try:
        _wait_for_row(home, "select count(*) from tuning_jobs")
        time.sleep(delay)
        tune.send_signal(signal.SIGKILL)
        tune.wait(timeout=10)
    finally:
        tune.kill()
    resumed = run_cli(["resume", "job"], home, timeout=200)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    with sqlite3.connect(home / "tunesmith.db") as conn:
        jobs = conn.execute(
            "select name, status, attempts, log_path from training_jobs order by ordinal"
        ).fetchall()
        events = conn.execute(
            "select training_job_name, attempt, value from metric_events where metric_name='loss'"
        ).fetchall()
    assert len(jobs) == len({j[0] for j in jobs}) == 8
    for name, status, attempts, log_path in jobs:
        assert status == "Completed", (name, status)
        mine = [value for job, attempt, value in events if job == name and attempt == attempts]
        assert mine == [1.0, 0.5, 1.0 / 3], (name, attempts, mine)
        assert Path(log_path).read_text().count("loss=") >= 3  # the log keeps every attempt


def _wait_for_row(home: Path, query: str, timeout: float = 30, count: int = 1) -> None:
    """Wait until ``query`` (a count) reaches ``count`` in the store."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(home / "tunesmith.db", timeout=5) as conn:
                if conn.execute(query).fetchone()[0] >= count:
                    return
        except sqlite3.OperationalError:
            pass  # the file or the table is not there yet
        time.sleep(0.02)
    raise AssertionError(f"nothing matched {query!r} within {timeout} s")
