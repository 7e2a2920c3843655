"""A friendly tuning spec around a small training script, shared by the end-to-end and Ray
tests (``tests`` is on pytest's python path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


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
