"""The job loop: one thread follows every job, the driving thread's or a background one."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tunesmith.execution import filewatch
from tunesmith.execution import loop as job_loop
from tunesmith.execution.base import JobExited, JobStarted, LogLine
from tunesmith.execution.local import LocalExecutor

from .test_local_executor import Recorder, script_request

pytestmark = pytest.mark.timeout(30)

PRINT_AFFINITY = """
import json, os
print("cores=" + json.dumps(sorted(os.sched_getaffinity(0))), flush=True)
"""


@pytest.fixture
def driven() -> Iterator[LocalExecutor]:
    """An executor whose loop this (the test's) thread drives."""
    executor = LocalExecutor(stop_grace_seconds=1)
    assert executor.drive()
    yield executor
    executor.release()
    executor.close()


def multi_core() -> set[int]:
    cores = os.sched_getaffinity(0)
    if len(cores) < 2:
        pytest.skip("needs a machine with at least two cores")
    return cores


def pump_until_done(executor: LocalExecutor, recorder: Recorder, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not any(isinstance(e, JobExited) for e in recorder.events):
        assert time.monotonic() < deadline, recorder.events
        executor.pump(0.5)


def test_a_driven_executor_starts_the_process_in_launch_and_reports_on_the_driving_thread(
    tmp_path: Path, driven: LocalExecutor
) -> None:
    executor = driven
    threads: set[int] = set()
    recorder = Recorder()

    def sink(event: object) -> None:
        threads.add(threading.get_ident())
        recorder(event)  # type: ignore[arg-type]

    job = executor.launch(script_request(tmp_path, "print('loss=0.5')\n"), sink)
    assert job.pid is not None  # started before launch returned
    pump_until_done(executor, recorder)
    kinds = [type(e) for e in recorder.events]
    assert kinds[0] is JobStarted and kinds[-1] is JobExited and LogLine in kinds
    assert recorder.lines() == ["loss=0.5"]
    assert recorder.exited().exit_code == 0
    assert threads == {threading.get_ident()}


def test_jobs_running_when_the_driver_lets_go_are_followed_by_a_thread_of_the_loop(
    tmp_path: Path, driven: LocalExecutor
) -> None:
    executor = driven
    recorder = Recorder()
    body = "import time\ntime.sleep(0.5)\nprint('late', flush=True)\n"
    job = executor.launch(script_request(tmp_path, body), recorder)
    executor.release()  # nobody pumps from now on
    assert job.wait(10)
    assert recorder.lines() == ["late"]
    assert recorder.exited().exit_code == 0


def test_the_driving_thread_follows_a_freed_core_then_gives_itself_and_the_next_job_all_cores(
    tmp_path: Path, driven: LocalExecutor
) -> None:
    cores = multi_core()
    executor = driven
    at_exit: list[set[int]] = []
    first = Recorder()

    def sink(event: object) -> None:
        if isinstance(event, JobExited):
            at_exit.append(os.sched_getaffinity(0))
        first(event)  # type: ignore[arg-type]

    executor.launch(script_request(tmp_path, "print('done')\n", name="tune-001-aaaaaaaa"), sink)
    pump_until_done(executor, first)
    assert len(at_exit[0]) == 1 and at_exit[0] <= cores  # bound to the core the job ran on
    second = Recorder()
    request = script_request(tmp_path, PRINT_AFFINITY, name="tune-002-aaaaaaaa", program="a.py")
    executor.launch(request, second)
    assert os.sched_getaffinity(0) == cores  # given back as soon as the next job started
    pump_until_done(executor, second)
    assert json.loads(second.lines()[0].removeprefix("cores=")) == sorted(cores)


def test_a_driver_that_launches_nothing_more_is_not_left_bound_to_one_core(
    tmp_path: Path, driven: LocalExecutor
) -> None:
    cores = os.sched_getaffinity(0)
    executor = driven
    recorder = Recorder()
    executor.launch(script_request(tmp_path, "print('done')\n"), recorder)
    pump_until_done(executor, recorder)
    executor.pump(0.01)  # waiting (for nothing) gives the cores back
    assert os.sched_getaffinity(0) == cores


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_an_idle_loop_ends_its_thread_and_a_closed_executor_keeps_no_descriptor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job_loop, "IDLE_THREAD_SECONDS", 0.1)
    before = _open_descriptors()
    executor = LocalExecutor(stop_grace_seconds=1)  # not driven: its own thread follows jobs
    recorder = Recorder()
    executor.launch(script_request(tmp_path, "print('x')\n"), recorder)
    recorder.exited()
    deadline = time.monotonic() + 10
    while any(t.name == "tunesmith-local-jobs" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the idle loop thread did not end"
        time.sleep(0.02)
    executor.close()
    assert _open_descriptors() == before


def test_a_second_driver_is_refused_while_the_loop_thread_follows_jobs(tmp_path: Path) -> None:
    executor = LocalExecutor(stop_grace_seconds=1)
    recorder = Recorder()
    body = "import time\ntime.sleep(0.3)\nprint('x')\n"
    executor.launch(script_request(tmp_path, body), recorder)  # started by the loop's thread
    assert not executor.drive()  # the caller then just waits for events
    recorder.exited()
    executor.close()


def test_only_one_thread_drives_a_loop(tmp_path: Path, driven: LocalExecutor) -> None:
    executor = driven
    answers: list[bool] = []
    other = threading.Thread(target=lambda: answers.append(executor.drive()))
    other.start()
    other.join(10)
    assert answers == [False]  # a second controller sharing the executor just waits for events
    recorder = Recorder()
    executor.launch(script_request(tmp_path, "print('x')\n"), recorder)
    pump_until_done(executor, recorder)


def test_cores_freed_by_exits_handled_together_go_one_to_each_following_start(
    tmp_path: Path, driven: LocalExecutor
) -> None:
    cores = multi_core()
    gate = tmp_path / "gate"
    body = f"import os, time\nwhile not os.path.exists({str(gate)!r}):\n    time.sleep(0.01)\n"
    executor = driven
    ended = [Recorder(), Recorder()]
    for i, recorder in enumerate(ended):
        name = f"tune-00{i + 1}-aaaaaaaa"
        executor.launch(script_request(tmp_path, body, name=name, program="wait.py"), recorder)
    executor.pump(0.2)  # their starts
    gate.touch()
    time.sleep(1.0)  # both exit while nobody pumps: one round handles both
    executor.pump(0.0)
    assert all(any(isinstance(e, JobExited) for e in r.events) for r in ended)
    assert len(os.sched_getaffinity(0)) == 1  # on the first freed core
    started = [Recorder(), Recorder()]
    for i, recorder in enumerate(started):
        name = f"tune-00{i + 3}-aaaaaaaa"
        request = script_request(tmp_path, PRINT_AFFINITY, name=name, program="a.py")
        executor.launch(request, recorder)
        if i == 0:
            assert len(os.sched_getaffinity(0)) == 1  # moved on to the second freed core
    assert os.sched_getaffinity(0) == cores
    for recorder in started:
        pump_until_done(executor, recorder)
        assert json.loads(recorder.lines()[0].removeprefix("cores=")) == sorted(cores)


def test_without_inotify_the_log_is_read_on_an_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filewatch, "open_inotify", lambda: None)
    executor = LocalExecutor(stop_grace_seconds=1)  # its loop has no inotify
    recorder = Recorder()
    body = "import time\nprint('one', flush=True)\ntime.sleep(0.5)\nprint('two', flush=True)\n"
    executor.launch(script_request(tmp_path, body), recorder)
    recorder.wait_line("one", timeout=5)  # while the process still runs: read on the interval
    assert not any(isinstance(e, JobExited) for e in recorder.events)
    assert recorder.exited().exit_code == 0
    assert recorder.lines() == ["one", "two"]
    executor.close()
