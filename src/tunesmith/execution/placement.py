"""Start each new training process on the core the last one freed.

When a training process exits, the kernel wakes the controller wherever it finds room, often on
the core of the other running job, which the controller then shares while the freed core idles;
the next process, started from there, is often put on the busy core too. With every core busy
with training processes that cost milliseconds a job (measured with ``perf sched``: a freed
core idled 1-6 ms after many exits). So the thread that starts processes binds itself, at an
exit, to the core the exited process last ran on (``/proc/<pid>/stat``), and the process it
starts next - which inherits the binding - begins there; right after, the new process and the
thread get all their cores back, and the thread gets them back anyway before it next waits.

Right after the last start of a round, and before it waits, the thread moves to the core of the
oldest process it started that still runs (:meth:`FreedCores.before_wait`), leaving the new
process its core to itself: with jobs of alike length that oldest one ends next,
and the kernel wakes a sleeping thread where it last ran when no core is idle - as none is at
that moment, the ending process still holds its own. Woken instead on the core of a process
that runs on, the thread waited behind it for a time slice (1.4 ms by default) while the freed
core idled. Measured in paired rounds of 200 jobs: the cores' idle time fell by 0.6-0.85 core-ms
a job and the thread's time in the run queue (``/proc/<tid>/schedstat``) by about half; the
overhead a job by 0.05-0.45 ms over three comparisons, as the process whose core the thread
moves to gives it up for a moment (docs/benchmarks.md, eleventh session).

Linux only (elsewhere nothing is bound). The thread's cores are read once, when it starts
driving a job loop, and are exactly what the new process and the thread get back. A thread
started by the bound thread inherits the binding: the executor starts its own helper thread (the
state-file writer) beforehand; a stop's grace timer, which only sleeps and signals, may inherit
it.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import deque

logger = logging.getLogger(__name__)

_AFFINITY = hasattr(os, "sched_setaffinity") and hasattr(os, "sched_getaffinity")


class FreedCores:
    """The calling thread's binding to cores freed by exits, one per following start.

    Several exits handled together free several cores: the first start gets the first, the
    thread then moves to the next for the next start, and so on. Use from one thread only.
    """

    def __init__(self, cores: set[int]) -> None:
        self._cores = cores  # the thread's own cores, given back after each start
        self._freed: deque[int] = deque()
        self._bound = False
        #: Running processes started on a freed core, oldest first, and that core.
        self._started_on: dict[int, int] = {}
        self._parked: int | None = None  # the core the thread last waited from, if chosen

    @classmethod
    def for_this_thread(cls) -> FreedCores | None:
        """For the calling thread, or None where there is nothing to steer (one core, or no
        affinity calls on this platform)."""
        if not _AFFINITY:
            return None
        cores = os.sched_getaffinity(0)
        return cls(cores) if len(cores) > 1 else None

    def exited(self, pid: int) -> None:
        """``pid``, a process this thread started, exited (before it is reaped: its
        ``/proc`` entry says where it last ran)."""
        self.forget(pid)
        cpu = last_cpu(pid)
        if cpu is None or cpu not in self._cores:
            return
        self._freed.append(cpu)
        if len(self._freed) == 1:
            self._bind(cpu)

    def started(self, pid: int) -> None:
        """``pid`` was just started from this thread on the first freed core: all cores back
        for it; the thread moves on to the next freed core, or gets all its cores back."""
        if not self._bound:
            return
        with contextlib.suppress(OSError):  # it may have exited already
            os.sched_setaffinity(pid, self._cores)
        if self._freed:
            self._started_on[pid] = self._freed.popleft()
        if self._freed:
            self._bind(self._freed[0])
        else:  # off the new process's core at once: it has the core to itself
            self.before_wait()

    def forget(self, pid: int) -> None:
        """``pid`` is no longer followed (it ended or was let go): not a core to wait from."""
        self._started_on.pop(pid, None)

    def let_go(self) -> None:
        """All cores back for this thread (before it waits, or when it stops driving)."""
        self._freed.clear()
        if self._bound:
            self._bound = False
            try:
                os.sched_setaffinity(0, self._cores)
            except OSError:
                logger.warning("could not restore this thread's CPU affinity", exc_info=True)

    def before_wait(self) -> None:
        """All cores back, and the thread moved to the core of the oldest running process it
        started (where the next exit most likely comes from) to wait from there. Done as soon
        as the last start of a round is made, and again before a wait if it moved since."""
        self.let_go()
        core = next(iter(self._started_on.values()), None)
        if core is None or core == self._parked:
            return
        try:
            os.sched_setaffinity(0, {core})  # moves the thread there now...
            os.sched_setaffinity(0, self._cores)  # ...where it stays until it sleeps
        except OSError:
            self._started_on.clear()  # affinity calls refused: stop trying
            return
        self._parked = core

    def _bind(self, cpu: int) -> None:
        try:
            os.sched_setaffinity(0, {cpu})
        except OSError:
            self._freed.clear()
            return
        self._bound = True
        self._parked = None


def last_cpu(pid: int) -> int | None:
    """The core a process last ran on (field 39 of ``/proc/<pid>/stat``), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return int(handle.read().rpartition(b")")[2].split()[36])
    except (OSError, ValueError, IndexError):
        return None
