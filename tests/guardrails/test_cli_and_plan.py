"""`tunesmith doctor` and `tunesmith plan` through Typer, and the plan's arithmetic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from tunesmith.cli.guardrails_cmd import register
from tunesmith.domain.parse import parse_spec
from tunesmith.guardrails import PriceTable, load_price_table, make_plan

from .conftest import QUICKSTART, spec_doc

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app."""

    register(app)
    return app


def _write(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "tuning.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _invoke(app: typer.Typer, tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    env = {"TUNESMITH_HOME": str(tmp_path / "home"), "TUNESMITH_DATABASE_URL": ""}
    return CliRunner().invoke(app, list(args), env=env)


def test_doctor_json_with_error(app: typer.Typer, tmp_path: Path) -> None:
    path = _write(tmp_path, spec_doc(objective_type="Maximize", max_jobs=50))
    result = _invoke(app, tmp_path, "doctor", str(path), "--format", "json")
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)
    assert [f["code"] for f in findings] == ["objective-direction", "no-experiment-tracking"]
    for finding in findings:
        assert set(finding) == {"code", "severity", "field", "message", "fix"}
    assert findings[0]["severity"] == "error"
    assert findings[0]["field"] == "objective_type"
    assert not (tmp_path / "home").exists()  # the doctor creates no store


def test_doctor_clean_quickstart(app: typer.Typer, tmp_path: Path) -> None:
    result = _invoke(app, tmp_path, "doctor", str(QUICKSTART / "tuning.yaml"), "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    table = _invoke(app, tmp_path, "doctor", str(QUICKSTART / "tuning.yaml"))
    assert table.exit_code == 0
    assert "No findings" in table.stdout


def test_doctor_warnings_only_exit_zero(app: typer.Typer, tmp_path: Path) -> None:
    path = _write(tmp_path, spec_doc(max_jobs=4, max_parallel_jobs=8))
    result = _invoke(app, tmp_path, "doctor", str(path))
    assert result.exit_code == 0
    assert "parallel-exceeds-max-jobs" in result.stdout


def test_doctor_unreadable_spec(app: typer.Typer, tmp_path: Path) -> None:
    result = _invoke(app, tmp_path, "doctor", str(tmp_path / "missing.yaml"), "-f", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)[0]["code"] == "spec-invalid"


def test_doctor_dry_run_misaligned(app: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("print('Validation loss = 0.5', flush=True)\n")
    path = _write(tmp_path, spec_doc())
    result = _invoke(
        app, tmp_path, "doctor", str(path), "--dry-run", "-H", "x=1", "--max-seconds", "20"
    )
    assert result.exit_code == 1, result.output
    assert "dry-run-objective-missing" in result.stdout
    assert "emitted 0 time(s)" in result.stdout
    assert list((tmp_path / "home" / "dry-runs").iterdir())


def test_plan_json(app: typer.Typer, tmp_path: Path) -> None:
    result = _invoke(
        app,
        tmp_path,
        "plan",
        str(QUICKSTART / "tuning.yaml"),
        "--trial-seconds",
        "30",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["trials"] == 12 and plan["waves"] == 6
    assert plan["wall_clock_seconds"] == [180.0, 180.0]
    assert plan["local"] is True and plan["cost"] == [0.0, 0.0]
    assert plan["cloud_equivalent_cost"][1] == pytest.approx(12 * 30 / 3600 * 0.23)


def test_plan_table(app: typer.Typer, tmp_path: Path) -> None:
    result = _invoke(app, tmp_path, "plan", str(QUICKSTART / "tuning.yaml"))
    assert result.exit_code == 0, result.output
    assert "max_run (upper bound)" in result.stdout
    assert "cloud equivalent" in result.stdout


def test_plan_cloud_instance_with_spot_and_hyperband(tmp_path: Path) -> None:
    doc = spec_doc(
        strategy="Hyperband",
        max_jobs=10,
        max_parallel_jobs=3,
        estimator={
            "instance_type": "ml.g5.xlarge",
            "use_spot_instances": True,
            "max_wait": 7200,
            "hyperparameters": {"epochs": 10},
        },
    )
    spec = parse_spec(doc, tmp_path)
    plan = make_plan(spec, PriceTable({"ml.g5.xlarge": 2.0}, 0.5), trial_seconds=3600)
    assert plan.waves == 4
    assert plan.wall_clock_seconds == pytest.approx((4 * 3600 * 0.25, 4 * 3600))
    assert plan.cost == pytest.approx((10 * 2.0 * 0.5 * 0.25, 10 * 2.0 * 0.5))
    assert not plan.local and plan.spot


def test_plan_unknown_duration_and_price(tmp_path: Path) -> None:
    doc = spec_doc(estimator={"max_run": None, "instance_type": "ml.unknown.big"})
    doc["estimator"].pop("max_run")
    plan = make_plan(parse_spec(doc, tmp_path))
    assert plan.trial_seconds is None and plan.wall_clock_seconds is None
    assert len(plan.notes) == 2


def test_price_table_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("ml.m5.xlarge: 0.5\nml.custom: 1.25\nspot_discount: 0.6\n")
    monkeypatch.setenv("TUNESMITH_PRICE_TABLE", str(path))
    table = load_price_table()
    assert table.price("ml.m5.xlarge") == 0.5
    assert table.price("ml.custom") == 1.25
    assert table.price("ml.c5.xlarge") == 0.204  # built-in kept
    assert table.price("local") is None
    assert table.spot_discount == 0.6
