"""Find the training processes a controller that is gone left behind on this machine.

A process is recognised by its own environment (``/proc/PID/environ``): the training job's
name and attempt, where its output starts in the log and when its runtime runs out, all set at
launch. A pid alone is never trusted (it may have been recycled), and only process-group
leaders count (their children inherit the same environment). Linux only; elsewhere nothing is
found, so jobs are retried rather than adopted.
"""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from tunesmith.execution.exitwatch import pid_running
from tunesmith.execution.jobstate import ENV_ATTEMPT, ENV_DEADLINE, ENV_LOG_OFFSET, ENV_STARTED

_NAME = b"TRAINING_JOB_NAME="


@dataclass(frozen=True)
class JobProcess:
    """A live process-group leader that runs (an attempt of) a training job."""

    pid: int
    name: str
    attempt: int | None
    log_offset: int | None
    started: float | None
    deadline: float | None
    devices: tuple[str, ...] | None  # CUDA_VISIBLE_DEVICES, when set


def _environ(pid: int) -> dict[str, str] | None:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    if _NAME not in raw:
        return None
    env: dict[str, str] = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            env[key.decode(errors="replace")] = value.decode(errors="replace")
    return env


def _number(text: str | None, kind: type[int] | type[float]) -> float | None:
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        return None


def _describe(pid: int, env: dict[str, str]) -> JobProcess:
    attempt = _number(env.get(ENV_ATTEMPT), int)
    offset = _number(env.get(ENV_LOG_OFFSET), int)
    devices = env.get("CUDA_VISIBLE_DEVICES")
    return JobProcess(
        pid=pid,
        name=env.get("TRAINING_JOB_NAME", ""),
        attempt=int(attempt) if attempt is not None else None,
        log_offset=int(offset) if offset is not None else None,
        started=_number(env.get(ENV_STARTED), float),
        deadline=_number(env.get(ENV_DEADLINE), float),
        devices=tuple(d for d in devices.split(",") if d) if devices else None,
    )


def _is_group_leader(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except OSError:
        return False


def job_process(pid: int) -> JobProcess | None:
    """The job process ``pid`` is, if it is a live group leader running a training job."""
    env = _environ(pid)
    if env is None or not _is_group_leader(pid) or not pid_running(pid):
        return None
    return _describe(pid, env)


def job_processes(names: set[str], hints: dict[str, int] | None = None) -> list[JobProcess]:
    """Live group leaders on this machine running any of the training jobs ``names``.

    ``hints`` (name -> pid remembered by the store) are checked first; the rest of ``/proc`` is
    scanned only for names a hint did not account for.
    """
    found: dict[int, JobProcess] = {}
    for name, pid in (hints or {}).items():
        process = job_process(pid)
        if process is not None and process.name == name:
            found[pid] = process
    missing = names - {p.name for p in found.values()}
    if missing:
        found.update({p.pid: p for p in _scan(missing, skip=set(found))})
    return list(found.values())


def _scan(names: set[str], skip: set[int]) -> list[JobProcess]:
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    me = os.getpid()
    found = []
    for entry in entries:
        if not entry.isdigit():
            continue
        pid = int(entry)
        if pid == me or pid in skip:
            continue
        process = job_process(pid)
        if process is not None and process.name in names:
            found.append(process)
    return found


def kill_group(pid: int) -> None:
    """SIGKILL a job's process group (the caller has checked it runs that job)."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
