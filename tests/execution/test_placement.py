"""FreedCores with real processes: where the thread that starts them is bound, and where it
waits from."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from tunesmith.execution.placement import FreedCores, last_cpu

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def cores() -> Iterator[set[int]]:
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("no CPU affinity calls on this platform")
    mine = os.sched_getaffinity(0)
    if len(mine) < 2:
        pytest.skip("needs a machine with at least two cores")
    yield mine
    os.sched_setaffinity(0, mine)


def this_threads_core() -> int | None:
    return last_cpu(threading.get_native_id())  # /proc/<tid>/stat: where it runs now


def ended_on(core: int, keep: list[subprocess.Popen[bytes]]) -> int:
    """A process that ran on ``core`` and exited, not yet reaped (as FreedCores sees an exit);
    kept in ``keep`` (a Popen that is let go of reaps its process)."""
    code = f"import os; os.sched_setaffinity(0, {{{core}}}); sum(range(10**5))"
    proc = subprocess.Popen([sys.executable, "-c", code])
    keep.append(proc)
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    assert last_cpu(proc.pid) == core
    return proc.pid


def sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(20)"])


def test_the_thread_waits_from_the_core_of_the_oldest_process_it_started(
    cores: set[int],
) -> None:
    first, second = sorted(cores)[:2]
    placement = FreedCores(cores)
    running: list[subprocess.Popen[bytes]] = []
    try:
        placement.exited(ended_on(first, running))  # an exit frees `first`: the thread goes there
        assert os.sched_getaffinity(0) == {first}
        oldest = sleeper()  # ...and so does the process it starts
        running.append(oldest)
        placement.started(oldest.pid)
        assert os.sched_getaffinity(0) == cores  # both get every core back
        assert os.sched_getaffinity(oldest.pid) == cores

        placement.exited(ended_on(second, running))
        running.append(sleeper())  # started on `second`
        placement.started(running[-1].pid)
        placement.before_wait()
        assert os.sched_getaffinity(0) == cores
        assert this_threads_core() == first  # the oldest one's core: it ends first

        oldest.kill()  # the oldest ends: the next oldest's core is where to wait
        os.waitid(os.P_PID, oldest.pid, os.WEXITED | os.WNOWAIT)
        placement.exited(oldest.pid)
        placement.let_go()  # nothing to start this time
        placement.before_wait()
        assert this_threads_core() == second
        assert os.sched_getaffinity(0) == cores
    finally:
        for proc in running:
            proc.kill()
            proc.wait()


def test_nothing_started_on_a_freed_core_leaves_the_thread_where_it_is(cores: set[int]) -> None:
    placement = FreedCores(cores)
    calls: list[object] = []
    real = os.sched_setaffinity
    try:
        os.sched_setaffinity = lambda pid, mask: calls.append((pid, mask))  # type: ignore[assignment]
        placement.before_wait()
    finally:
        os.sched_setaffinity = real
    assert calls == []  # no process of its own running: no move, no call
    assert os.sched_getaffinity(0) == cores
