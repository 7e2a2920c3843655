"""Shared fixtures: a fresh TUNESMITH_HOME and working directory, tiny training scripts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tunesmith.sdk import ContinuousParameter, Estimator, HyperparameterTuner

QUADRATIC = r"""
import argparse, os
p = argparse.ArgumentParser()
p.add_argument("-x", "--x", type=float)
p.add_argument("--epochs", type=int)
p.add_argument("--pause", type=float, default=0.0)
a = p.parse_args()
import time
for epoch in range(1, a.epochs + 1):
    print(f"epoch {epoch}: loss={(a.x - 1) ** 2 + 1 / epoch:.6f}", flush=True)
    time.sleep(a.pause)
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w") as f:
    f.write(str(a.x))
"""

SLOW = r"""
import time
print("loss=1.0", flush=True)
time.sleep(60)
"""

FAILING = r"""
import sys
print("loss=nan", flush=True)
sys.exit(1)
"""

LOSS = [{"Name": "loss", "Regex": r"loss=(\S+)"}]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """tmp_path as the current directory, with the store under tmp_path/home."""
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TUNESMITH_STOP_GRACE_SECONDS", "2")
    monkeypatch.delenv("TUNESMITH_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def write_script(folder: Path, source: str, name: str = "train.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(source)
    return path


def make_tuner(folder: Path, script: str = QUADRATIC, **overrides: Any) -> HyperparameterTuner:
    """A Random, Minimize-loss tuner over x in [-5, 5] running ``script`` in script mode."""
    write_script(folder / "src", script)
    estimator_args: dict[str, Any] = {
        "entry_point": "train.py",
        "source_dir": "src",
        "hyperparameters": {"epochs": 3},
        "metric_definitions": LOSS,
        "max_run": 30,
    }
    estimator_args.update(overrides.pop("estimator", {}))
    args: dict[str, Any] = {
        "objective_metric_name": "loss",
        "hyperparameter_ranges": {"x": ContinuousParameter(-5, 5)},
        "strategy": "Random",
        "objective_type": "Minimize",
        "max_jobs": 4,
        "max_parallel_jobs": 2,
        "random_seed": 3,
    }
    args.update(overrides)
    return HyperparameterTuner(Estimator(**estimator_args), **args)
