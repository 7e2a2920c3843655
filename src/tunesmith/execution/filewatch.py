"""Wake a job's supervisor the moment its log file grows, with no polling interval.

On Linux one inotify instance per process (through ``ctypes``; the per-user limit on inotify
instances is small, so there is one, not one per job) watches every live job's log file for
``IN_MODIFY``; a dispatcher thread turns each event into a wake-up of that job's
:class:`Waker`, a descriptor the supervisor polls next to the process's exit descriptor.

Elsewhere (or if inotify cannot be set up) :func:`watcher` returns None and supervisors read
the file every ``FALLBACK_POLL_SECONDS`` instead: correct, just up to that much later.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import struct
import sys
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

#: Without inotify, how often a supervisor reads its job's log file for new lines.
FALLBACK_POLL_SECONDS = 0.05

_IN_MODIFY = 0x00000002
_IN_CLOEXEC = 0o2000000
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len (then len bytes of name)


class Waker:
    """A descriptor that becomes readable when :meth:`wake` is called (an eventfd, else a pipe)."""

    def __init__(self) -> None:
        eventfd = getattr(os, "eventfd", None)
        if eventfd is not None:
            self.fd = eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
            self._write_fd = self.fd
        else:  # pragma: no cover - non-Linux
            self.fd, self._write_fd = os.pipe()
            os.set_blocking(self.fd, False)
            os.set_blocking(self._write_fd, False)

    def wake(self) -> None:
        with contextlib.suppress(OSError):  # full or closed: a wake-up is pending anyway
            if self._write_fd == self.fd:
                os.eventfd_write(self.fd, 1)
            else:  # pragma: no cover - non-Linux
                os.write(self._write_fd, b"x")

    def clear(self) -> None:
        with contextlib.suppress(OSError):
            os.read(self.fd, 8 if self._write_fd == self.fd else 4096)

    def close(self) -> None:
        os.close(self.fd)
        if self._write_fd != self.fd:  # pragma: no cover - non-Linux
            os.close(self._write_fd)


class _Inotify:
    """The process-wide inotify instance and its dispatcher thread."""

    def __init__(self, libc: ctypes.CDLL) -> None:
        self._libc = libc
        fd = libc.inotify_init1(_IN_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.fd = fd
        self._lock = threading.Lock()
        self._wakers: dict[int, set[Waker]] = {}
        thread = threading.Thread(target=self._dispatch, name="tunesmith-inotify", daemon=True)
        thread.start()

    def watch(self, path: Path, waker: Waker) -> int:
        """Wake ``waker`` whenever ``path`` is written; returns the watch id for :meth:`unwatch`."""
        with self._lock:
            wd = self._libc.inotify_add_watch(self.fd, os.fsencode(path), _IN_MODIFY)
            if wd < 0:
                raise OSError(ctypes.get_errno(), f"inotify_add_watch failed on {path}")
            self._wakers.setdefault(wd, set()).add(waker)
            return int(wd)

    def unwatch(self, wd: int, waker: Waker) -> None:
        with self._lock:
            wakers = self._wakers.get(wd)
            if wakers is None:
                return
            wakers.discard(waker)
            if not wakers:
                del self._wakers[wd]
                self._libc.inotify_rm_watch(self.fd, wd)

    def _dispatch(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 64 * 1024)
            except InterruptedError:  # pragma: no cover
                continue
            except OSError:  # pragma: no cover - the descriptor is gone
                logger.exception("inotify dispatcher stopped")
                return
            touched: set[int] = set()
            offset = 0
            while offset + _EVENT.size <= len(data):
                wd, _mask, _cookie, length = _EVENT.unpack_from(data, offset)
                touched.add(wd)
                offset += _EVENT.size + length
            with self._lock:  # under the lock: after unwatch() no waker is woken again
                for wd in touched:
                    for waker in self._wakers.get(wd, ()):
                        waker.wake()


_instance: _Inotify | None = None
_unavailable = False
_setup_lock = threading.Lock()


def watcher() -> _Inotify | None:
    """The process-wide inotify watcher, or None where it is not available."""
    global _instance, _unavailable
    if _instance is not None or _unavailable:
        return _instance
    with _setup_lock:
        if _instance is None and not _unavailable:
            try:
                if not sys.platform.startswith("linux"):
                    raise OSError("inotify is Linux-only")
                libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
                _instance = _Inotify(libc)
            except (OSError, AttributeError) as exc:
                logger.info(
                    "no inotify (%s): reading log files every %s s", exc, FALLBACK_POLL_SECONDS
                )
                _unavailable = True
    return _instance
