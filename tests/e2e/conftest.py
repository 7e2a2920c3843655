"""Shared helpers: write a training script and a spec into a temp folder, run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from spec_files import write_spec  # noqa: F401 - re-exported for the tests here

from tunesmith.orchestrator.service import TuningService
from tunesmith.settings import Settings

CLI = [sys.executable, "-m", "tunesmith.cli.app"]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def service(home: Path) -> Iterator[TuningService]:
    svc = TuningService(Settings(home=home, stop_grace_seconds=2.0))
    yield svc
    svc.close()


def run_cli(
    args: list[str], home: Path, timeout: float = 120, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


def cli_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["TUNESMITH_HOME"] = str(home)
    env["TUNESMITH_STOP_GRACE_SECONDS"] = "2"
    env["COLUMNS"] = "200"
    return env
