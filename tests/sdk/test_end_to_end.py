"""fit(), wait(), stop, analytics and attach with real training processes and a real store."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tunesmith.orchestrator.service import TuningService
from tunesmith.sdk import (
    CategoricalParameter,
    HyperparameterTuner,
    HyperparameterTuningJobAnalytics,
)
from tunesmith.sdk import UnexpectedStatusException as SdkUnexpectedStatus

from .conftest import FAILING, SLOW, make_tuner

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HyperparameterTuner]:
    """One finished tuning job: 4 jobs of the quadratic script, 2 at a time."""
    folder = tmp_path_factory.mktemp("tuned")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUNESMITH_HOME", str(folder / "home"))
        patch.setenv("TUNESMITH_STOP_GRACE_SECONDS", "2")
        patch.chdir(folder)
        tuner = make_tuner(folder)
        tuner.fit(job_name="quad", progress="text")
        yield tuner


def test_fit_runs_every_job(tuned: HyperparameterTuner) -> None:
    described = tuned.describe()
    assert described["HyperParameterTuningJobName"] == "quad"
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["TrainingJobStatusCounters"]["Completed"] == 4
    assert tuned.latest_tuning_job is not None and tuned.latest_tuning_job.name == "quad"


def test_best_training_job_and_estimator(tuned: HyperparameterTuner) -> None:
    best = tuned.best_training_job()
    assert best.startswith("quad-")
    frame = tuned.analytics().dataframe()
    assert best == frame.loc[frame["FinalObjectiveValue"].idxmin(), "TrainingJobName"]
    estimator = tuned.best_estimator()
    assert estimator is not tuned.estimator
    assert estimator.model_data is not None
    assert (Path(estimator.model_data) / "model.txt").is_file()
    assert estimator.hyperparameters()["epochs"] == "3"
    assert float(estimator.hyperparameters()["x"]) == float(
        (Path(estimator.model_data) / "model.txt").read_text()
    )
    assert estimator.latest_training_job_name == best
    assert "x" not in tuned.estimator.hyperparameters()


def test_analytics_dataframe(tuned: HyperparameterTuner) -> None:
    analytics = tuned.analytics()
    frame = analytics.dataframe()
    assert list(frame.columns) == [
        "x",
        "TrainingJobName",
        "TrainingJobStatus",
        "FinalObjectiveValue",
        "TrainingStartTime",
        "TrainingEndTime",
        "TrainingElapsedTimeSeconds",
    ]
    assert len(frame) == 4
    assert frame["x"].dtype == float
    assert (frame["TrainingJobStatus"] == "Completed").all()
    assert (frame["TrainingElapsedTimeSeconds"] >= 0).all()
    assert ((frame["x"] - 1) ** 2 + 1 / 3 - frame["FinalObjectiveValue"]).abs().max() < 1e-5
    assert set(analytics.tuning_ranges) == {"x"}
    assert analytics.description()["HyperParameterTuningJobStatus"] == "Completed"
    names = [s["TrainingJobName"] for s in analytics.training_job_summaries()]
    assert names == sorted(names)  # launch order


def test_metrics_dataframe(tuned: HyperparameterTuner) -> None:
    analytics = HyperparameterTuningJobAnalytics("quad")
    frame = analytics.metrics_dataframe()
    assert list(frame.columns) == [
        "timestamp",
        "TrainingJobName",
        "metric_name",
        "value",
        "ordinal",
        "attempt",
    ]
    assert len(frame) == 4 * 3
    assert set(frame["metric_name"]) == {"loss"}
    best = tuned.best_training_job()
    one = analytics.metrics_dataframe(training_job_name=best)
    assert list(one["ordinal"]) == [1, 2, 3]
    assert one["value"].is_monotonic_decreasing
    assert str(one["timestamp"].dt.tz) == "UTC"
    assert analytics.metrics_dataframe(metric_name="nothing").empty
    analytics.close()


def test_attach_and_rebuild(tuned: HyperparameterTuner) -> None:
    attached = HyperparameterTuner.attach("quad")
    assert attached.best_training_job() == tuned.best_training_job()
    assert attached.objective_type == "Minimize" and attached.max_parallel_jobs == 2
    assert attached.estimator.entry_point == "train.py"
    attached.wait()  # already ended: returns at once
    assert attached.validate(job_name="quad") == tuned.validate(job_name="quad")


def test_wait_false_then_wait(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tuner = make_tuner(workdir, estimator={"hyperparameters": {"epochs": 3, "pause": 0.2}})
    started = time.monotonic()
    tuner.fit(job_name="background", wait=False)
    assert time.monotonic() - started < 20
    assert tuner.describe()["HyperParameterTuningJobStatus"] == "InProgress"
    tuner.wait(progress="text")
    assert tuner.describe()["HyperParameterTuningJobStatus"] == "Completed"
    assert "4/4 done" in capsys.readouterr().out
    assert (workdir / "home" / "jobs" / "background" / "controller.log").is_file()


def test_stop_tuning_job(workdir: Path, caplog: pytest.LogCaptureFixture) -> None:
    tuner = make_tuner(workdir, script=SLOW, max_jobs=3)
    tuner.fit(job_name="slow", wait=False)
    service = TuningService()
    deadline = time.monotonic() + 20
    while not any(r.start_time for r in service.training_jobs("slow")):
        assert time.monotonic() < deadline, "no training job started"
        time.sleep(0.1)
    tuner.stop_tuning_job()
    with caplog.at_level(logging.WARNING, logger="tunesmith.sdk.tuner"):
        tuner.wait(progress="off")
    assert "Stopped" in caplog.text
    described = tuner.describe()
    assert described["HyperParameterTuningJobStatus"] == "Stopped"
    assert described["TrainingJobStatusCounters"]["Stopped"] >= 1
    assert described["TrainingJobStatusCounters"]["InProgress"] == 0
    service.close()


def test_failed_tuning_job_raises(workdir: Path) -> None:
    tuner = make_tuner(workdir, script=FAILING, max_jobs=8, max_parallel_jobs=3)
    with pytest.raises(SdkUnexpectedStatus) as caught:
        tuner.fit(job_name="broken", progress="off")
    message = str(caught.value)
    assert message.startswith("Error for HyperParameterTuning job broken: Failed. Reason: ")
    assert "No training job succeeded" in message
    assert caught.value.actual_status == "Failed"
    with pytest.raises(Exception, match="Best training job not available"):
        tuner.best_training_job()
    frame = tuner.analytics().dataframe()
    assert set(frame["TrainingJobStatus"]) <= {"Failed", "Stopped"}  # fail fast stops the rest
    assert (frame["TrainingJobStatus"] == "Failed").sum() >= 5
    assert frame["FinalObjectiveValue"].isna().all()


def test_ctrl_c_stops_the_training_jobs_then_interrupts(workdir: Path) -> None:
    tuner = make_tuner(workdir, script=SLOW, max_jobs=2)
    service = TuningService()

    def interrupt_once_running() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                jobs = service.training_jobs("interrupted")
            except Exception:
                jobs = []
            if any(j.start_time for j in jobs):
                break
            time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_once_running, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        tuner.fit(job_name="interrupted", progress="off")
    described = tuner.describe()
    assert described["HyperParameterTuningJobStatus"] == "Stopped"
    assert described["TrainingJobStatusCounters"]["InProgress"] == 0
    service.close()


def test_sigterm_to_the_background_controller_stops_cleanly(workdir: Path) -> None:
    tuner = make_tuner(workdir, script=SLOW, max_jobs=2)
    tuner.fit(job_name="terminated", wait=False)
    assert tuner._process is not None
    tuner._process.send_signal(signal.SIGTERM)
    tuner.wait(progress="off")
    described = tuner.describe()
    assert described["HyperParameterTuningJobStatus"] == "Stopped"
    assert described["TrainingJobStatusCounters"]["InProgress"] == 0


def test_grid_runs_the_whole_grid(workdir: Path) -> None:
    tuner = make_tuner(
        workdir,
        strategy="Grid",
        max_jobs=None,
        max_parallel_jobs=3,
        random_seed=None,
        hyperparameter_ranges={"x": CategoricalParameter([0, 1, 2])},
    )
    assert tuner.max_jobs is None
    tuner.fit(job_name="grid", progress="off")
    frame = tuner.analytics().dataframe()
    assert sorted(frame["x"]) == [0.0, 1.0, 2.0]
    assert tuner.best_estimator().hyperparameters()["x"] == "1"


def test_attach_wait_resumes_a_tuning_job_nobody_runs(workdir: Path) -> None:
    """A tuning job whose controller is gone (here: never started) is resumed by wait()."""
    tuner = make_tuner(workdir)
    TuningService().create(tuner.validate(job_name="orphan"))
    attached = HyperparameterTuner.attach("orphan")
    attached.wait(progress="off")
    described = attached.describe()
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["TrainingJobStatusCounters"]["Completed"] == tuner.max_jobs


def test_ctrl_c_leave_then_attach_wait_adopts(workdir: Path) -> None:
    gate = workdir / "gate"
    script = (
        "import os, time\n"
        "print('loss=1.0', flush=True)\n"
        f"while not os.path.exists({str(gate)!r}):\n"
        "    time.sleep(0.02)\n"
        "print('loss=0.5', flush=True)\n"
    )
    tuner = make_tuner(workdir, script=script, max_jobs=2)
    service = TuningService()

    def interrupt_once_reported() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                jobs = service.training_jobs("left")
                if len(jobs) == 2 and all(service.store.list_metric_events(j.name) for j in jobs):
                    break
            except Exception:
                pass
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_once_reported, daemon=True).start()
    with pytest.raises(KeyboardInterrupt, match="left running"):
        tuner.fit(job_name="left", progress="off", on_interrupt="leave")
    before = {j.name: j.pid for j in service.training_jobs("left")}
    assert tuner.describe()["HyperParameterTuningJobStatus"] == "InProgress"
    assert all(pid and _running(pid) for pid in before.values())

    threading.Timer(1.0, gate.touch).start()
    attached = HyperparameterTuner.attach("left")
    attached.wait(progress="off")
    assert attached.describe()["HyperParameterTuningJobStatus"] == "Completed"
    for job in service.training_jobs("left"):
        assert (job.status.value, job.attempts, job.pid) == ("Completed", 1, before[job.name])
        values = [e.value for e in service.store.list_metric_events(job.name)]
        assert values == [1.0, 0.5]
    service.close()


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False
