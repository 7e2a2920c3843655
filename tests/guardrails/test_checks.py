"""One test per check: a spec with the mistake makes exactly that finding; the clean
quickstart spec makes none."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunesmith.domain.parse import load_document, parse_spec
from tunesmith.domain.rules import OBJECTIVE_HYPERPARAMETER
from tunesmith.execution.base import JobExited
from tunesmith.guardrails import CheckContext, diagnose
from tunesmith.guardrails.checks.metrics import backtracking_hazard
from tunesmith.guardrails.dry_run import analyse
from tunesmith.guardrails.findings import Severity

from .conftest import BASE, QUICKSTART, codes, spec_doc, stored_job

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("name", ["tuning.yaml", "request.json"])
def test_quickstart_has_no_finding(name: str) -> None:
    document = load_document((QUICKSTART / name).read_text())
    result = diagnose(document, QUICKSTART, CheckContext(stored_jobs=[]))
    assert result.findings == []
    assert result.valid


def test_base_spec_is_clean() -> None:
    assert codes(spec_doc()) == set()


# 1 -------------------------------------------------------------------------------------------
def test_bayesian_parallelism() -> None:
    doc = spec_doc(strategy="Bayesian", max_jobs=20, max_parallel_jobs=10)
    assert codes(doc) == {"bayesian-parallelism"}
    result = diagnose(doc, Path("/tmp"), CheckContext(stored_jobs=[]))
    (finding,) = result.findings
    assert finding.field == "max_parallel_jobs"
    assert finding.severity == Severity.WARNING


def test_bayesian_moderate_parallelism_is_advice() -> None:
    doc = spec_doc(strategy="Bayesian", max_jobs=20, max_parallel_jobs=8)
    result = diagnose(doc, Path("/tmp"), CheckContext(stored_jobs=[]))
    assert [(f.code, f.severity) for f in result.findings] == [
        ("bayesian-parallelism", Severity.ADVICE)
    ]


def test_parallel_exceeds_max_jobs() -> None:
    assert codes(spec_doc(max_jobs=4, max_parallel_jobs=8)) == {"parallel-exceeds-max-jobs"}


# 2 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("metric", "direction"),
    [("validation:accuracy", "Minimize"), ("val_auc", "Minimize"), ("valid-rmse", "Maximize")],
)
def test_objective_direction(metric: str, direction: str) -> None:
    doc = spec_doc(
        objective_metric_name=metric,
        objective_type=direction,
        metric_definitions=[{"Name": metric, "Regex": "m=([0-9.]+)"}],
    )
    assert codes(doc) == {"objective-direction"}


def test_objective_direction_ignores_ambiguous_names() -> None:
    doc = spec_doc(
        objective_metric_name="accuracy_drop",
        metric_definitions=[{"Name": "accuracy_drop", "Regex": "d=([0-9.]+)"}],
    )
    assert codes(doc) == set()


# 3 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("regex", "code"),
    [
        ("val_loss=([0-9.]+", "regex-invalid"),
        ("(val_loss)=([0-9.]+)", "regex-capture-groups"),
        ("val_loss=[0-9.]+", "regex-capture-groups"),
        ("(?:.*)*val_loss=([0-9.]+)", "regex-backtracking"),
        (".*.*val_loss=([0-9.]+)", "regex-backtracking"),
    ],
)
def test_metric_regex_problems(regex: str, code: str) -> None:
    doc = spec_doc(metric_definitions=[{"Name": "val_loss", "Regex": regex}])
    result = diagnose(doc, Path("/tmp"), CheckContext(stored_jobs=[]))
    assert {f.code for f in result.findings} == {code}
    assert result.findings[0].field == "metric_definitions[0].Regex"


@pytest.mark.parametrize(
    ("regex", "hazard"),
    [
        ("(a+)+b", True),
        ("(.*?)+x", True),
        ("(?:\\d+)*x", True),
        ("x=(\\S+) y=(\\S+)", False),
        ("loss=([0-9.]+)", False),
        ("a.*b.*c", False),
    ],
)
def test_backtracking_heuristic(regex: str, hazard: bool) -> None:
    assert (backtracking_hazard(regex) is not None) == hazard


def test_objective_undefined() -> None:
    doc = spec_doc(objective_metric_name="val_mse")
    result = diagnose(doc, Path("/tmp"), CheckContext(stored_jobs=[]))
    assert {f.code for f in result.findings} == {"objective-undefined"}
    assert result.findings[0].field == "objective_metric_name"


# 4 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "range_"),
    [
        (
            "lr",
            {"type": "continuous", "min_value": 1e-5, "max_value": 1e-1, "scaling_type": "Linear"},
        ),
        ("units", {"type": "integer", "min_value": 1, "max_value": 1000, "scaling_type": "Linear"}),
    ],
)
def test_linear_scale_over_orders_of_magnitude(name: str, range_: dict) -> None:
    doc = spec_doc(hyperparameter_ranges={name: range_})
    result = diagnose(doc, Path("/tmp"), CheckContext(stored_jobs=[]))
    assert {f.code for f in result.findings} == {"linear-scale-wide-range"}
    assert result.findings[0].field == f"hyperparameter_ranges.{name}.scaling_type"
    assert "Logarithmic" in result.findings[0].fix


def test_auto_scaling_over_orders_of_magnitude_is_fine() -> None:
    doc = spec_doc(
        hyperparameter_ranges={"lr": {"type": "continuous", "min_value": 1e-5, "max_value": 1e-1}}
    )
    assert codes(doc) == set()


# 5 -------------------------------------------------------------------------------------------
def _warm(kind: str = "identical_data_and_algorithm", **overrides: object) -> dict:
    return spec_doc(
        tuning_job_name="child",
        warm_start_config={"warm_start_type": kind, "parents": ["parent"]},
        **overrides,
    )


def test_warm_start_parent_missing() -> None:
    assert codes(_warm(), stored_jobs=[]) == {"warm-start-parent-missing"}


def test_warm_start_parameter_missing() -> None:
    parent = stored_job(
        spec_doc(
            tuning_job_name="parent",
            hyperparameter_ranges={"depth": {"type": "integer", "min_value": 1, "max_value": 8}},
        )
    )
    assert codes(_warm(), stored_jobs=[parent]) == {"warm-start-parameter-missing"}


def test_warm_start_transfer_learning_while_nothing_changed() -> None:
    parent = stored_job(spec_doc(tuning_job_name="parent"))
    assert codes(_warm("transfer_learning"), stored_jobs=[parent]) == {"warm-start-mode"}


def test_warm_start_identical_while_setup_changed() -> None:
    parent = stored_job(spec_doc(tuning_job_name="parent"))
    child = _warm(estimator={"hyperparameters": {"epochs": 5}})
    assert codes(child, stored_jobs=[parent]) == {"warm-start-mode"}
    assert codes(_warm(), stored_jobs=[parent]) == set()


def test_warm_start_parent_running() -> None:
    from tunesmith.domain.enums import TuningJobStatus

    parent = stored_job(spec_doc(tuning_job_name="parent"), TuningJobStatus.IN_PROGRESS)
    assert codes(_warm(), stored_jobs=[parent]) == {"warm-start-parent-running"}


# 6 -------------------------------------------------------------------------------------------
HYPERBAND = {"strategy": "Hyperband", "estimator": {"hyperparameters": {"epochs": 10}}}


def test_hyperband_with_early_stopping_auto() -> None:
    doc = spec_doc(early_stopping_type="Auto", **HYPERBAND)
    result = diagnose(doc, Path("/tmp"), CheckContext(stored_jobs=[]))
    assert {f.code for f in result.findings} == {"hyperband-with-early-stopping"}
    assert not result.valid


def test_hyperband_with_objective_reported_once() -> None:
    doc = spec_doc(**HYPERBAND)
    dry = _fake_dry_run(doc, ["epoch=10 val_loss=0.3"])
    assert codes(doc, dry_run=dry) == {"hyperband-single-report"}
    per_epoch = _fake_dry_run(doc, [f"epoch={i} val_loss=0.{i}" for i in range(1, 4)])
    assert codes(doc, dry_run=per_epoch) == set()


# 7 -------------------------------------------------------------------------------------------
def test_grid_with_numeric_range() -> None:
    doc = spec_doc(strategy="Grid", max_jobs=None)
    result = diagnose(doc, Path("/tmp"), CheckContext(stored_jobs=[]))
    assert {f.code for f in result.findings} == {"grid-numeric-range"}
    assert result.findings[0].field == "hyperparameter_ranges.x"


def test_grid_too_large() -> None:
    values = [str(i) for i in range(28)]
    doc = spec_doc(
        strategy="Grid",
        max_jobs=None,
        hyperparameter_ranges=None,
    )
    doc["hyperparameter_ranges"] = {
        "a": {"type": "categorical", "values": values},
        "b": {"type": "categorical", "values": values},
    }
    assert codes(doc) == {"grid-too-large"}


def test_grid_larger_than_budget() -> None:
    doc = spec_doc(strategy="Grid", max_jobs=5)
    doc["hyperparameter_ranges"] = {
        "a": {"type": "categorical", "values": ["1", "2", "3"]},
        "b": {"type": "categorical", "values": ["x", "y", "z"]},
    }
    result = diagnose(doc, Path("/tmp"), CheckContext(stored_jobs=[]))
    assert {f.code for f in result.findings} == {"grid-exceeds-budget"}
    assert result.findings[0].field == "max_jobs"


# 8 -------------------------------------------------------------------------------------------
def test_long_jobs_without_early_stopping() -> None:
    doc = spec_doc(estimator={"max_run": 3600, "hyperparameters": {"epochs": 20}})
    assert codes(doc) == {"long-jobs-no-early-stopping"}
    assert codes(spec_doc(estimator={"max_run": 3600})) == set()  # no per-epoch metric known


def test_long_jobs_from_dry_run_duration() -> None:
    doc = spec_doc()
    lines = [f"val_loss=0.{i}" for i in range(1, 6)]
    assert codes(doc, dry_run=_fake_dry_run(doc, lines, duration=900)) == {
        "long-jobs-no-early-stopping"
    }


# 9 -------------------------------------------------------------------------------------------
def test_finished_similar_tuning_job_suggests_warm_start() -> None:
    earlier = stored_job(spec_doc(tuning_job_name="earlier"))
    result = diagnose(spec_doc(), Path("/tmp"), CheckContext(stored_jobs=[earlier]))
    assert {f.code for f in result.findings} == {"warm-start-available"}
    assert "identical_data_and_algorithm" in result.findings[0].fix
    changed = stored_job(
        spec_doc(tuning_job_name="earlier", estimator={"hyperparameters": {"epochs": 3}})
    )
    result = diagnose(spec_doc(), Path("/tmp"), CheckContext(stored_jobs=[changed]))
    assert "transfer_learning" in result.findings[0].fix


def test_unrelated_stored_jobs_suggest_nothing() -> None:
    other = stored_job(
        spec_doc(
            tuning_job_name="other",
            hyperparameter_ranges={"x": {"type": "continuous", "min_value": 10, "max_value": 20}},
        )
    )
    same_name = stored_job(spec_doc())
    assert codes(spec_doc(), stored_jobs=[other, same_name]) == set()


# 10 ------------------------------------------------------------------------------------------
def test_many_trials_without_tracking() -> None:
    result = diagnose(spec_doc(max_jobs=50), Path("/tmp"), CheckContext(stored_jobs=[]))
    assert [(f.code, f.severity) for f in result.findings] == [
        ("no-experiment-tracking", Severity.ADVICE)
    ]
    assert "tunesmith leaderboard job --format csv" in result.findings[0].fix


# also ----------------------------------------------------------------------------------------
def test_bayesian_over_mostly_categorical() -> None:
    doc = spec_doc(strategy="Bayesian", max_parallel_jobs=1)
    doc["hyperparameter_ranges"] = {
        "a": {"type": "categorical", "values": ["1", "2"]},
        "b": {"type": "categorical", "values": ["x", "y"]},
        "c": {"type": "categorical", "values": ["p", "q"]},
        "x": {"type": "continuous", "min_value": 0, "max_value": 1},
    }
    assert codes(doc) == {"bayesian-mostly-categorical"}


@pytest.mark.parametrize(
    ("name", "range_"),
    [
        ("learning_rate", {"min_value": 1e-4, "max_value": 10, "scaling_type": "Logarithmic"}),
        ("dropout", {"min_value": 0, "max_value": 2}),
        ("weight_decay", {"min_value": 1e-12, "max_value": 1, "scaling_type": "Logarithmic"}),
    ],
)
def test_very_wide_bounds(name: str, range_: dict) -> None:
    doc = spec_doc(hyperparameter_ranges={name: {"type": "continuous", **range_}})
    assert codes(doc) == {"wide-bounds"}


def test_rule_violations_become_spec_invalid_findings() -> None:
    doc = spec_doc(
        hyperparameter_ranges={
            "lr": {
                "type": "continuous",
                "min_value": 0,
                "max_value": 1,
                "scaling_type": "Logarithmic",
            }
        }
    )
    result = diagnose(doc, Path("/tmp"), CheckContext(stored_jobs=[]))
    assert [(f.code, f.field) for f in result.findings] == [
        ("spec-invalid", "hyperparameter_ranges.lr.scaling_type")
    ]


def test_unknown_field_is_spec_invalid() -> None:
    doc = dict(BASE, max_job=3)
    assert codes(doc) == {"spec-invalid"}


def test_pascal_case_fields_keep_pascal_names() -> None:
    document = load_document((QUICKSTART / "request.json").read_text())
    document["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]["Type"] = (
        "Minimize"
    )
    result = diagnose(document, QUICKSTART, CheckContext(stored_jobs=[]))
    (finding,) = result.findings
    assert finding.code == "objective-direction"
    assert finding.field == "HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.Type"
    assert "Set Type to Maximize" in finding.fix


# helpers -------------------------------------------------------------------------------------
def _fake_dry_run(doc: dict, lines: list[str], duration: float = 2.0):  # type: ignore[no-untyped-def]
    from tunesmith.domain.parse import parse_spec

    spec = parse_spec(doc, Path("/tmp"))
    exited = JobExited("job-dry-run", 0.0, exit_code=0)
    tuned = {OBJECTIVE_HYPERPARAMETER: "val_loss"}
    return analyse(spec, "job-dry-run", Path("/tmp/x"), tuned, lines, exited, duration)


def test_warm_start_identical_while_code_content_changed(tmp_path: Path) -> None:
    import dataclasses

    from tunesmith.fingerprints import fingerprints

    (tmp_path / "train.py").write_text("print('val_loss=1')\n")
    parent_doc = spec_doc(tuning_job_name="parent")
    parent_spec = parse_spec(parent_doc, tmp_path)
    parent = dataclasses.replace(
        stored_job(parent_doc),
        spec=parent_spec.to_request(),
        fingerprints=fingerprints(parent_spec),
    )
    child = _warm()
    context = CheckContext(stored_jobs=[parent])
    assert {f.code for f in diagnose(child, tmp_path, context).findings} == set()
    (tmp_path / "train.py").write_text("print('val_loss=2')\n")  # the code changed
    found = diagnose(child, tmp_path, context).findings
    assert {f.code for f in found} == {"warm-start-mode"}
    assert "stale priors" in found[0].message
