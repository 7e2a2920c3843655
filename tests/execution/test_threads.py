"""The supervisor threads are reused, and a busy thread never delays another task."""

from __future__ import annotations

import threading
import time

from tunesmith.execution.threads import ThreadReuser


def wait_idle(pool: ThreadReuser, count: int) -> None:
    deadline = time.monotonic() + 10
    while pool.idle_threads != count and time.monotonic() < deadline:
        time.sleep(0.005)
    assert pool.idle_threads == count


def test_tasks_reuse_idle_threads_and_never_wait_for_busy_ones() -> None:
    pool = ThreadReuser("test", max_idle=2)
    release = threading.Event()
    started = threading.Semaphore(0)
    names: list[str] = []

    def blocked() -> None:
        names.append(threading.current_thread().name)
        started.release()
        release.wait(10)

    for _ in range(3):  # three long tasks at once: each gets its own thread
        pool.run(blocked)
    for _ in range(3):
        assert started.acquire(timeout=10), "a task waited for a busy thread"
    assert len(set(names)) == 3
    release.set()
    wait_idle(pool, 2)  # at most max_idle threads are kept

    done = threading.Semaphore(0)
    later: list[str] = []

    def quick() -> None:
        later.append(threading.current_thread().name)
        done.release()

    # Later tasks, one at a time, run on the idle threads: no new thread is started.
    for _ in range(20):
        pool.run(quick)
        assert done.acquire(timeout=10)
        wait_idle(pool, 2)
    assert set(later) <= set(names)


def test_a_failing_task_does_not_take_its_thread_down() -> None:
    pool = ThreadReuser("test-fail", max_idle=1)
    done = threading.Event()

    def boom() -> None:
        raise RuntimeError("boom")

    pool.run(boom)
    pool.run(done.set)
    assert done.wait(10)
