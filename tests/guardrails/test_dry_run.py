"""The dry run on real training scripts run as real processes by the local executor."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from tunesmith.domain.parse import parse_spec
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.execution.local import LocalExecutor
from tunesmith.guardrails import CheckContext, DryRunResult, diagnose, run_dry_run
from tunesmith.orchestrator.requests import all_hyperparameters, build_request

from .conftest import spec_doc

pytestmark = pytest.mark.timeout(30)

PER_EPOCH = """
import sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
print("x is", args["-x"], "kind is", args["--kind"], flush=True)
for epoch in range(1, 4):
    print(f"epoch={epoch} val_loss={1 / epoch:.3f}", flush=True)
"""

MISALIGNED = """
for epoch in range(1, 3):
    print(f"Epoch {epoch}/2 - Validation accuracy = 0.8{epoch}", flush=True)
"""


def _dry_run(
    tmp_path: Path, script: str, doc: dict[str, Any], **kwargs: Any
) -> tuple[DryRunResult, dict[str, Any]]:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "train.py").write_text(textwrap.dedent(script))
    spec = parse_spec(doc, folder)
    executor = LocalExecutor(stop_grace_seconds=1.0)
    try:
        result = run_dry_run(spec, executor, _factory(spec), tmp_path / "dry-runs", **kwargs)
    finally:
        executor.close()
    return result, doc


def _factory(spec: TuningJobSpec):  # type: ignore[no-untyped-def]
    def factory(tuned: dict[str, str], name: str, job_dir: Path, seconds: int | None):
        return build_request(
            spec, name, all_hyperparameters(spec, tuned), job_dir, max_runtime_seconds=seconds
        )

    return factory


def _codes(doc: dict[str, Any], dry: DryRunResult, folder: Path) -> set[str]:
    result = diagnose(doc, folder, CheckContext(stored_jobs=[], dry_run=dry))
    return {f.code for f in result.findings}


def test_aligned_script(tmp_path: Path) -> None:
    dry, doc = _dry_run(tmp_path, PER_EPOCH, spec_doc())
    assert dry.completed, dry.failure
    assert dry.hyperparameters == {"x": "0.0", "kind": "b"}
    assert dry.objective_count == 3
    assert [m.value for m in dry.objective.matches] == [1.0, 0.5, 0.333]  # type: ignore[union-attr]
    assert dry.objective.matches[0].line_number == 2  # type: ignore[union-attr]
    assert dry.lookalikes == []
    assert dry.job_dir.parent == tmp_path / "dry-runs"
    assert (dry.job_dir / "logs" / "training.log").is_file()
    assert 0 < dry.duration_seconds < 20
    assert _codes(doc, dry, tmp_path / "project") == set()


def test_user_given_hyperparameters(tmp_path: Path) -> None:
    dry, _ = _dry_run(tmp_path, PER_EPOCH, spec_doc(), hyperparameters={"x": "4.5"})
    assert dry.hyperparameters["x"] == "4.5"
    assert dry.completed


def test_misaligned_regex(tmp_path: Path) -> None:
    doc = spec_doc(
        objective_metric_name="val_acc",
        objective_type="Maximize",
        metric_definitions=[{"Name": "val_acc", "Regex": r"val_acc:([0-9.]+)"}],
    )
    dry, _ = _dry_run(tmp_path, MISALIGNED, doc)
    assert dry.completed
    assert dry.objective_count == 0
    assert [k.name for k in dry.lookalikes] == ["Validation accuracy", "Validation accuracy"]
    result = diagnose(doc, tmp_path / "project", CheckContext(stored_jobs=[], dry_run=dry))
    (finding,) = result.findings
    assert finding.code == "dry-run-objective-missing"
    assert finding.field == "metric_definitions[0].Regex"
    assert "Validation accuracy = 0.81" in finding.message
    suggested = dry.lookalikes[0].suggested_regex
    assert suggested in finding.fix
    import re

    assert re.search(suggested, dry.lookalikes[0].text).group(1) == "0.81"  # type: ignore[union-attr]


def test_unmatched_secondary_metric(tmp_path: Path) -> None:
    doc = spec_doc(
        metric_definitions=[
            {"Name": "val_loss", "Regex": r"val_loss=([0-9.]+)"},
            {"Name": "train_loss", "Regex": r"train_loss=([0-9.]+)"},
        ]
    )
    dry, _ = _dry_run(tmp_path, PER_EPOCH, doc)
    assert _codes(doc, dry, tmp_path / "project") == {"dry-run-metric-unmatched"}


def test_failing_script(tmp_path: Path) -> None:
    dry, doc = _dry_run(
        tmp_path, "import sys\nprint('boom', file=sys.stderr)\nsys.exit(3)\n", spec_doc()
    )
    assert not dry.completed
    assert dry.exit_code == 3
    assert _codes(doc, dry, tmp_path / "project") == {"dry-run-failed"}


def test_hyperband_objective_printed_once(tmp_path: Path) -> None:
    doc = spec_doc(strategy="Hyperband", estimator={"hyperparameters": {"epochs": 5}})
    dry, _ = _dry_run(tmp_path, "print('done val_loss=0.25', flush=True)\n", doc)
    assert dry.objective_count == 1
    assert _codes(doc, dry, tmp_path / "project") == {"hyperband-single-report"}


def test_shortened_run(tmp_path: Path) -> None:
    script = "import time\nprint('val_loss=0.5', flush=True)\ntime.sleep(30)\n"
    dry, _ = _dry_run(tmp_path, script, spec_doc(), max_seconds=1)
    assert dry.timed_out
    assert dry.completed  # stopped where the user asked: still a usable dry run
    assert dry.objective_count == 1
    assert dry.duration_seconds < 10
