"""A job's start is recorded while it runs, even when the controller waits briefly to write it
together with the job's first lines (see ``EVENT_COALESCE_SECONDS``)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tunesmith.domain.enums import SecondaryStatus, TrainingJobStatus
from tunesmith.domain.parse import load_document
from tunesmith.orchestrator.service import TuningService

from .conftest import write_spec


@pytest.mark.timeout(120)
def test_a_silent_job_is_recorded_as_training_while_it_runs(
    tmp_path: Path, service: TuningService
) -> None:
    script = "import time\ntime.sleep(4)\nprint('loss=0.5', flush=True)\n"
    path = write_spec(tmp_path / "spec", script, tuning_job_name="quiet", max_jobs=1)
    service.create(service.validate(load_document(path.read_text()), base_dir=path.parent))
    runner = threading.Thread(target=service.run, args=("quiet",), daemon=True)
    launched = time.monotonic()
    runner.start()
    seen = None
    while time.monotonic() - launched < 3.0:
        jobs = service.training_jobs("quiet")
        if jobs and jobs[0].secondary_status == SecondaryStatus.TRAINING:
            seen = jobs[0]
            break
        time.sleep(0.02)
    assert seen is not None, "the start was not recorded while the job ran"
    assert seen.status == TrainingJobStatus.IN_PROGRESS
    assert seen.start_time is not None and seen.pid is not None
    runner.join(60)
    (job,) = service.training_jobs("quiet")
    assert job.status == TrainingJobStatus.COMPLETED
    assert job.final_objective_value == 0.5


@pytest.mark.timeout(120)
def test_short_jobs_record_start_and_end_in_order(tmp_path: Path, service: TuningService) -> None:
    """A job that starts and ends between two writes is still shown as having trained:
    its start time, pid and a Training entry between Starting and Completed."""
    path = write_spec(tmp_path / "spec", "print('loss=0.5')\n", tuning_job_name="short", max_jobs=6)
    service.create(service.validate(load_document(path.read_text()), base_dir=path.parent))
    service.run("short")
    jobs = service.training_jobs("short")
    assert len(jobs) == 6
    for job in jobs:
        assert job.status == TrainingJobStatus.COMPLETED and job.pid is not None
        assert job.creation_time <= job.start_time <= job.end_time
        transitions = service.store.list_status_transitions(job.name)
        assert [t.status for t in transitions] == ["Starting", "Training", "Completed"]
        assert transitions[1].start_time == job.start_time
        assert job.start_time <= transitions[1].end_time == transitions[2].start_time
        # The store holds every end, so no supervisor left a state file behind for a resume.
        assert job.job_dir is not None
        assert not (Path(job.job_dir) / "logs" / ".supervisor.json").exists()
