"""Know the moment a job's log file grows, with no polling interval.

On Linux one inotify instance per job loop (through ``ctypes``; the per-user limit on inotify
instances is small, so there is one per loop, not one per job) watches every live job's log
file for ``IN_MODIFY``; the loop polls its descriptor next to the processes' exit descriptors
(see :mod:`~tunesmith.execution.loop`) and reads which files changed.

Elsewhere (or if inotify cannot be set up) :func:`open_inotify` returns None and the loop reads
each job's log every ``FALLBACK_POLL_SECONDS`` instead: correct, just up to that much later.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import struct
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

#: Without inotify, how often a supervisor reads its job's log file for new lines.
FALLBACK_POLL_SECONDS = 0.05

_IN_MODIFY = 0x00000002
_IN_CLOEXEC = 0o2000000
_IN_NONBLOCK = 0o4000
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


class Inotify:
    """One inotify instance: which watched files were written since the last :meth:`read`.

    Not thread-safe: one loop thread owns it.
    """

    def __init__(self, libc: ctypes.CDLL) -> None:
        self._libc = libc
        fd = libc.inotify_init1(_IN_CLOEXEC | _IN_NONBLOCK)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.fd: int = fd

    def watch(self, path: Path) -> int:
        """Report writes to ``path``; the watch id (the same for the same file)."""
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(path), _IN_MODIFY)
        if wd < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch failed on {path}")
        return int(wd)

    def unwatch(self, wd: int) -> None:
        self._libc.inotify_rm_watch(self.fd, wd)

    def read(self) -> set[int]:
        """The watch ids written to since the last call (empty when none)."""
        touched: set[int] = set()
        while True:
            try:
                data = os.read(self.fd, 64 * 1024)
            except (BlockingIOError, InterruptedError):
                return touched
            offset = 0
            while offset + _EVENT.size <= len(data):
                wd, _mask, _cookie, length = _EVENT.unpack_from(data, offset)
                touched.add(wd)
                offset += _EVENT.size + length

    def close(self) -> None:
        os.close(self.fd)


def open_inotify() -> Inotify | None:
    """A new inotify instance, or None where there is none (not Linux, or the limit reached)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return Inotify(libc)
    except (OSError, AttributeError) as exc:
        logger.info("no inotify (%s): reading log files every %s s", exc, FALLBACK_POLL_SECONDS)
        return None
