"""Start and supervise one training process.

One :class:`ProcessJob` owns one OS process in its own process group, with
stdin from ``/dev/null`` and stdout/stderr on pipes. One supervisor thread per job does
everything, driven by ``poll(2)`` on three descriptors, never by a polling interval:

* both pipes: each read is appended raw to the job's log file, split into lines on ``\\n``,
  ``\\r`` and ``\\r\\n``, and every line goes to the sink as soon as it is read;
* a descriptor that becomes readable when the process exits (a pidfd on Linux; elsewhere a
  pipe written by a small waiter thread): the rest of the process group is then killed so
  stray children cannot hold the pipes open, the pipes are drained, the process is reaped,
  and exactly one :class:`JobExited` is emitted;
* the poll timeout enforces the maximum runtime. The stop grace period is a
  :class:`threading.Timer`, started only when a stop is sent.

Events of one job are delivered one at a time from its supervisor thread: JobStarted first
(unless the launch failed), LogLines in order per stream, JobExited last.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from tunesmith.execution.base import EventSink, JobEvent, JobExited, JobStarted, LogLine

logger = logging.getLogger(__name__)

#: A line longer than this many bytes is truncated in its LogLine (the log file keeps it all).
MAX_LINE_BYTES = 64 * 1024
#: How many stderr lines JobExited.stderr_tail keeps, and how long each may be.
STDERR_TAIL_LINES = 20
STDERR_TAIL_LINE_CHARS = 1024
#: First characters of output/failure taken as the failure reason.
FAILURE_TEXT_CHARS = 1024
#: After the process group is gone, how long to wait for the pipes to drain. Only a process
#: that left the group (its own setsid) and kept the pipes can make this wait run out.
READER_DRAIN_SECONDS = 2.0
_READ_SIZE = 64 * 1024
_POLL_IN = select.POLLIN | select.POLLHUP | select.POLLERR

Stream = Literal["stdout", "stderr"]


@dataclass(frozen=True)
class LaunchPlan:
    """What :class:`ProcessJob` runs; built lazily on the supervisor thread."""

    argv: list[str]
    cwd: Path
    env: dict[str, str]
    log_file: Path  # raw stdout + stderr are appended here
    failure_file: Path  # the job's output/failure


class _Lines:
    """Split one byte stream into lines on ``\\n``, ``\\r`` and ``\\r\\n``, memory-bounded.

    Also decides what to append to the log file: whole lines where possible (so the two
    streams interleave line by line), raw pieces once a line outgrows the cap.
    """

    def __init__(self, stream: Stream, cap: int = MAX_LINE_BYTES):
        self.stream: Stream = stream
        self.cap = cap
        self.partial = bytearray()  # start of the current line, at most ``cap`` bytes
        self.unlogged = bytearray()  # bytes read but not yet written to the log file
        self.after_cr = False  # the previous piece ended with \r (a \n may follow)

    def feed(self, chunk: bytes) -> tuple[bytes, list[tuple[bytes, bool]]]:
        """Return (bytes for the log file, [(line, ended_with_cr)])."""
        lines: list[tuple[bytes, bool]] = []
        pieces = chunk.splitlines(keepends=True)  # bytes split only on \n, \r, \r\n
        if self.after_cr and pieces and pieces[0] == b"\n":
            pieces = pieces[1:]  # the \n of a \r\n split across two reads
            self.after_cr = False
        for piece in pieces:
            if piece.endswith((b"\n", b"\r")):
                self._add(piece.rstrip(b"\r\n"))
                ended_cr = piece.endswith(b"\r")
                lines.append((bytes(self.partial), ended_cr))
                self.partial.clear()
                self.after_cr = ended_cr
            else:
                self._add(piece)
                self.after_cr = False
        cut = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        if cut >= 0:
            out = bytes(self.unlogged) + chunk[: cut + 1] if self.unlogged else chunk[: cut + 1]
            self.unlogged = bytearray(chunk[cut + 1 :])
        else:
            self.unlogged += chunk
            out = b""
        if len(self.unlogged) > self.cap:
            out += bytes(self.unlogged)
            self.unlogged.clear()
        return out, lines

    def finish(self) -> tuple[bytes, bytes | None]:
        """At end of stream: (remaining log bytes, the unterminated last line if any)."""
        rest = bytes(self.unlogged)
        self.unlogged.clear()
        last = bytes(self.partial) if self.partial else None
        self.partial.clear()
        return rest, last

    def _add(self, data: bytes) -> None:
        room = self.cap - len(self.partial)
        if room > 0:
            self.partial += data[:room]


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _read_failure(path: Path) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read(FAILURE_TEXT_CHARS)
    except OSError:
        return None
    return text if text.strip() else None


class _ExitSignal:
    """A descriptor that becomes readable once the process has exited (not yet reaped)."""

    def __init__(self, pid: int):
        self.fd = -1
        self._write_fd = -1
        pidfd_open = getattr(os, "pidfd_open", None)
        if pidfd_open is not None:
            try:
                self.fd = pidfd_open(pid)
                return
            except OSError:
                pass
        self.fd, self._write_fd = os.pipe()
        waiter = threading.Thread(target=self._wait, args=(pid,), daemon=True)
        waiter.start()

    def _wait(self, pid: int) -> None:
        try:
            # WNOWAIT: leave the zombie in place so its pid (the group id) is not reused
            # before the group is killed.
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        except (AttributeError, ChildProcessError):
            pass
        finally:
            with contextlib.suppress(OSError):
                os.write(self._write_fd, b"x")
            os.close(self._write_fd)

    def close(self) -> None:
        os.close(self.fd)


class ProcessJob:
    """One supervised training process; also the executor's job handle.

    ``plan`` is called on the supervisor thread, so writing the job folder does not slow the
    caller; an ``OSError`` or ``ValueError`` from it, or from starting the process, becomes a
    JobExited with ``launch_error``.
    """

    def __init__(
        self,
        training_job_name: str,
        plan: Callable[[], LaunchPlan],
        sink: EventSink,
        *,
        max_runtime_seconds: float | None = None,
        stop_grace_seconds: float = 120.0,
        on_exit: Callable[[ProcessJob], None] | None = None,
    ):
        self.training_job_name = training_job_name
        self._plan = plan
        self._sink = sink
        self._max_runtime = max_runtime_seconds if max_runtime_seconds else None
        self._grace = stop_grace_seconds
        self._on_exit = on_exit
        self._lock = threading.Lock()  # guards the state below and every signal we send
        self._state: Literal["new", "running", "reaped"] = "new"
        self._proc: subprocess.Popen[bytes] | None = None
        self._stop_requested = False
        self._timed_out = False
        self._terminating = False
        self._grace_timer: threading.Timer | None = None
        self._tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        self._tail_open_cr = False
        self._done = threading.Event()
        self.exit_event: JobExited | None = None

    # ------------------------------------------------------------------ public

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None else None

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def start(self) -> None:
        thread = threading.Thread(
            target=self._supervise, name=f"job-{self.training_job_name}", daemon=True
        )
        thread.start()

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after the grace period. Idempotent."""
        with self._lock:
            self._stop_requested = True
            if self._state == "running":
                self._terminate_locked()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until JobExited was delivered; True if it was."""
        return self._done.wait(timeout)

    # ------------------------------------------------------------------ supervisor

    def _supervise(self) -> None:
        try:
            self._run()
        except Exception as exc:  # a bug of ours: report it, never leave the job hanging
            logger.exception("supervising %s failed", self.training_job_name)
            with self._lock:
                self._kill_group_locked(signal.SIGKILL)
                self._state = "reaped"
            if self._proc is not None:
                with contextlib.suppress(Exception):
                    self._proc.wait(timeout=5)  # do not leave a zombie behind
            if self.exit_event is None:
                self._finish(exit_code=None, internal_error=f"executor error: {exc!r}")
        finally:
            self._done.set()

    def _run(self) -> None:
        with self._lock:
            cancelled = self._stop_requested
            if cancelled:
                self._state = "reaped"
        if cancelled:
            self._finish(exit_code=None)
            return
        try:
            plan = self._plan()
            log = open(plan.log_file, "ab", buffering=0)  # noqa: SIM115 - closed below
        except (OSError, ValueError) as exc:
            self._launch_failed(exc)
            return
        with log:
            try:
                proc = subprocess.Popen(
                    plan.argv,
                    cwd=plan.cwd,
                    env=plan.env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    # Its own process group (pgid == pid), so a stop reaches its children
                    # too. A group, not a new session: start_new_session makes Popen fork
                    # instead of vfork, which costs milliseconds per job.
                    process_group=0,
                    bufsize=0,
                )
            except (OSError, ValueError) as exc:
                self._launch_failed(exc)
                return
            with self._lock:
                self._proc = proc
                self._state = "running"
                if self._stop_requested:
                    self._terminate_locked()
            self._emit(JobStarted(self.training_job_name, time.time(), proc.pid))
            self._pump(proc, log)
        rc = proc.returncode
        self._finish(
            exit_code=rc if rc >= 0 else None,
            signal_number=-rc if rc < 0 else None,
            failure_text=_read_failure(plan.failure_file),
        )

    def _launch_failed(self, exc: BaseException) -> None:
        with self._lock:
            self._state = "reaped"
        self._finish(exit_code=None, launch_error=_launch_message(exc))

    def _pump(self, proc: subprocess.Popen[bytes], log: BinaryIO) -> None:
        """Stream both pipes until the process has exited and the pipes are drained."""
        if proc.stdout is None or proc.stderr is None:  # pragma: no cover - PIPE sets both
            raise RuntimeError("process started without pipes")
        streams = {proc.stdout.fileno(): _Lines("stdout"), proc.stderr.fileno(): _Lines("stderr")}
        exit_signal = _ExitSignal(proc.pid)
        poller = select.poll()
        for fd in (*streams, exit_signal.fd):
            poller.register(fd, _POLL_IN)
        start = time.monotonic()
        runtime_deadline = start + self._max_runtime if self._max_runtime else None
        drain_deadline: float | None = None
        try:
            while streams or drain_deadline is None:
                deadline = drain_deadline if drain_deadline is not None else runtime_deadline
                timeout_ms = None
                if deadline is not None:
                    timeout_ms = max(0, int((deadline - time.monotonic()) * 1000) + 1)
                ready = poller.poll(timeout_ms)
                if not ready and deadline is not None and time.monotonic() >= deadline:
                    if drain_deadline is not None:
                        break  # someone outside the group still holds a pipe
                    runtime_deadline = None
                    self._on_timeout()
                for fd, _ in ready:
                    if fd == exit_signal.fd:
                        poller.unregister(fd)
                        self._kill_rest_of_group()
                        drain_deadline = time.monotonic() + READER_DRAIN_SECONDS
                    elif not self._read(fd, streams[fd], log):
                        poller.unregister(fd)
                        del streams[fd]
        finally:
            exit_signal.close()
            proc.stdout.close()
            proc.stderr.close()
        proc.wait()

    def _read(self, fd: int, lines: _Lines, log: BinaryIO) -> bool:
        """Read once from ``fd``; False at end of stream."""
        try:
            chunk = os.read(fd, _READ_SIZE)
        except OSError:
            chunk = b""
        now = time.time()
        if chunk:
            out, complete = lines.feed(chunk)
            if out:
                log.write(out)
            for raw, ended_cr in complete:
                self._deliver(lines.stream, _decode(raw), ended_cr, now)
            return True
        rest, last = lines.finish()
        if rest:
            log.write(rest)
        if last is not None:
            self._deliver(lines.stream, _decode(last), False, now)
        return False

    def _kill_rest_of_group(self) -> None:
        with self._lock:
            self._kill_group_locked(signal.SIGKILL)
            self._state = "reaped"
            if self._grace_timer is not None:
                self._grace_timer.cancel()

    def _finish(
        self,
        *,
        exit_code: int | None,
        signal_number: int | None = None,
        failure_text: str | None = None,
        launch_error: str | None = None,
        internal_error: str | None = None,
    ) -> None:
        with self._lock:
            stop_requested, timed_out = self._stop_requested, self._timed_out
        event = JobExited(
            training_job_name=self.training_job_name,
            time=time.time(),
            exit_code=exit_code,
            signal=signal_number,
            stop_requested=stop_requested,
            timed_out=timed_out,
            failure_text=failure_text,
            launch_error=launch_error,
            internal_error=internal_error,
            stderr_tail="\n".join(self._tail),
        )
        self.exit_event = event
        self._emit(event)
        if self._on_exit is not None:
            try:
                self._on_exit(self)
            except Exception:
                logger.exception("on_exit callback failed for %s", self.training_job_name)
        self._done.set()

    # ------------------------------------------------------------------ signals

    def _on_timeout(self) -> None:
        with self._lock:
            if self._state != "running":
                return
            self._timed_out = True
            self._terminate_locked()

    def _terminate_locked(self) -> None:
        if self._terminating:
            return
        self._terminating = True
        self._kill_group_locked(signal.SIGTERM)
        timer = threading.Timer(max(0.0, self._grace), self._on_grace_expired)
        timer.daemon = True
        self._grace_timer = timer
        timer.start()

    def _on_grace_expired(self) -> None:
        with self._lock:
            self._kill_group_locked(signal.SIGKILL)

    def _kill_group_locked(self, sig: signal.Signals) -> None:
        proc = self._proc
        if proc is None or self._state != "running":
            return
        try:
            os.killpg(proc.pid, sig)  # process_group=0: the group id is the pid
        except ProcessLookupError:
            pass
        except PermissionError:
            logger.warning("cannot signal process group %s of %s", proc.pid, self.training_job_name)

    # ------------------------------------------------------------------ events

    def _deliver(self, stream: Stream, text: str, ended_cr: bool, now: float) -> None:
        if stream == "stderr":
            shown = text[:STDERR_TAIL_LINE_CHARS]
            if self._tail_open_cr and self._tail:
                self._tail[-1] = shown  # a progress bar redraws its line: keep the latest
            else:
                self._tail.append(shown)
            self._tail_open_cr = ended_cr
        self._emit(LogLine(self.training_job_name, stream, text, now))

    def _emit(self, event: JobEvent) -> None:
        try:
            self._sink(event)
        except Exception:
            logger.exception("event sink failed on %s", type(event).__name__)


def _launch_message(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError) and exc.filename is not None:
        return f"cannot start the training job: {exc.strerror}: {exc.filename}"
    if isinstance(exc, PermissionError) and exc.filename is not None:
        return f"cannot start the training job: permission denied: {exc.filename}"
    return f"cannot start the training job: {exc}"
