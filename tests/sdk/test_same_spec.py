"""The SDK and the friendly YAML compile to the same canonical spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunesmith.domain.parse import load_document
from tunesmith.orchestrator.service import TuningService
from tunesmith.sdk import CategoricalParameter, ContinuousParameter, Estimator, HyperparameterTuner

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"


def quickstart_tuner(source_dir: str) -> HyperparameterTuner:
    """examples/quickstart/tuning.yaml, written as SageMaker SDK code."""
    estimator = Estimator(
        entry_point="train.py",
        source_dir=source_dir,
        hyperparameters={"epochs": 10, "penalty": "elasticnet"},
        instance_type="local",
        max_run=300,
    )
    return HyperparameterTuner(
        estimator,
        objective_metric_name="validation:accuracy",
        objective_type="Maximize",
        hyperparameter_ranges={
            "alpha": ContinuousParameter(1e-6, 1e-1, scaling_type="Logarithmic"),
            "l1_ratio": ContinuousParameter(0.0, 1.0),
            "loss": CategoricalParameter(["hinge", "log_loss", "modified_huber"]),
        },
        metric_definitions=[
            {"Name": "validation:accuracy", "Regex": "validation:accuracy=([0-9.]+)"},
            {"Name": "train:accuracy", "Regex": "train:accuracy=([0-9.]+)"},
            {"Name": "validation:error", "Regex": "validation:error=([0-9.]+)"},
        ],
        strategy="Bayesian",
        max_jobs=12,
        max_parallel_jobs=2,
        random_seed=7,
    )


def yaml_spec() -> object:
    path = QUICKSTART / "tuning.yaml"
    document = load_document(path.read_text(), source=str(path))
    return TuningService().validate(document, base_dir=path.parent)


@pytest.mark.parametrize("source_dir", [str(QUICKSTART), "."])
def test_quickstart_through_the_sdk_equals_the_yaml(
    source_dir: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(QUICKSTART if source_dir == "." else tmp_path)
    sdk = quickstart_tuner(source_dir).validate(job_name="quickstart")
    assert sdk == yaml_spec()
    assert sdk.to_request() == yaml_spec().to_request()  # type: ignore[attr-defined]


def test_attach_rebuilds_the_same_spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    service = TuningService()
    spec = yaml_spec()
    service.create(spec)  # type: ignore[arg-type]
    attached = HyperparameterTuner.attach("quickstart")
    assert attached.validate(job_name="quickstart") == spec
    assert attached.latest_tuning_job is not None
    assert attached.latest_tuning_job.name == "quickstart"
    assert attached.estimator.hyperparameters() == {"epochs": "10", "penalty": "elasticnet"}
    assert attached.max_jobs == 12 and attached.random_seed == 7
    service.close()
