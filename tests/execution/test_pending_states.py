"""An ended attempt's state file is written only when the store does not get its end in time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tunesmith.execution.jobstate import JobState, PendingStates, read_state
from tunesmith.execution.local import LocalExecutor

from .test_local_executor import Recorder, script_request

pytestmark = pytest.mark.timeout(30)


def _ended(attempt: int = 1, exit_code: int = 0) -> JobState:
    return JobState(attempt, 1234, 0, 1.0, None, ended=2.0, exit_code=exit_code)


def test_a_state_whose_end_was_stored_is_never_written(tmp_path: Path) -> None:
    pending = PendingStates(delay=0.05)
    state = _ended()
    pending.add(tmp_path / "state.json", state)
    pending.discard(tmp_path / "state.json", state)
    time.sleep(0.3)
    pending.close()
    assert not (tmp_path / "state.json").exists()


def test_a_state_nobody_vouched_for_is_written_when_due(tmp_path: Path) -> None:
    pending = PendingStates(delay=0.05)
    pending.add(tmp_path / "state.json", _ended(exit_code=3))
    deadline = time.monotonic() + 5
    while not (tmp_path / "state.json").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    state = read_state(tmp_path / "state.json")
    assert state is not None and state.exit_code == 3
    pending.close()


def test_word_about_an_earlier_attempt_keeps_the_later_one(tmp_path: Path) -> None:
    pending = PendingStates(delay=60)
    first, second = _ended(attempt=1), _ended(attempt=2, exit_code=1)
    pending.add(tmp_path / "state.json", first)
    pending.add(tmp_path / "state.json", second)
    pending.discard(tmp_path / "state.json", first)
    pending.flush()  # what a closing executor does
    state = read_state(tmp_path / "state.json")
    assert state is not None and state.attempt == 2


def test_the_executor_skips_the_file_once_told_the_end_is_stored(tmp_path: Path) -> None:
    request = script_request(tmp_path, "print('loss=0.5')\n")
    executor = LocalExecutor()
    recorder = Recorder()
    try:
        job = executor.launch(request, recorder)
        assert recorder.exited().exit_code == 0
        job.wait(5)
        executor.end_recorded(job)
    finally:
        executor.close()
    assert not (Path(request.job_dir) / "logs" / ".supervisor.json").exists()
