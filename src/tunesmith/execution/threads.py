"""Reused daemon threads for job supervisors.

Starting a thread makes the caller wait until the new thread runs; on a busy machine that wait,
on the controller's critical path between one job ending and the next starting, cost more than
everything else a launch does. Supervisors therefore run on threads that are kept after their
job ends and handed the next one. A task never waits for a busy thread: when none is idle a new
one starts, so a long job can never hold up another job's supervision.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

#: Idle threads kept for reuse; more than this many idle ones end.
MAX_IDLE_THREADS = 16


class ThreadReuser:
    """Runs each task at once on an idle thread, or on a new one when none is idle."""

    def __init__(self, name: str, max_idle: int = MAX_IDLE_THREADS) -> None:
        self._name = name
        self._max_idle = max_idle
        self._tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0  # threads waiting for a task that no queued task has claimed yet
        self._count = 0

    @property
    def idle_threads(self) -> int:
        with self._lock:
            return self._idle

    def run(self, task: Callable[[], None]) -> None:
        with self._lock:
            spawn = self._idle == 0
            if spawn:
                self._count += 1
                number = self._count
            else:
                self._idle -= 1  # claim a waiting thread for this task
        self._tasks.put(task)
        if spawn:
            thread = threading.Thread(target=self._work, name=f"{self._name}-{number}", daemon=True)
            thread.start()

    def _work(self) -> None:
        while True:
            task = self._tasks.get()
            try:
                task()
            except BaseException:  # a task must not take its thread down silently
                logger.exception("a %s task failed", self._name)
            with self._lock:
                if self._idle >= self._max_idle:
                    return
                self._idle += 1


#: The supervisors of every ProcessJob in this process.
supervisors = ThreadReuser("job-supervisor")
