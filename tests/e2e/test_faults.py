"""Every way a training script can misbehave, run as real processes through the orchestrator:
each job is marked with a reason, the tuning job carries on and the counters add up."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunesmith.domain.enums import (
    FailureKind,
    ObjectiveStatus,
    SecondaryStatus,
    TrainingJobStatus,
    TuningJobStatus,
)
from tunesmith.domain.parse import load_document
from tunesmith.orchestrator.service import TuningService

from .conftest import write_spec

MISBEHAVING = r"""
import argparse, os, sys, time
p = argparse.ArgumentParser(); p.add_argument("--mode"); a = p.parse_args()
m = a.mode
def say(text): print(text, flush=True)
if m.startswith("good"):
    say("epoch=1 loss=%s" % (1.0 + int(m[-1]))); say("loss=%s" % (int(m[-1]) / 10))
elif m == "crash":
    say("loss=0.5")
    1 / 0
elif m == "exit3":
    sys.exit(3)
elif m == "hang":
    say("loss=0.9"); time.sleep(60)
elif m in ("nan", "inf", "garbage"):
    say("loss=0.1"); say({"nan": "loss=nan", "inf": "loss=inf", "garbage": "loss=abc"}[m])
elif m == "bigline":
    say("x" * 1_000_000); say("loss=0.5")
elif m == "badutf8":
    sys.stdout.buffer.write(b"\xff\xfe garbage \xc3\x28\n"); sys.stdout.flush(); say("loss=0.25")
elif m == "silent":
    say("training done, no metrics here")
elif m == "failurefile":
    with open(os.path.join(os.environ["SM_OUTPUT_DIR"], "failure"), "w") as f:
        f.write("ValueError: column 'age' is missing from the training data")
    sys.exit(1)
"""

MODES = [
    "good1",
    "good2",
    "good3",
    "crash",
    "exit3",
    "hang",
    "nan",
    "inf",
    "garbage",
    "bigline",
    "badutf8",
    "silent",
    "failurefile",
]


def _grid_spec(folder: Path) -> Path:
    return write_spec(
        folder,
        MISBEHAVING,
        tuning_job_name="faults",
        strategy="Grid",
        max_jobs=None,
        max_parallel_jobs=1,
        hyperparameter_ranges={"mode": {"type": "categorical", "values": MODES}},
        estimator={"max_run": 1},
    )


@pytest.mark.timeout(120)
def test_misbehaving_scripts_are_marked_and_counted(tmp_path: Path, service: TuningService) -> None:
    path = _grid_spec(tmp_path / "spec")
    spec = service.validate(load_document(path.read_text()), base_dir=path.parent)
    service.create(spec)
    final = service.run("faults")
    assert final.status == TuningJobStatus.COMPLETED

    jobs = {r.tuned_hyperparameters["mode"]: r for r in service.training_jobs("faults")}
    assert set(jobs) == set(MODES)

    def check(mode, status, objective_status, value=None):
        job = jobs[mode]
        assert job.status == status, (mode, job)
        assert job.objective_status == objective_status, (mode, job)
        if value is not None:
            assert job.final_objective_value == pytest.approx(value)
        return job

    for i in (1, 2, 3):
        check(f"good{i}", TrainingJobStatus.COMPLETED, ObjectiveStatus.SUCCEEDED, i / 10)

    crash = check("crash", TrainingJobStatus.FAILED, ObjectiveStatus.SUCCEEDED, 0.5)
    assert crash.failure_kind == FailureKind.NON_RETRYABLE
    assert "ZeroDivisionError" in (crash.failure_reason or "")
    assert len(crash.failure_reason or "") <= 1024

    exit3 = check("exit3", TrainingJobStatus.FAILED, ObjectiveStatus.FAILED)
    assert "exited with code 3" in (exit3.failure_reason or "")
    assert "never printed" in (exit3.objective_note or "")

    hang = check("hang", TrainingJobStatus.STOPPED, ObjectiveStatus.SUCCEEDED, 0.9)
    assert hang.secondary_status == SecondaryStatus.MAX_RUNTIME_EXCEEDED
    assert "MaxRuntimeInSeconds (1 s)" in (hang.stop_reason or "")

    for mode, raw in (("nan", "nan"), ("inf", "inf"), ("garbage", "abc")):
        job = check(mode, TrainingJobStatus.COMPLETED, ObjectiveStatus.FAILED)
        assert job.final_objective_value is None
        assert repr(raw) in (job.objective_note or ""), job.objective_note

    check("bigline", TrainingJobStatus.COMPLETED, ObjectiveStatus.SUCCEEDED, 0.5)
    check("badutf8", TrainingJobStatus.COMPLETED, ObjectiveStatus.SUCCEEDED, 0.25)
    silent = check("silent", TrainingJobStatus.COMPLETED, ObjectiveStatus.FAILED)
    assert "never printed" in (silent.objective_note or "")
    failure = check("failurefile", TrainingJobStatus.FAILED, ObjectiveStatus.FAILED)
    assert failure.failure_reason == "ValueError: column 'age' is missing from the training data"

    description = service.describe("faults")
    assert description["TrainingJobStatusCounters"] == {
        "Completed": 9,
        "InProgress": 0,
        "RetryableError": 0,
        "NonRetryableError": 3,
        "Stopped": 1,
    }
    assert description["ObjectiveStatusCounters"] == {"Succeeded": 7, "Pending": 0, "Failed": 6}
    assert description["BestTrainingJob"]["TunedHyperParameters"] == {"mode": "good1"}

    # Nothing lost: every objective line the scripts printed is a stored metric event.
    good = jobs["good2"]
    events = service.store.list_metric_events(good.name, "loss")
    assert [e.value for e in events] == [3.0, 0.2]
    assert [e.ordinal for e in events] == [1, 2]
    log = Path(good.log_path or "").read_text()
    assert "epoch=1 loss=3.0" in log
    nan_events = service.store.list_metric_events(jobs["nan"].name, "loss")
    assert [(e.value, e.raw) for e in nan_events] == [(0.1, "0.1"), (None, "nan")]
    big_log = Path(jobs["bigline"].log_path or "").stat().st_size
    assert big_log > 1_000_000


@pytest.mark.timeout(120)
def test_first_five_failures_fail_the_tuning_job(tmp_path: Path, service: TuningService) -> None:
    path = write_spec(
        tmp_path / "spec", "import sys\nsys.exit(2)\n", tuning_job_name="doomed", max_jobs=9
    )
    service.create(service.validate(load_document(path.read_text()), base_dir=path.parent))
    final = service.run("doomed")
    assert final.status == TuningJobStatus.FAILED
    assert final.failure_reason == (
        "No training job succeeded after 5 attempts. Please take a look at the training job "
        "failures to get more details."
    )
    jobs = service.training_jobs("doomed")
    assert 5 <= len(jobs) <= 6  # at most one more was already running
    assert all(j.status.is_terminal for j in jobs)
    counters = service.describe("doomed")["TrainingJobStatusCounters"]
    assert counters["NonRetryableError"] + counters["Stopped"] == len(jobs)


@pytest.mark.timeout(120)
def test_killed_from_outside_is_an_internal_error(tmp_path: Path, service: TuningService) -> None:
    script = (
        "import os, signal\nprint('loss=1.0', flush=True)\nos.kill(os.getpid(), signal.SIGKILL)\n"
    )
    path = write_spec(tmp_path / "spec", script, tuning_job_name="killed", max_jobs=1)
    service.create(service.validate(load_document(path.read_text()), base_dir=path.parent))
    service.run("killed")
    (job,) = service.training_jobs("killed")
    assert job.status == TrainingJobStatus.FAILED
    assert job.failure_kind == FailureKind.RETRYABLE
    assert "SIGKILL" in (job.failure_reason or "")
    assert service.describe("killed")["TrainingJobStatusCounters"]["RetryableError"] == 1


@pytest.mark.timeout(120)
def test_missing_program_is_a_client_error(tmp_path: Path, service: TuningService) -> None:
    path = write_spec(
        tmp_path / "spec",
        "print('loss=1')\n",
        tuning_job_name="noprog",
        max_jobs=1,
        estimator={"container_entry_point": ["./does-not-exist"], "entry_point": None},
    )
    service.create(service.validate(load_document(path.read_text()), base_dir=path.parent))
    service.run("noprog")
    (job,) = service.training_jobs("noprog")
    assert job.status == TrainingJobStatus.FAILED
    assert job.failure_kind == FailureKind.NON_RETRYABLE
    assert "could not start" in (job.failure_reason or "")


RETRY_SCRIPT = r"""
import argparse, os, signal, sys
marker = os.path.join(os.environ["SM_CHECKPOINT_DIR"], "attempted")
if os.path.exists(marker):
    print("loss=0.3", flush=True)
    sys.exit(0)
open(marker, "w").close()
print("loss=9.0", flush=True)
if os.environ.get("MODE") == "error":
    sys.exit(1)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("mode", "retried"), [("kill", True), ("error", False)])
def test_retry_strategy_retries_internal_failures_only(
    tmp_path: Path, service: TuningService, mode: str, retried: bool
) -> None:
    path = write_spec(
        tmp_path / "spec",
        RETRY_SCRIPT,
        tuning_job_name="retry",
        max_jobs=1,
        estimator={"max_retry_attempts": 2, "environment": {"MODE": mode}},
    )
    service.create(service.validate(load_document(path.read_text()), base_dir=path.parent))
    service.run("retry")
    (job,) = service.training_jobs("retry")
    if retried:
        assert job.status == TrainingJobStatus.COMPLETED
        assert job.attempts == 2
        assert job.final_objective_value == pytest.approx(0.3)
        events = service.store.list_metric_events(job.name, "loss")
        assert [(e.attempt, e.value) for e in events] == [(1, 9.0), (2, 0.3)]
        messages = [t.message for t in service.store.list_status_transitions(job.name)]
        assert any("Retrying (attempt 2)" in m and "SIGKILL" in m for m in messages)
    else:
        assert job.status == TrainingJobStatus.FAILED
        assert job.attempts == 1
        assert job.failure_kind == FailureKind.NON_RETRYABLE


REPORTING = r"""
import os, tunesmith
for epoch, loss in enumerate([0.9, 0.5, 0.4], start=1):
    tunesmith.report(loss=loss, epoch=epoch)
with open(os.path.join(os.environ["SM_MODEL_DIR"], "weights.txt"), "w") as f:
    f.write("42")
os.makedirs(os.environ["SM_OUTPUT_DATA_DIR"], exist_ok=True)
with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "curve.csv"), "w") as f:
    f.write("epoch,loss")
"""


@pytest.mark.timeout(120)
def test_report_helper_and_output_data_config(tmp_path: Path, service: TuningService) -> None:
    import tarfile

    from tunesmith.reporting import metric_regex

    path = write_spec(
        tmp_path / "spec",
        REPORTING,
        tuning_job_name="reported",
        max_jobs=1,
        metric_definitions=[{"Name": "loss", "Regex": metric_regex("loss")}],
        estimator={"output_path": "artifacts"},
    )
    service.create(service.validate(load_document(path.read_text()), base_dir=path.parent))
    service.run("reported")
    (job,) = service.training_jobs("reported")
    assert job.status == TrainingJobStatus.COMPLETED
    assert job.final_objective_value == pytest.approx(0.4)
    assert [e.value for e in service.store.list_metric_events(job.name, "loss")] == [0.9, 0.5, 0.4]
    model = tmp_path / "spec" / "artifacts" / job.name / "output" / "model.tar.gz"
    assert job.model_artifact_path == str(model)
    with tarfile.open(model) as tar:
        assert tar.getnames() == ["weights.txt"]
    assert (model.parent / "output.tar.gz").is_file()
