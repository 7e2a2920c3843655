"""Spec builders for the guardrail tests: a clean friendly spec and overrides of it."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tunesmith.domain.enums import ObjectiveType, Strategy, TuningJobStatus
from tunesmith.domain.parse import parse_spec
from tunesmith.guardrails import CheckContext, diagnose
from tunesmith.store import TuningJobRecord, tuning_job_arn

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "examples" / "quickstart"

BASE: dict[str, Any] = {
    "tuning_job_name": "job",
    "strategy": "Random",
    "objective_metric_name": "val_loss",
    "objective_type": "Minimize",
    "max_jobs": 10,
    "max_parallel_jobs": 2,
    "metric_definitions": [{"Name": "val_loss", "Regex": r"val_loss=([0-9.eE+-]+)"}],
    "hyperparameter_ranges": {
        "x": {"type": "continuous", "min_value": -5, "max_value": 5},
        "kind": {"type": "categorical", "values": ["a", "b"]},
    },
    "estimator": {"entry_point": "train.py", "source_dir": ".", "max_run": 60},
}


def spec_doc(**overrides: Any) -> dict[str, Any]:
    """BASE with top-level keys replaced; ``estimator`` and ``hyperparameter_ranges`` merge."""
    doc = copy.deepcopy(BASE)
    for key, value in overrides.items():
        if key in ("estimator", "hyperparameter_ranges") and value is not None:
            doc[key].update(value)
        elif value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def codes(doc: dict[str, Any], **context: Any) -> set[str]:
    """The finding codes of a document (no store, unless given)."""
    context.setdefault("stored_jobs", [])
    result = diagnose(doc, Path("/tmp"), CheckContext(**context))
    return {f.code for f in result.findings}


def stored_job(
    doc: dict[str, Any],
    status: TuningJobStatus = TuningJobStatus.COMPLETED,
) -> TuningJobRecord:
    """A tuning-job record holding ``doc``'s canonical spec, as the store would return it."""
    spec = parse_spec(doc, Path("/tmp"))
    now = datetime.now(UTC)
    return TuningJobRecord(
        name=spec.hyper_parameter_tuning_job_name,
        arn=tuning_job_arn(spec.hyper_parameter_tuning_job_name),
        spec=spec.to_request(),
        strategy=Strategy(spec.hyper_parameter_tuning_job_config.strategy),
        objective_metric=spec.objective.metric_name,
        objective_type=ObjectiveType(spec.objective.type),
        status=status,
        creation_time=now,
        last_modified_time=now,
    )
