"""Know the moment a process exits, whether or not it is our child.

A pidfd where the platform has one: it works for any process, so a supervisor that adopted a
process another one started is told of its end just as fast. Elsewhere a pipe written by a
waiter thread.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time

#: Without a pidfd, how often the end of an adopted (not our child) process is checked.
ADOPTED_EXIT_POLL_SECONDS = 0.1


def pid_running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rpartition(b")")[2][1:2] != b"Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class ExitSignal:
    """A descriptor that becomes readable once the process has exited.

    A pidfd where there is one (it works for any process, not only our children). Elsewhere a
    pipe written by a waiter thread: ``waitid`` on our child (``WNOWAIT``, so its pid, which is
    the group id, is not reused before the group is killed), or a check every
    ``ADOPTED_EXIT_POLL_SECONDS`` on an adopted process.
    """

    def __init__(self, pid: int, child: bool):
        self._write_fd = -1
        pidfd_open = getattr(os, "pidfd_open", None)
        if pidfd_open is not None:
            try:
                self.fd = pidfd_open(pid)
                return
            except OSError:
                pass
        self.fd, self._write_fd = os.pipe()
        target = self._wait_child if child else self._wait_other
        threading.Thread(target=target, args=(pid,), daemon=True).start()

    def _wait_child(self, pid: int) -> None:
        try:
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        except (AttributeError, ChildProcessError):
            pass
        finally:
            self._signal()

    def _wait_other(self, pid: int) -> None:
        try:
            while pid_running(pid):
                time.sleep(ADOPTED_EXIT_POLL_SECONDS)
        finally:
            self._signal()

    def _signal(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._write_fd, b"x")
        os.close(self._write_fd)

    def close(self) -> None:
        os.close(self.fd)
