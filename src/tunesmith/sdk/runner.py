"""Where ``fit()`` runs the controller: here (``wait=True``) or in a detached process
(``wait=False``).

The background process, not a thread: a thread would die with the interpreter (a script that
ends, a notebook kernel restarted) and leave the tuning job half run. The detached process runs
:func:`run_controller`, keeps running on its own, writes its output to
``$TUNESMITH_HOME/jobs/<name>/controller.log`` and stops the tuning job cleanly on SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from tunesmith.errors import TunesmithError
from tunesmith.orchestrator.leases import controller_running
from tunesmith.orchestrator.service import TuningService

STARTUP_TIMEOUT_SECONDS = 60.0  # for the background controller to take the tuning job's lease
_RUNNER = (
    "import sys; from tunesmith.sdk.runner import run_controller; "
    "sys.exit(run_controller(sys.argv[1]))"
)


def controller_log(service: TuningService, name: str) -> Path:
    return Path(service.settings.jobs_dir) / name / "controller.log"


def start_background(service: TuningService, name: str) -> subprocess.Popen[bytes]:
    """Start a detached controller for the created tuning job ``name``; return once it runs."""
    settings = service.settings
    env = dict(os.environ)
    env["TUNESMITH_HOME"] = str(Path(settings.home).resolve())
    env["TUNESMITH_EXECUTOR"] = settings.executor
    env["TUNESMITH_STOP_GRACE_SECONDS"] = repr(settings.stop_grace_seconds)
    if settings.database_url:
        env["TUNESMITH_DATABASE_URL"] = settings.database_url
    log_path = controller_log(service, name)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", _RUNNER, name],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in this terminal does not reach it
        )
    threading.Thread(target=process.wait, daemon=True).start()  # reap it when it ends
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        record = service.get(name)
        if record.status.is_terminal or controller_running(record):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise_if_not_running(service, name)
    return process


def raise_if_not_running(service: TuningService, name: str) -> None:
    """Called when the background controller is gone: fine if the tuning job ended."""
    if service.get(name).status.is_terminal:
        return
    log_path = controller_log(service, name)
    try:
        tail = log_path.read_text(errors="replace")[-2000:].strip()
    except OSError:
        tail = ""
    raise TunesmithError(
        f"The background controller of tuning job {name} is not running (log: {log_path})"
        + (f": {tail}" if tail else "")
    )


ON_INTERRUPT_CHOICES = ("stop", "leave", "ask")


@contextmanager
def stop_on_interrupt(controllers: list[Any], on_interrupt: str = "stop") -> Iterator[list[str]]:
    """First Ctrl-C: stop the running training jobs cleanly ("stop"), or leave them running for
    a later resume ("leave"), or ask which ("ask", reading the answer from stdin). Second: interrupt
    at once.

    Yields a list that holds "stop" or "leave" once Ctrl-C was pressed. Only in the main thread
    (signal handlers cannot be set elsewhere); notebook kernels deliver "interrupt" as SIGINT too.
    """
    if on_interrupt not in ON_INTERRUPT_CHOICES:
        raise ValueError(
            f"on_interrupt must be one of {ON_INTERRUPT_CHOICES}, not {on_interrupt!r}"
        )
    pressed: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if not pressed and controllers:
            choice = _choose(on_interrupt, controllers[0])
            pressed.append(choice)
            if choice == "leave":
                print("\nLeaving the training jobs running...", file=sys.stderr, flush=True)
                controllers[0].leave_jobs_running()  # at its next safe point
                return
            print(
                "\nStopping the running training jobs (interrupt again to abort)...",
                file=sys.stderr,
                flush=True,
            )
            controllers[0].request_stop("Stopped by Ctrl-C")
            return
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)


def _choose(on_interrupt: str, controller: Any) -> str:
    """stop or leave; leaving needs an executor whose jobs outlive the controller (local)."""
    if not hasattr(controller.executor, "detach_all"):
        return "stop"
    if on_interrupt != "ask":
        return on_interrupt
    try:
        answer = input(
            "\nStop the running training jobs, or leave them running for a later resume? "
            "[s]top / [l]eave (default stop): "
        )
    except (EOFError, OSError, RuntimeError):
        answer = ""
    return "leave" if answer.strip().lower() in ("l", "leave") else "stop"


def run_controller(name: str) -> int:
    """Entry point of the background controller process started by ``fit(wait=False)``."""
    service = TuningService()
    controllers: list[Any] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if controllers:
            controllers[0].request_stop(f"Stopped by signal {signal.Signals(signum).name}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        service.run(name, on_controller=controllers.append)
    except TunesmithError as exc:
        print(f"Error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        service.close()
    return 0
