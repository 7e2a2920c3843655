"""Early stopping and Hyperband with real processes: a stop decision ends the process at once,
the job ends Stopped with its reason, and it keeps the last objective it printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunesmith.domain.enums import TrainingJobStatus, TuningJobStatus
from tunesmith.domain.parse import load_document
from tunesmith.orchestrator.service import TuningService

from .conftest import write_spec

CURVE = r"""
import argparse, time
p = argparse.ArgumentParser(); p.add_argument("-x", type=float)
p.add_argument("--epochs", type=int)
a = p.parse_args()
for epoch in range(1, a.epochs + 1):
    print(f"epoch={epoch} loss={(a.x - 1) ** 2 + 1 / epoch:.6f}", flush=True)
    time.sleep(0.05)
"""


def _epochs_run(log_path: str | None) -> int:
    return Path(log_path or "").read_text().count("loss=")


def _run(tmp_path: Path, service: TuningService, **overrides: object) -> list:
    path = write_spec(
        tmp_path / "spec",
        CURVE,
        max_jobs=8,
        estimator={"hyperparameters": {"epochs": 9}},
        **overrides,
    )
    spec = service.validate(load_document(path.read_text()), base_dir=path.parent)
    service.create(spec)
    assert service.run("job").status == TuningJobStatus.COMPLETED
    return service.training_jobs("job")


@pytest.mark.timeout(180)
def test_hyperband_stops_weak_jobs_at_rungs(tmp_path: Path, service: TuningService) -> None:
    jobs = _run(tmp_path, service, strategy="Hyperband")
    stopped = [j for j in jobs if j.status == TrainingJobStatus.STOPPED]
    assert stopped, "no job was stopped at a rung"
    for job in stopped:
        assert "rung" in (job.stop_reason or "")
        ran = _epochs_run(job.log_path)
        assert ran < 9, f"{job.name} ran all {ran} epochs although it was stopped"
        assert job.final_objective_value is not None  # ranked on its last report
        decisions = service.store.list_decisions(training_job_name=job.name)
        assert [d.reason for d in decisions] == [job.stop_reason]
    best = service.describe("job")["BestTrainingJob"]
    winner = next(j for j in jobs if j.name == best["TrainingJobName"])
    assert winner.status == TrainingJobStatus.COMPLETED and _epochs_run(winner.log_path) == 9


@pytest.mark.timeout(180)
def test_median_rule_stops_jobs_worse_than_earlier_ones(
    tmp_path: Path, service: TuningService
) -> None:
    jobs = _run(tmp_path, service, early_stopping_type="Auto", max_parallel_jobs=1)
    assert all(j.status == TrainingJobStatus.COMPLETED for j in jobs[:3])  # nothing to compare
    stopped = [j for j in jobs if j.status == TrainingJobStatus.STOPPED]
    assert stopped, "the median rule stopped nothing"
    for job in stopped:
        assert "median" in (job.stop_reason or "")
        assert "loss" in (job.stop_reason or "")
        assert _epochs_run(job.log_path) < 9
    total = sum(_epochs_run(j.log_path) for j in jobs)
    assert total < 8 * 9
