"""What a job's supervisor leaves behind in the job folder for a supervisor that comes later.

Only a process's parent can read its exit status. When the controller dies (or leaves its jobs
running on purpose), a later controller can still learn how an attempt went from this small
file, written by the supervisor when the process exits or when the supervisor lets go of it,
and from the process's own environment while it runs (the ``ENV_*`` names below).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path

#: Set in every training process's environment: which attempt of the job it is, where this
#: attempt's output starts in the log file, when it started and when MaxRuntimeInSeconds runs
#: out (epoch seconds).
ENV_ATTEMPT = "TUNESMITH_TRAINING_JOB_ATTEMPT"
ENV_LOG_OFFSET = "TUNESMITH_LOG_OFFSET"
ENV_STARTED = "TUNESMITH_STARTED"
ENV_DEADLINE = "TUNESMITH_DEADLINE"

#: In an adopted job whose exit status is unknown, output with this is judged a crash.
TRACEBACK_MARK = "Traceback (most recent call last)"

#: How long an ended attempt's state waits for word that the store holds its end, after which
#: the file is written after all (see :class:`PendingStates`).
STATE_WRITE_DELAY_SECONDS = 2.0


@dataclass(frozen=True)
class JobState:
    """One attempt as its supervisor last saw it.

    ``ended`` is None when the supervisor let go of a running process (``left``); otherwise
    the exit is described, with ``status_known`` False when the supervisor had adopted the
    process and so could not read its exit status.
    """

    attempt: int
    pid: int
    log_offset: int
    started: float
    deadline: float | None = None
    left: bool = False
    ended: float | None = None
    exit_code: int | None = None
    signal: int | None = None
    stop_requested: bool = False
    timed_out: bool = False
    status_known: bool = True


_FIELDS = tuple(f.name for f in fields(JobState))  # flat values: no deep copy as asdict makes


def write_bytes(path: Path, data: bytes) -> None:
    """Replace the file's content with ``data`` (three system calls, no Python file object)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def write_state(path: Path, state: JobState) -> None:
    """Write ``state``; errors are ignored. A file cut short (the writer was killed) does not
    parse, which reads as "nothing known": the safe answer."""
    with contextlib.suppress(OSError):
        write_bytes(path, json.dumps({f: getattr(state, f) for f in _FIELDS}).encode())


class PendingStates:
    """End states written to their files only if nobody says, within ``delay``, that the
    store already holds the end.

    The file matters when the controller that saw an attempt end dies before storing it; once
    the end is stored (milliseconds later, normally) it is moot, and creating a file for every
    job cost more of the controller's time than anything else the supervisor does after the
    process exits. A controller killed before the end is stored loses the exit status, as one
    killed before the file was written always could: the job then counts as gone and is retried.
    A daemon thread writes what has fallen due once every ``delay`` (so a state waits up to
    twice that); :meth:`flush` writes everything still pending.
    """

    def __init__(self, delay: float = STATE_WRITE_DELAY_SECONDS) -> None:
        self._delay = delay
        self._lock = threading.Lock()
        self._due: dict[Path, tuple[float, JobState]] = {}
        self._closed = threading.Event()
        # Started here, not at the first end: ends are handled by a thread that may be bound
        # to one core for a moment (see execution/placement.py), and a thread inherits that.
        self._writer = threading.Thread(
            target=self._write_when_due, name="tunesmith-state-files", daemon=True
        )
        self._writer.start()

    def add(self, path: Path, state: JobState) -> None:
        with self._lock:
            self._due[path] = (time.monotonic() + self._delay, state)

    def discard(self, path: Path, state: JobState) -> None:
        """The store holds this end: its file is not needed (a later attempt's stays)."""
        with self._lock:
            pending = self._due.get(path)
            if pending is not None and pending[1] is state:
                del self._due[path]

    def flush(self) -> None:
        """Write every state still pending now."""
        self._write(until=math.inf)

    def close(self) -> None:
        """Write what is pending and stop the writer thread."""
        self._closed.set()
        self.flush()

    def _write_when_due(self) -> None:
        # Once a period, however many jobs end (a wake-up a job cost more than it saved).
        while not self._closed.wait(self._delay):
            self._write(until=time.monotonic())

    def _write(self, *, until: float) -> None:
        """Write the states due by ``until`` (a monotonic time)."""
        with self._lock:
            ready = [(path, entry[1]) for path, entry in self._due.items() if entry[0] <= until]
            for path, _ in ready:
                del self._due[path]
        for path, state in ready:
            write_state(path, state)


def read_state(path: Path) -> JobState | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return JobState(**data)
    except (OSError, ValueError, TypeError):
        return None


def unknown_exit(
    *, stopping: bool, failure_text: str | None, tail: list[str]
) -> tuple[int | None, str | None]:
    """``(exit_code, failure_text)`` for a process whose exit status cannot be read.

    The outcome rule (docs/resume.md): a job being stopped is Stopped whatever its status; a
    ``failure`` file or a Python traceback at the end of its output means it failed (an
    AlgorithmError, as a non-zero exit would); otherwise it is taken as a clean exit, and its
    objective decides the rest, as for any job.
    """
    if stopping or failure_text:
        return None, failure_text
    if any(TRACEBACK_MARK in line for line in tail):
        reason = (
            "AlgorithmError: the training process ended with a Python traceback while its exit "
            "status could not be read (it was adopted by a resumed controller). Last lines of "
            "its output:\n" + "\n".join(tail)
        )
        return None, reason
    return 0, None
