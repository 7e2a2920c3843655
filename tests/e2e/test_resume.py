"""Resume after the controller is gone, with real processes and a real SQLite file: training
processes still running are adopted (same pid, same attempt, every metric stored exactly
once, checked against the log files); those that died are retried per RetryStrategy."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import CLI, cli_env, write_spec

# Prints loss=1.0, then waits for gate "a" (or "<job name>-a"), prints loss=0.5, waits for
# gate "b", prints loss=0.25 and exits. Gates let a test decide what happens while no
# controller runs.
GATED = r"""
import os, time
gates, name = os.environ["GATES"], os.environ["TRAINING_JOB_NAME"]
def wait(stage):
    while not any(os.path.exists(os.path.join(gates, g)) for g in (stage, f"{name}-{stage}")):
        time.sleep(0.02)
print("loss=1.0", flush=True)
wait("a")
print("loss=0.5", flush=True)
wait("b")
print("loss=0.25", flush=True)
"""


_EVENTS = "select count(*) from metric_events"


def _spec(tmp_path: Path, gates: Path, max_jobs: int, retries: int = 0) -> Path:
    gates.mkdir(parents=True, exist_ok=True)
    estimator: dict[str, object] = {"environment": {"GATES": str(gates)}}
    if retries:
        estimator["max_retry_attempts"] = retries
    return write_spec(
        tmp_path / "s", GATED, max_jobs=max_jobs, max_parallel_jobs=2, estimator=estimator
    )


def _cli(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *args],
        env=cli_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _query(home: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(home / "tunesmith.db", timeout=10) as conn:
        return conn.execute(sql).fetchall()


def _wait_until(what: str, check, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (sqlite3.OperationalError, OSError):
            pass  # not there yet
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _count(home: Path, sql: str) -> int:
    return int(_query(home, sql)[0][0])


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _jobs(home: Path) -> dict[str, tuple[str, int, int | None, str | None, str]]:
    rows = _query(
        home,
        "select name, status, attempts, pid, failure_kind, log_path from training_jobs "
        "order by ordinal",
    )
    return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}


def _losses(home: Path, name: str, attempt: int) -> list[float]:
    rows = _query(
        home,
        "select value from metric_events where metric_name = 'loss' and "
        f"training_job_name = '{name}' and attempt = {attempt} order by id",
    )
    return [r[0] for r in rows]


def _logged(log_path: str) -> list[float]:
    return [float(v) for v in re.findall(r"loss=(\S+)", Path(log_path).read_text())]


def _finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        process.kill()
    return process.returncode, out + err


@pytest.mark.timeout(240)
@pytest.mark.parametrize("retries", [0, 2])
def test_kill_9_adopts_running_jobs_and_retries_dead_ones(tmp_path: Path, retries: int) -> None:
    home, gates = tmp_path / "home", tmp_path / "gates"
    tune = _cli(home, "tune", str(_spec(tmp_path, gates, max_jobs=3, retries=retries)))
    try:
        _wait_until("both first metrics", lambda: _count(home, _EVENTS) >= 2)
        before = _jobs(home)
        pids = {name: job[2] for name, job in before.items()}
        assert len(pids) == 2 and all(pids.values())
        tune.send_signal(signal.SIGKILL)
        tune.wait(timeout=10)
    finally:
        tune.kill()
    assert all(_alive(pid) for pid in pids.values()), "training died with its controller"
    victim, survivor = sorted(pids)
    os.killpg(pids[victim], signal.SIGKILL)  # dies while no controller runs
    _wait_until("the victim to die", lambda: not _alive(pids[victim]))
    (gates / "a").touch()  # the survivor prints while no controller runs
    _wait_until("the survivor's second line", lambda: _logged(before[survivor][4]) == [1.0, 0.5])

    resume = _cli(home, "resume", "job")
    gone = "attempts > 1" if retries else "failure_kind = 'RetryableError'"
    recovered = f"select count(*) from training_jobs where {gone}"
    _wait_until("the resume to recover the victim", lambda: _count(home, recovered) == 1)
    (gates / "b").touch()
    code, output = _finish(resume)
    assert code == 0, output

    after = _jobs(home)
    assert len(after) == 3  # the budget, no job counted twice
    status, attempts, pid, _, log_path = after[survivor]
    assert (status, attempts, pid) == ("Completed", 1, pids[survivor])  # adopted, not rerun
    assert _losses(home, survivor, 1) == _logged(log_path) == [1.0, 0.5, 0.25]
    status, attempts, _, kind, log_path = after[victim]
    assert _losses(home, victim, 1) == [1.0]  # what it printed before it died
    if retries:
        assert (status, attempts) == ("Completed", 2)
        assert _losses(home, victim, 2) == [1.0, 0.5, 0.25]
        assert _logged(log_path) == [1.0, 1.0, 0.5, 0.25]  # both attempts, in one log
    else:
        assert (status, attempts, kind) == ("Failed", 1, "RetryableError")
    third = next(n for n in after if n not in pids)
    assert after[third][:2] == ("Completed", 1)
    assert not any(_alive(p) for p in pids.values())


def _tune_then_leave(tmp_path: Path) -> tuple[Path, Path, dict[str, int], str]:
    """Run a 2-job tuning job, Ctrl-C it with "leave" once both jobs reported a metric:
    (home, gates, pid of each training job, the CLI's output)."""
    home, gates = tmp_path / "home", tmp_path / "gates"
    tune = _cli(home, "tune", str(_spec(tmp_path, gates, max_jobs=2)), "--on-interrupt", "leave")
    try:
        _wait_until("both first metrics", lambda: _count(home, _EVENTS) >= 2)
        pids = {name: job[2] for name, job in _jobs(home).items()}
        tune.send_signal(signal.SIGINT)
        code, output = _finish(tune, timeout=60)
    finally:
        tune.kill()
    assert code == 4, output
    return home, gates, pids, output


@pytest.mark.timeout(240)
def test_ctrl_c_leave_then_resume_adopts(tmp_path: Path) -> None:
    home, gates, pids, output = _tune_then_leave(tmp_path)
    assert "Left 2 training job(s) running" in output
    assert all(_alive(pid) for pid in pids.values())
    assert _query(home, "select status, lease_owner from tuning_jobs") == [("InProgress", None)]
    assert {job[0] for job in _jobs(home).values()} == {"InProgress"}

    early, late = sorted(pids)
    (gates / f"{early}-a").touch()  # this one ends while no controller runs
    (gates / f"{early}-b").touch()
    _wait_until("the early job to end", lambda: not _alive(pids[early]))

    resume = _cli(home, "resume", "job")
    completed = "select count(*) from training_jobs where status = 'Completed'"
    _wait_until("the resume to take over", lambda: _count(home, completed) == 1)
    assert _alive(pids[late])
    (gates / "a").touch()
    (gates / "b").touch()
    code, output = _finish(resume)
    assert code == 0, output
    for name, job in _jobs(home).items():
        status, attempts, pid, _, log_path = job
        assert (status, attempts, pid) == ("Completed", 1, pids[name]), name
        assert _losses(home, name, 1) == _logged(log_path) == [1.0, 0.5, 0.25], name
    assert not any(_alive(p) for p in pids.values())


@pytest.mark.timeout(120)
def test_stop_after_leave_ends_the_left_processes(tmp_path: Path) -> None:
    home, _, by_name, _ = _tune_then_leave(tmp_path)
    pids = list(by_name.values())
    assert all(pid and _alive(pid) for pid in pids)
    stop = _cli(home, "stop", "job")
    code, output = _finish(stop, timeout=60)
    assert code == 0, output
    assert not any(pid and _alive(pid) for pid in pids)
    assert {job[0] for job in _jobs(home).values()} == {"Stopped"}


class _Stdin:
    def __init__(self, answer: str) -> None:
        self.answer = answer

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return self.answer


@pytest.mark.parametrize(
    ("flag", "tty_answer", "detachable", "expected"),
    [
        ("ask", "l\n", True, "leave"),
        ("ask", "\n", True, "stop"),
        ("ask", None, True, "stop"),  # not a terminal: no question
        ("leave", None, True, "leave"),
        ("leave", None, False, "stop"),  # an executor whose jobs cannot outlive it
        ("stop", "l\n", True, "stop"),
    ],
)
def test_the_first_ctrl_c_choice(
    monkeypatch: pytest.MonkeyPatch,
    flag: str,
    tty_answer: str | None,
    detachable: bool,
    expected: str,
) -> None:
    from types import SimpleNamespace

    from rich.console import Console

    from tunesmith.cli import app
    from tunesmith.cli.progress_view import ProgressView

    executor = SimpleNamespace(detach_all=lambda: []) if detachable else SimpleNamespace()
    controller = SimpleNamespace(executor=executor, name="job")
    if tty_answer is not None:
        monkeypatch.setattr(app.sys, "stdin", _Stdin(tty_answer))
    else:
        monkeypatch.setattr(app.sys, "stdin", SimpleNamespace(isatty=lambda: False))
    view = ProgressView(Console(file=open(os.devnull, "w")))  # noqa: SIM115
    choice = app._choose(app.OnInterrupt(flag), controller, view)  # type: ignore[arg-type]
    assert choice == expected


def test_resume_offset_skips_exactly_the_stored_matches(tmp_path: Path) -> None:
    from tunesmith.metrics import MetricParser
    from tunesmith.orchestrator.recovery import resume_offset

    parser = MetricParser([("loss", r"loss=(\S+)"), ("acc", r"acc=(\S+)")])
    earlier = b"attempt 1: loss=9\n"  # an earlier attempt's output, before this one's start
    mine = b"start\nloss=1 acc=0.1\r\nnoise\nloss=0.5\rloss=0.4 acc=0.2\npartial loss=0.3"
    log = tmp_path / "training.log"
    log.write_bytes(earlier + mine)
    start = len(earlier)
    ends = {
        0: start,
        2: start + len(b"start\nloss=1 acc=0.1\r\n"),
        3: start + len(b"start\nloss=1 acc=0.1\r\nnoise\nloss=0.5\r"),
        5: start + len(b"start\nloss=1 acc=0.1\r\nnoise\nloss=0.5\rloss=0.4 acc=0.2\n"),
    }
    for stored, expected in ends.items():
        assert resume_offset(log, start, parser, stored) == expected, stored
    # The unterminated last line counts too (it was delivered when its process ended).
    assert resume_offset(log, start, parser, 6) == len(earlier + mine)


@pytest.mark.timeout(180)
def test_a_stop_reaches_adopted_jobs(tmp_path: Path) -> None:
    home, _, by_name, _ = _tune_then_leave(tmp_path)
    pids = list(by_name.values())
    resume = _cli(home, "resume", "job")
    owned = "select count(*) from tuning_jobs where lease_owner is not null"
    _wait_until("the resume to take over", lambda: _count(home, owned) == 1)
    time.sleep(0.5)  # past the recovery: the jobs are adopted
    stop = _cli(home, "stop", "job")
    assert _finish(stop, timeout=60)[0] == 0
    code, output = _finish(resume)
    assert code == 2, output  # Stopped
    assert not any(pid and _alive(pid) for pid in pids)
    for name, job in _jobs(home).items():
        assert job[:2] == ("Stopped", 1), name
        assert _losses(home, name, 1) == [1.0], name  # stored once, before and after the resume
