"""One thread follows every training job of an executor, in one ``poll(2)`` loop.

A job must be told when its process exits (a pidfd), when its log grows (inotify), and when a
deadline passes (its maximum runtime, the hold of its events). :class:`JobLoop` waits for all of
these for every job at once. No thread per job: on a busy machine every hand-off between
threads (a wake-up, the GIL passed back and forth) cost more than the work it passed on.

The loop runs on the thread that *drives* it: the tuning controller calls :meth:`JobLoop.pump`
where it would otherwise wait for events, so a process's exit, the store write that records it
and the next job's start happen on one thread without a hand-off (:meth:`JobLoop.drive`).
When no thread drives it, a background thread of its own runs it, and ends once no job is left.

While driven, the loop also steers where the next process starts: on the core the last one
freed (:mod:`~tunesmith.execution.placement`).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import select
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from pathlib import Path

from tunesmith.execution import filewatch
from tunesmith.execution.placement import FreedCores

logger = logging.getLogger(__name__)

_POLL_IN = select.POLLIN | select.POLLHUP | select.POLLERR
#: A background loop with no job left ends after this long without work.
IDLE_THREAD_SECONDS = 1.0

Callback = Callable[[], None]


class Timer:
    """A callback due at a ``time.monotonic()`` instant; :meth:`cancel` (on the loop's thread)
    before it runs."""

    __slots__ = ("_loop", "callback", "done")

    def __init__(self, loop: JobLoop, callback: Callback) -> None:
        self._loop = loop
        self.callback = callback
        self.done = False

    def cancel(self) -> None:
        if not self.done:
            self.done = True
            self._loop._timer_done()


class JobLoop:
    """Readers, file watches and timers of many jobs, run on one thread.

    Everything but :meth:`call`, :meth:`wake`, :meth:`drive`, :meth:`release` and
    :meth:`on_loop_thread` must be called on the loop's thread, which is where every callback
    runs; other threads hand work over with :meth:`call`.
    """

    def __init__(self, name: str = "tunesmith-jobs") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._calls: deque[Callback] = deque()
        self._waker = filewatch.Waker()
        self._poller = select.poll()
        self._poller.register(self._waker.fd, _POLL_IN)
        self._readers: dict[int, Callback] = {}
        self._timers: list[tuple[float, int, Timer]] = []
        self._live_timers = 0
        self._order = itertools.count()
        self._inotify = filewatch.open_inotify()
        if self._inotify is not None:
            self._poller.register(self._inotify.fd, _POLL_IN)
        self._watches: dict[int, dict[int, Callback]] = {}  # wd -> {token: callback}
        self._tokens = itertools.count()
        self._token_wd: dict[int, int] = {}
        self._driver: int | None = None  # the thread that drives the loop, if any
        self._thread: threading.Thread | None = None  # the background thread, if running
        self._placement: FreedCores | None = None  # while driven (see placement.py)
        self._closed = False
        self._finalizer = weakref.finalize(self, _close_descriptors, self._waker, self._inotify)

    # ------------------------------------------------------------------ threads

    def on_loop_thread(self) -> bool:
        ident = threading.get_ident()
        with self._lock:
            return ident == self._driver or (
                self._thread is not None and ident == self._thread.ident
            )

    def call(self, callback: Callback) -> None:
        """Run ``callback`` on the loop's thread: now if this is it, else as soon as it can."""
        if self.on_loop_thread():
            callback()
            return
        with self._lock:
            self._calls.append(callback)
            self._ensure_thread_locked()
        self._waker.wake()

    def wake(self) -> None:
        """Make a waiting :meth:`pump` return (thread-safe)."""
        self._waker.wake()

    def drive(self) -> bool:
        """Make the calling thread run the loop (through :meth:`pump`) from now on; False when
        another thread already runs it (the caller then just waits for its events)."""
        me = threading.get_ident()
        with self._lock:
            if self._thread is not None or self._driver not in (None, me):
                return False
            self._driver = me
        self._placement = FreedCores.for_this_thread()
        return True

    def release(self) -> None:
        """The driving thread stops driving; jobs still followed go on on a background thread."""
        with self._lock:
            if self._driver != threading.get_ident():
                return
            self._unpin()
            self._placement = None
            self._driver = None
            self._ensure_thread_locked()

    def _ensure_thread_locked(self) -> None:
        if self._driver is None and self._thread is None and self._has_work_locked():
            thread = threading.Thread(target=self._run_in_background, name=self._name, daemon=True)
            self._thread = thread
            thread.start()

    def _has_work_locked(self) -> bool:
        return bool(self._calls or self._readers or self._live_timers or self._watches)

    def _run_in_background(self) -> None:
        idle_since: float | None = None
        while True:
            try:
                self._run_once(IDLE_THREAD_SECONDS)
            except Exception:  # a bug of ours: keep the other jobs followed
                logger.exception("the job loop failed; it goes on")
            with self._lock:
                if self._closed:
                    self._thread = None
                    break
                if self._has_work_locked():
                    idle_since = None
                    continue
                now = time.monotonic()
                if idle_since is None:
                    idle_since = now
                elif now - idle_since >= IDLE_THREAD_SECONDS:
                    self._thread = None
                    return
        self._finalizer()

    def close(self) -> None:
        """Release the loop's descriptors once no job is followed any more (a loop still
        following jobs keeps them: its jobs must not lose their supervision)."""
        with self._lock:
            if self._has_work_locked() or self._closed:
                return
            self._closed = True
            running = self._thread is not None
        if running:
            self._waker.wake()  # the background thread closes them as it ends
        else:
            self._finalizer()

    # ------------------------------------------------------------------ running

    def pump(self, timeout: float | None) -> None:
        """Wait up to ``timeout`` seconds (None: no limit) for something to do, and do it.

        Only the driving thread calls it; it returns after one round of work or the timeout.
        """
        self._run_once(timeout)

    def _run_once(self, timeout: float | None) -> None:
        wait = self._wait_ms(timeout)
        if wait != 0 and self._placement is not None:
            self._placement.before_wait()  # never asleep bound to one core
        # Each ready descriptor with the callback registered for it now: a callback that ends
        # a job closes its descriptor, and a job started meanwhile may get the same number.
        ready = [(fd, self._readers.get(fd)) for fd, _ in self._poller.poll(wait)]
        for fd, callback in ready:
            if fd == self._waker.fd:
                self._waker.clear()
            elif self._inotify is not None and fd == self._inotify.fd:
                for wd in self._inotify.read():
                    for watcher in list(self._watches.get(wd, {}).values()):
                        self._run(watcher)
            elif callback is not None and self._readers.get(fd) is callback:
                self._run(callback)
        self._run_due_timers()
        while True:  # one at a time: an interrupt leaves the rest queued, not lost
            with self._lock:
                if not self._calls:
                    break
                callback = self._calls.popleft()
            self._run(callback)

    def _wait_ms(self, timeout: float | None) -> int | None:
        with self._lock:
            if self._calls:
                return 0
        while self._timers and self._timers[0][2].done:
            heapq.heappop(self._timers)
        if self._timers:
            until = max(0.0, self._timers[0][0] - time.monotonic())
            timeout = until if timeout is None else min(timeout, until)
        if timeout is None:
            return None
        return int(timeout * 1000) + (1 if timeout > 0 else 0)

    def _run_due_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, timer = heapq.heappop(self._timers)
            if not timer.done:
                timer.done = True
                self._live_timers -= 1
                self._run(timer.callback)

    @staticmethod
    def _run(callback: Callback) -> None:
        try:
            callback()
        except Exception:  # each job guards its own steps; this is the last line
            logger.exception("a job loop callback failed")

    # ------------------------------------------------------------------ registrations

    def add_reader(self, fd: int, callback: Callback) -> None:
        """Call ``callback`` whenever ``fd`` is readable (or hung up)."""
        self._readers[fd] = callback
        self._poller.register(fd, _POLL_IN)

    def remove_reader(self, fd: int) -> None:
        if self._readers.pop(fd, None) is not None:
            self._poller.unregister(fd)

    def call_at(self, when: float, callback: Callback) -> Timer:
        """Call ``callback`` once, at ``time.monotonic()`` instant ``when`` or soon after."""
        timer = Timer(self, callback)
        heapq.heappush(self._timers, (when, next(self._order), timer))
        self._live_timers += 1
        return timer

    def _timer_done(self) -> None:
        self._live_timers -= 1
        if len(self._timers) > 2 * self._live_timers + 16:  # drop the cancelled ones
            self._timers = [entry for entry in self._timers if not entry[2].done]
            heapq.heapify(self._timers)

    def watch(self, path: Path, callback: Callback) -> int | None:
        """Call ``callback`` whenever ``path`` is written; a token for :meth:`unwatch`, or None
        when the file cannot be watched (no inotify, or its watch limit): then the caller reads
        it every ``filewatch.FALLBACK_POLL_SECONDS`` instead."""
        if self._inotify is None:
            return None
        try:
            wd = self._inotify.watch(path)
        except OSError as exc:
            logger.warning("cannot watch %s (%s): reading it on an interval", path, exc)
            return None
        token = next(self._tokens)
        self._watches.setdefault(wd, {})[token] = callback
        self._token_wd[token] = wd
        return token

    def unwatch(self, token: int) -> None:
        wd = self._token_wd.pop(token, None)
        if wd is None:
            return
        callbacks = self._watches.get(wd)
        if callbacks is None:
            return
        callbacks.pop(token, None)
        if not callbacks:
            del self._watches[wd]
            if self._inotify is not None:
                self._inotify.unwatch(wd)

    # ------------------------------------------------------------------ where processes start

    def follow_exit(self, pid: int) -> None:
        """A process started here just exited (see :class:`~tunesmith.execution.placement.
        FreedCores`; only while driven: the driving thread is the one that starts processes)."""
        if self._placement is not None:
            self._placement.exited(pid)

    def unfollowed(self, pid: int) -> None:
        """A process started here is followed no more (it ended, was let go, or its job
        failed): not a core to wait from any longer."""
        if self._placement is not None:
            self._placement.forget(pid)

    def spawned(self, pid: int) -> None:
        """A process was just started from this thread."""
        if self._placement is not None:
            self._placement.started(pid)

    def _unpin(self) -> None:
        if self._placement is not None:
            self._placement.let_go()


def _close_descriptors(waker: filewatch.Waker, inotify: filewatch.Inotify | None) -> None:
    waker.close()
    if inotify is not None:
        inotify.close()


_shared: JobLoop | None = None
_shared_lock = threading.Lock()


def shared_loop() -> JobLoop:
    """The process-wide loop for jobs no executor gives a loop of its own (always undriven:
    its background thread runs it)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = JobLoop("tunesmith-jobs-shared")
        return _shared
