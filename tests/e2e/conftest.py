"""Shared helpers: write a training script and a spec into a temp folder, run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

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


def write_spec(folder: Path, script: str, **overrides: Any) -> Path:
    """A friendly spec running ``train.py`` (the given source) in script mode."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.py").write_text(script)
    spec: dict[str, Any] = {
        "tuning_job_name": "job",
        "strategy": "Random",
        "objective_metric_name": "loss",
        "objective_type": "Minimize",
        "max_jobs": 4,
        "max_parallel_jobs": 2,
        "random_seed": 1,
        "metric_definitions": [{"Name": "loss", "Regex": r"loss=(\S+)"}],
        "hyperparameter_ranges": {
            "x": {"type": "continuous", "min_value": -5, "max_value": 5},
        },
        "estimator": {"entry_point": "train.py", "source_dir": ".", "max_run": 60},
    }
    for key, value in overrides.items():
        if key == "estimator":
            spec["estimator"].update(value)
        else:
            spec[key] = value
    path = folder / "tuning.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


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
