"""The default executor: each training job is a local OS process in its own job folder."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from tunesmith.errors import ExecutorError
from tunesmith.execution import jobdir
from tunesmith.execution.base import EventSink, JobHandle, TrainingJobRequest
from tunesmith.execution.process import LaunchPlan, ProcessJob


class LocalExecutor:
    """Runs each training job as a local process (see ``docs/training-contract.md``).

    ``launch`` returns at once; the job folder is written and the process started on the
    job's own supervisor thread, and every event reaches the sink from the job's threads.
    Thread-safe: launch, stop and close may be called from any thread.
    """

    def __init__(
        self,
        stop_grace_seconds: float = 120.0,
        *,
        parent_environment: Mapping[str, str] | None = None,
    ):
        self.stop_grace_seconds = stop_grace_seconds
        self._parent_env = dict(parent_environment) if parent_environment is not None else None
        self._lock = threading.Lock()
        self._running: set[ProcessJob] = set()
        self._closed = False

    def launch(self, request: TrainingJobRequest, sink: EventSink) -> ProcessJob:
        """Start the job; a job that cannot start ends with ``JobExited.launch_error``."""
        parent_env = self._parent_env

        def plan() -> LaunchPlan:
            spec = jobdir.prepare(request, parent_env)
            return LaunchPlan(
                argv=spec.argv,
                cwd=spec.cwd,
                env=spec.env,
                log_file=spec.layout.log_file,
                failure_file=spec.layout.failure_file,
            )

        job = ProcessJob(
            request.training_job_name,
            plan,
            sink,
            max_runtime_seconds=request.max_runtime_seconds,
            stop_grace_seconds=self.stop_grace_seconds,
            on_exit=self._forget,
        )
        with self._lock:
            if self._closed:
                raise ExecutorError("this executor was closed; create a new one to launch jobs")
            self._running.add(job)
        job.start()
        return job

    def stop(self, handle: JobHandle) -> None:
        """Ask the job to stop; calling it again, or after the job ended, does nothing."""
        if isinstance(handle, ProcessJob):
            handle.stop()
            return
        with self._lock:
            matches = [j for j in self._running if j.training_job_name == handle.training_job_name]
        for job in matches:
            job.stop()

    def close(self) -> None:
        """Stop every job still running and wait until each has reported its exit."""
        with self._lock:
            self._closed = True
            jobs = list(self._running)
        for job in jobs:
            job.stop()
        for job in jobs:
            job.wait()

    def running(self) -> list[ProcessJob]:
        """Jobs launched and not yet exited."""
        with self._lock:
            return list(self._running)

    def _forget(self, job: ProcessJob) -> None:
        with self._lock:
            self._running.discard(job)
