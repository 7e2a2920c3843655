"""Tuning jobs on a real two-node Ray cluster: both nodes used, a stop, a node lost mid-job."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from spec_files import write_spec

from tunesmith.domain.enums import FailureKind, TrainingJobStatus, TuningJobStatus
from tunesmith.domain.parse import load_document
from tunesmith.execution.base import JobEvent, JobExited, LogLine, TrainingJobRequest
from tunesmith.execution.ray import RayExecutor
from tunesmith.orchestrator.controller import TuningJobController
from tunesmith.orchestrator.service import TuningService
from tunesmith.settings import Settings

from .conftest import TwoNodes, job_node_ids, requires_namespace

pytestmark = [requires_namespace, pytest.mark.timeout(150)]

TRAIN = r"""
import argparse, os, pathlib, time
p = argparse.ArgumentParser()
p.add_argument("-x", type=float)
p.add_argument("--steps", type=int)
a = p.parse_args()
print("node=" + os.environ["TUNESMITH_RAY_NODE_ID"], flush=True)
for step in range(a.steps):
    print(f"loss={(a.x - 1) ** 2 + 1.0 / (step + 1)}", flush=True)
    time.sleep(0.25)
pathlib.Path(os.environ["SM_MODEL_DIR"], "model.txt").write_text(str(a.x))
"""


@pytest.fixture
def executor(cluster: TwoNodes) -> Iterator[RayExecutor]:
    ex = RayExecutor(cluster.address, stop_grace_seconds=2)
    yield ex
    ex.close()


def _service(tmp_path: Path) -> TuningService:
    return TuningService(Settings(home=tmp_path / "home", stop_grace_seconds=2.0))


def _create(service: TuningService, tmp_path: Path, name: str, steps: int, **kw: object) -> None:
    static = {"hyperparameters": {"steps": steps}, "max_run": 120}
    estimator = {**static, **kw.pop("estimator", {})}  # type: ignore[dict-item]
    path = write_spec(tmp_path / name, TRAIN, tuning_job_name=name, estimator=estimator, **kw)
    service.create(service.validate(load_document(path.read_text()), base_dir=path.parent))


def test_tuning_job_uses_both_nodes(
    tmp_path: Path, cluster: TwoNodes, executor: RayExecutor
) -> None:
    service = _service(tmp_path)
    _create(service, tmp_path, "spread", steps=6, max_jobs=4, max_parallel_jobs=2)
    record = service.run("spread", executor=executor)
    assert record.status == TuningJobStatus.COMPLETED
    jobs = service.training_jobs("spread")
    assert [j.status for j in jobs] == [TrainingJobStatus.COMPLETED] * 4
    assert all(j.final_objective_value is not None for j in jobs)  # metrics streamed back
    nodes = job_node_ids(tmp_path / "home", "spread")
    seen = {ids[-1] for ids in nodes.values()}
    assert seen == {cluster.head_id, cluster.worker.node_id}, nodes
    for job in jobs:  # model/ is in the controller's job folder
        assert next((tmp_path / "home" / "jobs").glob(f"*/{job.name}/model/model.txt"))
    service.close()


def test_stop_reaches_the_process_on_its_node(
    tmp_path: Path, cluster: TwoNodes, executor: RayExecutor
) -> None:
    service = _service(tmp_path)
    _create(service, tmp_path, "stopme", steps=400, max_jobs=2, max_parallel_jobs=2)
    controllers: list[TuningJobController] = []

    def stop_when_running() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            logs = list((tmp_path / "home" / "jobs").glob("*/*/logs/training.log"))
            if len(logs) == 2 and all("loss=" in p.read_text() for p in logs) and controllers:
                controllers[0].request_stop("test stop")
                return
            time.sleep(0.1)

    stopper = threading.Thread(target=stop_when_running, daemon=True)
    stopper.start()
    started = time.monotonic()
    record = service.run("stopme", executor=executor, on_controller=controllers.append)
    assert record.status == TuningJobStatus.STOPPED
    assert time.monotonic() - started < 60  # 400 steps would take 100 s
    jobs = service.training_jobs("stopme")
    assert [j.status for j in jobs] == [TrainingJobStatus.STOPPED] * 2
    service.close()


def test_queued_job_reports_why_it_waits(tmp_path: Path, executor: RayExecutor) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text("print('node=x')\n")
    exits: list[JobEvent] = []
    done = threading.Event()

    def sink(event: JobEvent) -> None:
        if isinstance(event, JobExited):
            exits.append(event)
            done.set()

    request = TrainingJobRequest(
        training_job_name="huge",
        tuning_job_name="t",
        job_dir=tmp_path / "jobs" / "huge",
        hyperparameters={},
        max_runtime_seconds=60,
        program="train.py",
        submit_directory=src,
        environment={"TUNESMITH_GPUS": "2"},
    )
    handle = executor.launch(request, sink)
    deadline = time.monotonic() + 20
    while executor.pending_reason(handle) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert executor.pending_reason(handle) == "waiting for resources: 2 GPUs"
    executor.stop(handle)
    assert done.wait(20)
    assert isinstance(exits[0], JobExited) and exits[0].stop_requested


def test_worker_node_killed_mid_job_is_retried(
    tmp_path: Path, cluster: TwoNodes, executor: RayExecutor
) -> None:
    service = _service(tmp_path)
    _create(
        service,
        tmp_path,
        "lost",
        steps=12,
        max_jobs=2,
        max_parallel_jobs=2,
        estimator={"max_retry_attempts": 1},
    )
    worker = cluster.worker
    killed: list[str] = []

    def kill_worker_when_busy() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for ids in job_node_ids(tmp_path / "home", "lost").values():
                if ids and ids[-1] == worker.node_id:
                    time.sleep(0.5)  # mid-job
                    cluster.cluster.remove_node(worker, allow_graceful=False)
                    killed.append(worker.node_id)
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_worker_when_busy, daemon=True)
    killer.start()
    try:
        record = service.run("lost", executor=executor)
    finally:
        killer.join(5)
        cluster.worker = cluster.add_worker()  # later tests get two nodes again
    assert killed, "no job ran on the worker node"
    assert record.status == TuningJobStatus.COMPLETED
    jobs = service.training_jobs("lost")
    assert [j.status for j in jobs] == [TrainingJobStatus.COMPLETED] * 2, [
        (j.name, j.status, j.attempts, j.failure_kind, j.failure_reason) for j in jobs
    ]
    retried = [j for j in jobs if j.attempts == 2]
    assert len(retried) == 1, [(j.name, j.attempts, j.failure_reason) for j in jobs]
    nodes = job_node_ids(tmp_path / "home", "lost")[retried[0].name]
    assert nodes[0] == killed[0] and nodes[-1] == cluster.head_id, nodes
    assert service.describe("lost")["TrainingJobStatusCounters"]["RetryableError"] == 0
    service.close()


def test_lost_node_is_an_internal_error(tmp_path: Path) -> None:
    """The failure kind the controller retries on, as the executor reports it."""
    from tunesmith.orchestrator.outcome import decide_outcome

    exit_event = JobExited("j", 0.0, None, internal_error="the Ray node ... was lost")
    assert decide_outcome(exit_event, 60, None).failure_kind == FailureKind.RETRYABLE


def _lines(events: list[JobEvent]) -> list[str]:
    return [e.text for e in events if isinstance(e, LogLine)]
