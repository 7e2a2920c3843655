"""A second executor takes over jobs the first one let go of (or lost): the same processes, the
log read on from a given offset, and an honest account of how they ended."""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from pathlib import Path

import pytest

from tunesmith.execution import jobdir
from tunesmith.execution.base import JobExited, JobStarted, LogLine, OrphanQuery
from tunesmith.execution.local import LocalExecutor

from .test_local_executor import Recorder, _alive, script_request

pytestmark = pytest.mark.timeout(60)

GATED = """
import os, sys, time
gate = os.path.join(os.environ["SM_MODEL_DIR"], "..", "gate")
print("loss=1.0", flush=True)
while not os.path.exists(gate):
    time.sleep(0.01)
print("loss=0.5", flush=True)
{tail}
"""


def _query(request, pid: int | None = None) -> OrphanQuery:  # type: ignore[no-untyped-def]
    layout = jobdir.job_layout(request)
    return OrphanQuery(
        request.training_job_name, request.attempt, layout.log_file, layout.state_file, pid
    )


def _gate(request) -> Path:  # type: ignore[no-untyped-def]
    return Path(request.job_dir) / "gate"


def _left_running(tmp_path: Path, tail: str = "", **extra: object):  # type: ignore[no-untyped-def]
    """A job launched by one executor, which then lets go of it after its first line."""
    request = script_request(tmp_path, GATED.format(tail=tail), **extra)
    first = LocalExecutor(stop_grace_seconds=1.0)
    recorder = Recorder()
    job = first.launch(request, recorder)
    recorder.wait_line("loss=1.0")
    assert first.detach_all() == [request.training_job_name]
    first.close()  # stops nothing: the job was let go
    assert job.pid is not None and _alive(job.pid)
    assert not any(isinstance(e, JobExited) for e in recorder.events)
    return request, job.pid


def _replay(query: OrphanQuery, request, resume: int):  # type: ignore[no-untyped-def]
    """A new executor finds a job whose process already ended and replays it from ``resume``:
    (the orphan found, the events replayed, the exit)."""
    executor = LocalExecutor(stop_grace_seconds=1.0)
    try:
        orphan = executor.find_orphans([query])[request.training_job_name]
        recorder = Recorder()
        executor.adopt(request, orphan, resume, recorder)
        return orphan, recorder, recorder.exited()
    finally:
        executor.close()


def test_a_detached_job_runs_on_and_is_adopted(tmp_path: Path) -> None:
    request, pid = _left_running(tmp_path)
    second = LocalExecutor(stop_grace_seconds=1.0)
    try:
        orphans = second.find_orphans([_query(request)])  # found by scanning, no pid hint
        orphan = orphans[request.training_job_name]
        assert orphan.pid == pid and orphan.log_start == 0 and orphan.deadline is not None
        resume = len(b"loss=1.0\n")  # the first line was handled already
        recorder = Recorder()
        second.adopt(request, orphan, resume, recorder)
        _gate(request).touch()
        exited = recorder.exited()
    finally:
        second.close()
    started = [e for e in recorder.events if isinstance(e, JobStarted)]
    assert [e.pid for e in started] == [pid]
    assert recorder.lines() == ["loss=0.5"]  # not the first line again
    assert exited.exit_code == 0 and not exited.exit_status_known
    assert not _alive(pid)


def test_an_adopted_job_can_be_stopped(tmp_path: Path) -> None:
    request, pid = _left_running(tmp_path)
    second = LocalExecutor(stop_grace_seconds=1.0)
    try:
        orphan = second.find_orphans([_query(request, pid)])[request.training_job_name]
        recorder = Recorder()
        job = second.adopt(request, orphan, orphan.log_start, recorder)
        recorder.wait_line("loss=1.0")
        second.stop(job)
        exited = recorder.exited()
    finally:
        second.close()
    assert exited.stop_requested and exited.exit_code is None
    assert not _alive(pid)


def test_an_adopted_job_keeps_its_runtime_limit(tmp_path: Path) -> None:
    request, pid = _left_running(tmp_path, max_runtime=2)
    second = LocalExecutor(stop_grace_seconds=1.0)
    try:
        orphan = second.find_orphans([_query(request, pid)])[request.training_job_name]
        assert orphan.deadline is not None and orphan.deadline - orphan.started == pytest.approx(2)
        recorder = Recorder()
        second.adopt(request, orphan, orphan.log_start, recorder)
        exited = recorder.exited(timeout=20)
    finally:
        second.close()
    assert exited.timed_out
    assert time.time() >= orphan.deadline


def test_an_adopted_job_that_crashes_is_a_failure(tmp_path: Path) -> None:
    request, pid = _left_running(tmp_path, tail="raise ValueError('diverged')")
    second = LocalExecutor(stop_grace_seconds=1.0)
    try:
        orphan = second.find_orphans([_query(request, pid)])[request.training_job_name]
        recorder = Recorder()
        second.adopt(request, orphan, orphan.log_start, recorder)
        _gate(request).touch()
        exited = recorder.exited()
    finally:
        second.close()
    assert exited.exit_code is None and not exited.exit_status_known
    assert exited.failure_text is not None
    assert exited.failure_text.startswith("AlgorithmError")
    assert "ValueError: diverged" in exited.failure_text


def test_a_left_job_that_ended_unobserved_is_replayed(tmp_path: Path) -> None:
    request, pid = _left_running(tmp_path)
    _gate(request).touch()
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    orphan, recorder, exited = _replay(_query(request, pid), request, len(b"loss=1.0\n"))
    assert orphan.pid is None and orphan.ended is not None and orphan.ended.left
    assert recorder.lines() == ["loss=0.5"]
    assert exited.exit_code == 0 and not exited.exit_status_known


def test_an_exit_recorded_before_the_controller_died_is_exact(tmp_path: Path) -> None:
    """The supervisor saw the exit but the controller died before storing it."""
    request = script_request(
        tmp_path, "print('loss=1.0')\nprint('loss=0.5')\nraise SystemExit(3)\n"
    )
    first = LocalExecutor()
    recorder = Recorder()
    first.launch(request, recorder)
    assert recorder.exited().exit_code == 3
    first.close()
    orphan, replay, exited = _replay(_query(request), request, len(b"loss=1.0\n"))
    assert orphan.pid is None and orphan.ended is not None and orphan.ended.exit_code == 3
    assert replay.lines() == ["loss=0.5"]
    assert exited.exit_code == 3 and exited.exit_status_known
    assert "loss=1.0" in exited.stderr_tail  # the tail includes lines before the resume point


def test_only_the_queried_attempt_is_adopted(tmp_path: Path) -> None:
    request, pid = _left_running(tmp_path)
    second = LocalExecutor()
    try:
        later = dataclasses.replace(request, attempt=2)
        assert second.find_orphans([_query(later, pid)]) == {}
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _alive(pid)  # a leftover of an earlier attempt is killed
    finally:
        second.close()
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)


def test_lines_arrive_as_written_not_on_an_interval(tmp_path: Path) -> None:
    request = script_request(tmp_path, GATED.format(tail=""))
    executor = LocalExecutor()
    try:
        recorder = Recorder()
        executor.launch(request, recorder)
        recorder.wait_line("loss=1.0")
        touched = time.monotonic()
        _gate(request).touch()
        recorder.wait_line("loss=0.5")
        assert time.monotonic() - touched < 5
        assert all(e.stream == "output" for e in recorder.events if isinstance(e, LogLine))
        recorder.exited()
    finally:
        executor.close()
