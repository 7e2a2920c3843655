"""Who drives a tuning job: the lease a controller holds and renews while it runs.

A lease names its owner ``host:pid:id`` and expires unless renewed. A controller on this
machine that died (kill -9, a crash) is recognised at once from its pid, so a resume does not
wait for the lease to expire.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

from tunesmith.store import TuningJobRecord


def owner_name(instance: object) -> str:
    import os

    return f"{socket.gethostname()}:{os.getpid()}:{id(instance):x}"


def owner_is_dead(owner: str) -> bool:
    """Whether ``owner`` is a controller on this machine that no longer runs (its pid is gone
    or now belongs to a process that is not tunesmith)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        cmdline = Path(f"/proc/{pid_text}/cmdline").read_bytes()
    except OSError:
        return True
    return b"tunesmith" not in cmdline


def controller_running(record: TuningJobRecord) -> bool:
    """Whether a live controller holds the tuning job's lease right now."""
    expires = record.lease_expires_at
    if record.lease_owner is None or expires is None or expires <= datetime.now(UTC):
        return False
    return not owner_is_dead(record.lease_owner)
