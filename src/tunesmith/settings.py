"""One typed settings object, read from ``TUNESMITH_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        from tunesmith.errors import TunesmithError

        raise TunesmithError(f"{name} must be a number of seconds, not {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    """Where state lives and how jobs run. ``TUNESMITH_HOME`` defaults to ``./.tunesmith``."""

    home: Path = field(default_factory=lambda: Path(".tunesmith"))
    database_url: str | None = None  # default: SQLite file under home
    executor: str = "local"  # local | ray
    ray_address: str | None = None  # auto, ray://host:10001, host:6379; None: a local Ray
    stop_grace_seconds: float = 120.0

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("TUNESMITH_HOME") or ".tunesmith").expanduser().resolve()
        return cls(
            home=home,
            database_url=os.environ.get("TUNESMITH_DATABASE_URL") or None,
            executor=os.environ.get("TUNESMITH_EXECUTOR") or "local",
            ray_address=os.environ.get("TUNESMITH_RAY_ADDRESS") or None,
            stop_grace_seconds=_env_float("TUNESMITH_STOP_GRACE_SECONDS", 120.0),
        )

    @property
    def jobs_dir(self) -> Path:
        return self.home / "jobs"
