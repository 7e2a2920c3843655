"""The local executor's CPU and GPU budget, with a configured device count (no GPU needed)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tunesmith.execution.base import JobEvent, JobExited, LogLine, TrainingJobRequest
from tunesmith.execution.local import LocalExecutor
from tunesmith.execution.resources import demand_for

pytestmark = pytest.mark.timeout(60)

SCRIPT = """
import os, sys, time
print("devices=" + os.environ.get("CUDA_VISIBLE_DEVICES", "<unset>"), flush=True)
time.sleep(float(sys.argv[sys.argv.index("--sleep") + 1]))
"""


class Sink:
    def __init__(self) -> None:
        self.events: list[JobEvent] = []
        self.cond = threading.Condition()

    def __call__(self, event: JobEvent) -> None:
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    def exited(self, timeout: float = 30) -> JobExited:
        with self.cond:
            assert self.cond.wait_for(
                lambda: any(isinstance(e, JobExited) for e in self.events), timeout
            )
        return next(e for e in self.events if isinstance(e, JobExited))

    def devices(self) -> str | None:
        for e in self.events:
            if isinstance(e, LogLine) and e.text.startswith("devices="):
                return e.text.split("=", 1)[1]
        return None


def request(tmp: Path, name: str, sleep: float = 0.0, **kw: object) -> TrainingJobRequest:
    src = tmp / "src"
    src.mkdir(exist_ok=True)
    (src / "train.py").write_text(SCRIPT)
    return TrainingJobRequest(
        training_job_name=name,
        tuning_job_name="t",
        job_dir=tmp / "jobs" / name,
        hyperparameters={"sleep": str(sleep)},
        max_runtime_seconds=60,
        program="train.py",
        submit_directory=src,
        **kw,  # type: ignore[arg-type]
    )


def test_demand_table_and_explicit_counts() -> None:
    assert demand_for("local").cpus == 1 and demand_for("local").gpus == 0
    assert demand_for("ml.g5.xlarge").gpus == 1
    assert demand_for("ml.m5.xlarge").cpus == 4
    d = demand_for("ml.m5.xlarge", {"TUNESMITH_GPUS": "2", "TUNESMITH_CPUS": "0.5"})
    assert (d.cpus, d.gpus, d.source) == (0.5, 2, "Environment")
    assert demand_for("x", overrides={"x": {"CPU": 3, "GPU": 1, "tpu": 2}}).custom == {"tpu": 2}
    assert demand_for("ml.g5.xlarge").describe() == "4 CPUs, 1 GPU"


def test_gpu_jobs_get_their_own_devices_and_wait(tmp_path: Path) -> None:
    executor = LocalExecutor(stop_grace_seconds=2, gpus=2, cpus=8)
    sinks = [Sink() for _ in range(3)]
    env = {"TUNESMITH_GPUS": "1"}
    try:
        handles = [
            executor.launch(request(tmp_path, f"g{i}", 1.0, environment=env), sinks[i])
            for i in range(3)
        ]
        assert executor.pending_reason(handles[0]) is None
        reason = executor.pending_reason(handles[2])
        assert reason is not None and reason.startswith("waiting for resources: 1 GPU"), reason
        first = [s.exited() for s in sinks[:2]]
        assert all(e.exit_code == 0 for e in first)
        assert sorted([sinks[0].devices(), sinks[1].devices()]) == ["0", "1"]
        assert sinks[2].exited().exit_code == 0
        assert sinks[2].devices() in {"0", "1"}
        started = [e.time for s in sinks for e in s.events if isinstance(e, LogLine)]
        assert started[2] >= min(first[0].time, first[1].time) - 0.05  # it waited
    finally:
        executor.close()


def test_cpu_budget_queues_and_rejects(tmp_path: Path) -> None:
    executor = LocalExecutor(stop_grace_seconds=2, cpus=2, gpus=0)
    try:
        big, small, too_big = Sink(), Sink(), Sink()
        executor.launch(request(tmp_path, "big", 0.8, instance_type="ml.m5.xlarge"), big)
        h = executor.launch(request(tmp_path, "small", 0.0), small)
        assert executor.pending_reason(h) == (
            "waiting for resources: 1 CPU (0 of 2 CPUs, 0 of 0 GPUs free)"
        )
        executor.launch(
            request(tmp_path, "too-big", 0.0, environment={"TUNESMITH_CPUS": "4"}), too_big
        )
        rejected = too_big.exited()
        assert rejected.launch_error and "TUNESMITH_CPUS" in rejected.launch_error
        assert big.exited().exit_code == 0 and small.exited().exit_code == 0
        small_line = next(e for e in small.events if isinstance(e, LogLine))
        assert small_line.time >= big.exited().time - 0.05  # the 4-CPU job held the budget
    finally:
        executor.close()


def test_gpu_job_without_gpus_is_rejected_clearly(tmp_path: Path) -> None:
    executor = LocalExecutor(stop_grace_seconds=2, gpus=0)
    sink = Sink()
    executor.launch(request(tmp_path, "gpu", instance_type="ml.g5.xlarge"), sink)
    exit_event = sink.exited()
    assert exit_event.launch_error is not None
    assert "1 GPU (ml.g5.xlarge)" in exit_event.launch_error
    assert "TUNESMITH_LOCAL_GPUS" in exit_event.launch_error
    executor.close()


def test_stop_while_waiting(tmp_path: Path) -> None:
    executor = LocalExecutor(stop_grace_seconds=2, gpus=1)
    a, b = Sink(), Sink()
    env = {"TUNESMITH_GPUS": "1"}
    try:
        executor.launch(request(tmp_path, "a", 5.0, environment=env), a)
        hb = executor.launch(request(tmp_path, "b", 0.0, environment=env), b)
        t0 = time.monotonic()
        executor.stop(hb)
        exited = b.exited(5)
        assert exited.stop_requested and exited.exit_code is None
        assert time.monotonic() - t0 < 2
    finally:
        executor.close()
