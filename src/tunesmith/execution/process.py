"""Start (or adopt) and supervise one training process.

One :class:`ProcessJob` owns one OS process in its own process group, with stdin from
``/dev/null`` and stdout and stderr written straight into the job's log file (opened
``O_APPEND``, shared by both streams, so the file holds them in the order they were written).
The process therefore does not depend on its supervisor: if the controller dies, the training
goes on, and a later controller can *adopt* it (:class:`AdoptPlan`) and keep reading its log.

Every job is followed by a :class:`~tunesmith.execution.loop.JobLoop` (one thread for all the
jobs of an executor, never a polling interval except where inotify is missing, see
:mod:`~tunesmith.execution.filewatch`):

* the log file's inotify watch, from the end of the first event hold (``EVENT_HOLD_SECONDS``;
  a job that ends sooner is read once, at its end): the new bytes are split into lines on
  ``\\n``, ``\\r`` and ``\\r\\n`` and go to the sink (held briefly, see below);
* a descriptor that becomes readable when the process exits (a pidfd; elsewhere a pipe written
  by a small waiter thread): the rest of the process group is killed so stray children cannot
  outlive the job, the file is read to its end, the process is reaped, and exactly one
  :class:`JobExited` is emitted;
* a timer enforces the maximum runtime. The stop grace period is a :class:`threading.Timer`,
  started only when a stop is sent.

Events of one job are delivered one at a time from the loop's thread: JobStarted first
(unless the launch failed), LogLines in order, JobExited last. :meth:`ProcessJob.detach` lets
go of a running process instead: no JobExited, the process keeps running.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tunesmith.execution import filewatch
from tunesmith.execution.base import EventSink, JobEvent, JobExited, JobStarted, LogLine
from tunesmith.execution.exitwatch import ExitSignal
from tunesmith.execution.jobstate import (
    ENV_DEADLINE,
    ENV_LOG_OFFSET,
    ENV_STARTED,
    JobState,
    PendingStates,
    unknown_exit,
    write_state,
)
from tunesmith.execution.logtail import MAX_LINE_BYTES, Line, LogTail, recent_lines
from tunesmith.execution.loop import JobLoop, Timer, shared_loop

__all__ = ["MAX_LINE_BYTES", "AdoptPlan", "LaunchPlan", "ProcessJob"]

logger = logging.getLogger(__name__)

#: How many output lines JobExited.stderr_tail keeps, and how long each may be.
STDERR_TAIL_LINES = 20
STDERR_TAIL_LINE_CHARS = 1024
#: First characters of output/failure taken as the failure reason.
FAILURE_TEXT_CHARS = 1024
#: A job's start and output lines are held up to this long before they reach the sink, and go
#: with its end if that comes first: the consumer is then woken once for a burst of events,
#: not once for each (a short job's start, lines and end arrive together).
EVENT_HOLD_SECONDS = 0.05


@dataclass(frozen=True)
class LaunchPlan:
    """What :class:`ProcessJob` runs; built lazily on the job loop's thread.

    ``env`` is extended in place with the log offset, start time and deadline (``ENV_*`` in
    :mod:`~tunesmith.execution.jobstate`), so a later supervisor can adopt the process.
    ``state_file``, when set, receives a :class:`JobState` when the process ends or is left.
    """

    argv: list[str]
    cwd: Path
    env: dict[str, str]
    log_file: Path  # stdout + stderr are appended here by the process itself
    failure_file: Path  # the job's output/failure
    state_file: Path | None = None
    attempt: int = 1


@dataclass(frozen=True)
class AdoptPlan:
    """A process started by a supervisor that is gone, to supervise from now on.

    ``pid`` is None when the process has already ended; ``ended`` is then what its supervisor
    recorded (None: nothing, the exit status is unknown). Lines are read from
    ``resume_offset``; earlier ones were already handled.
    """

    pid: int | None
    attempt: int
    log_file: Path
    failure_file: Path
    log_start: int  # where this attempt's output starts in the log
    resume_offset: int
    started: float  # epoch seconds
    deadline: float | None  # epoch seconds when MaxRuntimeInSeconds runs out
    ended: JobState | None = None
    state_file: Path | None = None


def _read_failure(path: Path) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read(FAILURE_TEXT_CHARS)
    except OSError:
        return None
    return text if text.strip() else None


def _failure_of(exit_code: int | None, path: Path) -> str | None:
    """The failure text of a process whose exit code is known: none when it exited 0 (it
    succeeded whatever output/failure says), else the file's first characters."""
    return None if exit_code == 0 else _read_failure(path)


@dataclass
class _Followed:
    """What following one running process needs, from its start (or adoption) to its end."""

    pid: int
    tail: LogTail
    log_file: Path
    failure_file: Path
    state_file: Path | None
    state: JobState
    proc: subprocess.Popen[bytes] | None  # our child (None when adopted)
    exit_signal: ExitSignal | None = None
    watch: int | None = None  # the loop's file-watch token, None when the log is polled
    log_followed: bool = False  # the watch (or polling) is set up: see _follow_log
    poll_timer: Timer | None = None
    deadline_timer: Timer | None = None


class ProcessJob:
    """One supervised training process; also the executor's job handle.

    ``plan`` is called on the loop's thread (see :mod:`~tunesmith.execution.loop`); an
    ``OSError`` or ``ValueError`` from it, or from starting the process, becomes a JobExited
    with ``launch_error``. With ``adopt`` (and no ``plan``) the job supervises a process
    another supervisor started (see :class:`AdoptPlan`). Without ``loop`` the job is followed
    by the process-wide background loop (:func:`shared_loop`).
    """

    def __init__(
        self,
        training_job_name: str,
        plan: Callable[[], LaunchPlan] | None,
        sink: EventSink,
        *,
        max_runtime_seconds: float | None = None,
        stop_grace_seconds: float = 120.0,
        on_exit: Callable[[ProcessJob], None] | None = None,
        adopt: AdoptPlan | None = None,
        pending_states: PendingStates | None = None,
        loop: JobLoop | None = None,
    ):
        if (plan is None) == (adopt is None):
            raise ValueError("give exactly one of plan and adopt")
        self.training_job_name = training_job_name
        self._plan = plan
        self._adopt = adopt
        self._sink = sink
        self._loop = loop if loop is not None else shared_loop()
        self._max_runtime = max_runtime_seconds if max_runtime_seconds else None
        self._grace = stop_grace_seconds
        self._on_exit = on_exit
        #: Where the end state goes (see PendingStates); None: written at once.
        self._pending_states = pending_states
        self._pending_end: tuple[Path, JobState] | None = None  # what was handed to it
        self._lock = threading.Lock()  # guards the state below and every signal we send
        self._state: Literal["new", "running", "reaped"] = "new"
        self._pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None  # our child (None when adopted)
        self._stop_requested = False
        self._timed_out = False
        self._terminating = False
        self._detached = False
        self._grace_timer: threading.Timer | None = None
        self._followed: _Followed | None = None  # loop thread only
        self._tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        self._tail_open_cr = False
        self._held: list[JobEvent] = []  # see EVENT_HOLD_SECONDS
        self._hold_timer: Timer | None = None
        self._done = threading.Event()
        self.exit_event: JobExited | None = None

    # ------------------------------------------------------------------ public

    @property
    def pid(self) -> int | None:
        return self._pid

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def adopted(self) -> bool:
        return self._adopt is not None

    def start(self) -> None:
        """Start (or adopt) and follow the process on the job loop; returns at once unless
        the caller drives the loop, which then starts the process before returning."""
        self._loop.call(self._guarded(self._begin))

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after the grace period. Idempotent."""
        with self._lock:
            self._stop_requested = True
            if self._state == "running":
                self._terminate_locked()

    def detach(self) -> None:
        """Stop supervising without stopping the process: it keeps running (its output still
        goes to its log file) for a later supervisor to adopt. No JobExited is emitted."""
        with self._lock:
            self._detached = True
        self._loop.call(self._guarded(self._on_detach))

    def end_recorded(self) -> None:
        """The store now holds how this job ended: the state file is not needed."""
        if self._pending_states is not None and self._pending_end is not None:
            self._pending_states.discard(*self._pending_end)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until JobExited was delivered (or the job was detached); True if so. On the
        thread that drives the loop, the loop runs meanwhile."""
        if not self._loop.on_loop_thread():
            return self._done.wait(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._done.is_set():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            self._loop.pump(0.1 if left is None else min(left, 0.1))
        return True

    # ------------------------------------------------------------------ steps on the loop

    def _guarded(self, step: Callable[[], None]) -> Callable[[], None]:
        """``step`` with the rule that a bug of ours never leaves the job hanging."""

        def guarded() -> None:
            if self._done.is_set():
                return
            try:
                step()
            except BaseException as exc:
                self._fail(exc)
                if not isinstance(exc, Exception):
                    raise  # an interrupt: the job is ended, the caller's handling goes on

        return guarded

    def _fail(self, exc: BaseException) -> None:
        if isinstance(exc, Exception):
            logger.error("supervising %s failed", self.training_job_name, exc_info=exc)
        self._stop_following()
        with self._lock:
            if not self._detached:
                self._kill_group_locked(signal.SIGKILL)
            self._state = "reaped"
        if self._proc is not None:
            with contextlib.suppress(Exception):
                self._proc.wait(timeout=5)  # do not leave a zombie behind
        if self.exit_event is None and not self._detached:
            self._finish(exit_code=None, internal_error=f"executor error: {exc!r}")
        self._end()

    def _begin(self) -> None:
        if self._adopt is not None:
            self._begin_adopted(self._adopt)
        else:
            self._begin_launch()

    def _begin_launch(self) -> None:
        assert self._plan is not None  # __init__ guarantees it
        with self._lock:
            cancelled = self._stop_requested or self._detached
            if cancelled:
                self._state = "reaped"
        if cancelled:
            if not self._detached:
                self._finish(exit_code=None)
            self._end()
            return
        try:
            plan = self._plan()
            log_fd = os.open(
                plan.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644
            )
        except (OSError, ValueError) as exc:
            self._launch_failed(exc)
            return
        try:
            log_start = os.fstat(log_fd).st_size
            tail = LogTail(plan.log_file, log_start)
            started = time.time()
            deadline = started + self._max_runtime if self._max_runtime else None
            plan.env[ENV_LOG_OFFSET] = str(log_start)
            plan.env[ENV_STARTED] = f"{started:.3f}"
            if deadline is not None:
                plan.env[ENV_DEADLINE] = f"{deadline:.3f}"
            try:
                proc = subprocess.Popen(
                    plan.argv,
                    cwd=plan.cwd,
                    env=plan.env,
                    stdin=subprocess.DEVNULL,
                    stdout=log_fd,
                    stderr=subprocess.STDOUT,
                    # Its own process group (pgid == pid), so a stop reaches its children
                    # too. A group, not a new session: start_new_session makes Popen fork
                    # instead of vfork, which costs milliseconds per job.
                    process_group=0,
                )
            except (OSError, ValueError) as exc:
                tail.close()
                self._launch_failed(exc)
                return
        finally:
            os.close(log_fd)
        with self._lock:  # from here on an interrupt or a bug of ours kills and reaps it
            self._pid, self._proc, self._state = proc.pid, proc, "running"
        self._loop.spawned(proc.pid)
        state = JobState(plan.attempt, proc.pid, log_start, started, deadline)
        files = (plan.log_file, plan.failure_file, plan.state_file)
        self._follow(_Followed(proc.pid, tail, *files, state, proc))

    def _begin_adopted(self, adopt: AdoptPlan) -> None:
        for line in recent_lines(
            adopt.log_file, adopt.log_start, adopt.resume_offset, STDERR_TAIL_LINES
        ):
            self._add_tail(line)
        tail = LogTail(adopt.log_file, adopt.resume_offset)
        if adopt.pid is None:
            self._replay(adopt, tail)
            self._end()
            return
        state = JobState(adopt.attempt, adopt.pid, adopt.log_start, adopt.started, adopt.deadline)
        self._follow(
            _Followed(
                adopt.pid, tail, adopt.log_file, adopt.failure_file, adopt.state_file, state, None
            )
        )

    def _follow(self, followed: _Followed) -> None:
        """Follow a running process: its exit, its log, its deadline."""
        with self._lock:
            self._pid = followed.pid
            self._proc = followed.proc
            self._state = "running"
            if self._stop_requested:
                self._terminate_locked()
        self._followed = followed
        loop = self._loop
        followed.exit_signal = ExitSignal(followed.pid, child=followed.proc is not None)
        loop.add_reader(followed.exit_signal.fd, self._guarded(self._on_process_exit))
        if followed.state.deadline is not None:
            at = time.monotonic() + (followed.state.deadline - time.time())
            followed.deadline_timer = loop.call_at(at, self._guarded(self._on_timeout))
        # Held (EVENT_HOLD_SECONDS) with what the log holds so far; the log is followed from
        # when the hold ends (see _follow_log), or read to its end at the exit if that is first.
        self._emit(JobStarted(self.training_job_name, followed.state.started, followed.pid))
        if followed.proc is None:  # adopted: lines written while nobody followed them
            self._deliver_all(followed.tail.read())
        with self._lock:
            detached = self._detached
        if detached:  # detach() came while the process was being started
            self._on_detach()

    def _follow_log(self) -> None:
        """Watch the log of the followed process from now on, and read what it holds.

        Not from the start: its lines would be held with the start anyway, and a short job
        that ends within the hold then costs no watch and no wake-up of this loop for its
        lines (woken while the process still runs, this loop takes its core from it): its log
        is read once, at the exit.
        """
        followed = self._followed
        if followed is None or followed.log_followed:
            return
        followed.log_followed = True
        followed.watch = self._loop.watch(followed.log_file, self._guarded(self._on_log))
        if followed.watch is None:
            self._poll_log_later()
        self._deliver_all(followed.tail.read())

    def _poll_log_later(self) -> None:
        followed = self._followed
        if followed is not None:
            at = time.monotonic() + filewatch.FALLBACK_POLL_SECONDS
            followed.poll_timer = self._loop.call_at(at, self._guarded(self._on_poll_log))

    def _on_poll_log(self) -> None:
        self._on_log()
        self._poll_log_later()

    def _on_log(self) -> None:
        followed = self._followed
        if followed is not None:
            self._deliver_all(followed.tail.read())

    def _stop_following(self) -> _Followed | None:
        """Unregister everything the loop does for this job; what was followed, if anything."""
        followed, self._followed = self._followed, None
        if followed is None:
            return None
        loop = self._loop
        if followed.proc is not None:
            loop.unfollowed(followed.pid)
        if followed.exit_signal is not None:
            loop.remove_reader(followed.exit_signal.fd)
            followed.exit_signal.close()
        if followed.watch is not None:
            loop.unwatch(followed.watch)
        for timer in (followed.poll_timer, followed.deadline_timer):
            if timer is not None:
                timer.cancel()
        return followed

    def _on_detach(self) -> None:
        """Let go of a followed process (the job's end for us, not for the process)."""
        if self._followed is None:
            return  # not started yet (its start sees the flag) or already ended
        followed = self._stop_following()
        assert followed is not None
        followed.tail.close()
        with self._lock:
            self._state = "reaped"
            stopping = self._stop_requested
        if followed.state_file is not None:
            left_state = dataclasses.replace(followed.state, left=True, stop_requested=stopping)
            write_state(followed.state_file, left_state)
        self._end()

    def _on_process_exit(self) -> None:
        """The process exited: the rest of its group is killed, its log read to the end, it is
        reaped and exactly one JobExited is emitted."""
        if self._followed is not None and self._followed.proc is not None:
            self._loop.follow_exit(self._followed.pid)  # before the reap: /proc still has it
        followed = self._stop_following()
        if followed is None:
            return
        tail = followed.tail
        self._kill_rest_of_group()
        self._deliver_all(tail.read())
        last = tail.finish()
        tail.close()
        if last is not None:
            self._deliver(last, time.time())
        with self._lock:
            stopping = self._stop_requested or self._timed_out
            stop_requested, timed_out = self._stop_requested, self._timed_out
        proc = followed.proc
        if proc is not None:
            rc = proc.wait()
            exit_code, signal_number = (rc, None) if rc >= 0 else (None, -rc)
            known = True
            failure_text = _failure_of(rc, followed.failure_file)
        else:
            exit_code, failure_text = unknown_exit(
                stopping=stopping,
                failure_text=_read_failure(followed.failure_file),
                tail=list(self._tail),
            )
            signal_number, known = None, False
        ended = time.time()
        end_state = dataclasses.replace(
            followed.state,
            ended=ended,
            exit_code=exit_code,
            signal=signal_number,
            stop_requested=stop_requested,
            timed_out=timed_out,
            status_known=known,
        )
        state_file = followed.state_file
        if state_file is not None and self._pending_states is not None:
            # Written only if the end is not stored soon (see PendingStates); queued before
            # the end is reported, so word that it was stored cannot come first.
            self._pending_end = (state_file, end_state)
            self._pending_states.add(state_file, end_state)
        self._finish(
            exit_code=exit_code,
            signal_number=signal_number,
            failure_text=failure_text,
            status_known=known,
            at=ended,
        )
        if state_file is not None and self._pending_states is None:
            write_state(state_file, end_state)
        self._end()

    def _replay(self, adopt: AdoptPlan, tail: LogTail) -> None:
        """The process already ended: deliver the lines not yet handled and how it ended."""
        ended = adopt.ended
        pid = ended.pid if ended is not None else None
        with self._lock:
            self._state = "reaped"
        self._emit(JobStarted(self.training_job_name, adopt.started, pid))
        self._deliver_all(tail.read())
        last = tail.finish()
        tail.close()
        if last is not None:
            self._deliver(last, time.time())
        if ended is not None and ended.ended is not None and ended.status_known:
            with self._lock:
                self._stop_requested |= ended.stop_requested
                self._timed_out = ended.timed_out
            self._finish(
                exit_code=ended.exit_code,
                signal_number=ended.signal,
                failure_text=_failure_of(ended.exit_code, adopt.failure_file),
                at=ended.ended,
            )
            return
        failure_text = _read_failure(adopt.failure_file)
        with self._lock:
            if ended is not None:
                self._stop_requested |= ended.stop_requested
                self._timed_out = ended.timed_out
            stopping = self._stop_requested or self._timed_out
        exit_code, failure_text = unknown_exit(
            stopping=stopping, failure_text=failure_text, tail=list(self._tail)
        )
        at = ended.ended if ended is not None and ended.ended is not None else None
        if at is None:  # it ended while nobody watched: its last write is the best estimate
            try:
                at = max(adopt.started, os.stat(adopt.log_file).st_mtime)
            except OSError:
                at = time.time()
        self._finish(exit_code=exit_code, failure_text=failure_text, status_known=False, at=at)

    def _launch_failed(self, exc: BaseException) -> None:
        with self._lock:
            self._state = "reaped"
        self._finish(exit_code=None, launch_error=_launch_message(exc))
        self._end()

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
        status_known: bool = True,
        at: float | None = None,
    ) -> None:
        with self._lock:
            stop_requested, timed_out = self._stop_requested, self._timed_out
        event = JobExited(
            training_job_name=self.training_job_name,
            time=at if at is not None else time.time(),
            exit_code=exit_code,
            signal=signal_number,
            stop_requested=stop_requested,
            timed_out=timed_out,
            failure_text=failure_text,
            launch_error=launch_error,
            internal_error=internal_error,
            stderr_tail="\n".join(self._tail),
            exit_status_known=status_known,
        )
        self.exit_event = event
        self._emit(event)

    def _end(self) -> None:
        """The job is over for us (exit reported or job detached): tell the executor."""
        if self._done.is_set():
            return
        self._release_held()
        if self._on_exit is not None:
            try:
                self._on_exit(self)
            except Exception:
                logger.exception("on_exit callback failed for %s", self.training_job_name)
        self._done.set()

    def _on_timeout(self) -> None:
        with self._lock:
            if self._state != "running":
                return
            self._timed_out = True
            self._terminate_locked()

    # ------------------------------------------------------------------ signals

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
        pid = self._pid
        if pid is None or self._state != "running":
            return
        try:
            os.killpg(pid, sig)  # process_group=0: the group id is the pid
        except ProcessLookupError:
            pass
        except PermissionError:
            logger.warning("cannot signal process group %s of %s", pid, self.training_job_name)

    # ------------------------------------------------------------------ events

    def _deliver_all(self, lines: list[Line]) -> None:
        if lines:
            now = time.time()
            for line in lines:
                self._deliver(line, now)

    def _deliver(self, line: Line, now: float) -> None:
        text = line.text
        self._add_tail(line, text)
        self._emit(LogLine(self.training_job_name, "output", text, now))

    def _add_tail(self, line: Line, text: str | None = None) -> None:
        shown = (text if text is not None else line.text)[:STDERR_TAIL_LINE_CHARS]
        if self._tail_open_cr and self._tail:
            self._tail[-1] = shown  # a progress bar redraws its line: keep the latest
        else:
            self._tail.append(shown)
        self._tail_open_cr = line.ended_cr

    def _emit(self, event: JobEvent) -> None:
        if isinstance(event, JobExited):
            self._release_held()
            self._send(event)
            return
        if not self._held:
            at = time.monotonic() + EVENT_HOLD_SECONDS
            self._hold_timer = self._loop.call_at(at, self._guarded(self._release_held))
        self._held.append(event)

    def _release_held(self) -> None:
        self._follow_log()  # the first release: what the log holds goes with the start
        if self._hold_timer is not None:
            self._hold_timer.cancel()
            self._hold_timer = None
        held, self._held = self._held, []
        for event in held:
            self._send(event)

    def _send(self, event: JobEvent) -> None:
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
