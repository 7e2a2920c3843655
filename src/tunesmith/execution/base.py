"""The executor contract: run one training job, stream what it prints, report how it ended.

Executors know nothing of strategies or the store. The orchestrator builds a
:class:`TrainingJobRequest`, calls :meth:`Executor.launch` with a *sink*, and receives
:class:`JobEvent` objects on that sink from the executor's own threads as they happen (no polling
interval): each log line as it is written, then exactly one :class:`JobExited`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from tunesmith.execution.jobstate import JobState


@dataclass(frozen=True)
class ChannelSpec:
    """One input channel, already resolved to an absolute local path."""

    name: str
    source_path: Path
    content_type: str | None = None
    input_mode: str = "File"
    compression_type: str = "None"
    record_wrapper_type: str = "None"
    distribution_type: str = "FullyReplicated"


@dataclass(frozen=True)
class TrainingJobRequest:
    """Everything needed to run one training job, with no reference to the tuning spec.

    Exactly one of (``program``, ``submit_directory``) script mode or ``entrypoint`` is set.
    """

    training_job_name: str
    tuning_job_name: str
    job_dir: Path  # the job's own root, standing in for /opt/ml
    hyperparameters: dict[str, str]  # static + tuned + _tuning_objective_metric, all strings
    max_runtime_seconds: int
    program: str | None = None  # script mode: sagemaker_program
    submit_directory: Path | None = None  # script mode: sagemaker_submit_directory
    entrypoint: list[str] | None = None  # bring-your-own command: ContainerEntrypoint
    arguments: list[str] | None = None  # ContainerArguments
    channels: list[ChannelSpec] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    instance_type: str = "local"
    instance_count: int = 1
    checkpoint_local_path: Path | None = None
    attempt: int = 1


@dataclass(frozen=True)
class LogLine:
    training_job_name: str
    # "output" when stdout and stderr share one log file (the local executor: the process writes
    # both straight into it, so they cannot be told apart, but their order is exact).
    stream: Literal["stdout", "stderr", "output"]
    text: str  # one decoded line without its terminator (invalid UTF-8 replaced), maybe truncated
    time: float  # time.time() when the line was read


@dataclass(frozen=True)
class JobStarted:
    training_job_name: str
    time: float
    pid: int | None


@dataclass(frozen=True)
class JobExited:
    """How the process ended. The orchestrator maps this to SageMaker statuses."""

    training_job_name: str
    time: float
    exit_code: int | None  # None when killed by a signal or never started
    signal: int | None = None  # the signal that ended it, if any
    stop_requested: bool = False  # we asked it to stop (stop() or the tuning job stopping)
    timed_out: bool = False  # MaxRuntimeInSeconds was exceeded and we stopped it
    #: First 1024 characters of output/failure, if written (not read after an exit code of 0).
    failure_text: str | None = None
    launch_error: str | None = None  # the process could not be started (client error)
    internal_error: str | None = None  # the executor lost the job (retryable)
    stderr_tail: str = ""  # the last lines of its output (stderr, or both streams), for a reason
    # False when the process was not our child (adopted after a controller restart), so its
    # exit status could not be read: exit_code is then inferred (see jobstate.unknown_exit).
    exit_status_known: bool = True


JobEvent = LogLine | JobStarted | JobExited
EventSink = Callable[[JobEvent], None]


class JobHandle(Protocol):
    training_job_name: str


class Executor(Protocol):
    """Runs training jobs. Implementations: local processes, Ray, a simulated clock."""

    def launch(self, request: TrainingJobRequest, sink: EventSink) -> JobHandle:
        """Start the job and return at once; events arrive on ``sink`` from other threads."""
        ...

    def stop(self, handle: JobHandle) -> None:
        """Ask the job to stop: SIGTERM, then SIGKILL after the grace period."""
        ...

    def close(self) -> None:
        """Release resources; jobs still running are stopped."""
        ...


@dataclass(frozen=True)
class OrphanQuery:
    """A training job the store says is running, whose controller is gone."""

    training_job_name: str
    attempt: int
    log_file: Path
    state_file: Path
    pid: int | None = None  # the pid the store remembers, if any


@dataclass(frozen=True)
class Orphan:
    """An attempt started by a supervisor that is gone, as found on this machine.

    ``pid`` is set while the process still runs. When it has ended, ``ended`` is what its
    supervisor recorded (the exit, or that it let go of the process on purpose).
    """

    training_job_name: str
    attempt: int
    pid: int | None
    log_file: Path
    log_start: int  # where this attempt's output starts in the log file
    started: float  # epoch seconds
    deadline: float | None  # epoch seconds when MaxRuntimeInSeconds runs out
    ended: JobState | None = None
    devices: tuple[str, ...] | None = None


class AdoptingExecutor(Executor, Protocol):
    """An executor whose jobs outlive their controller and can be taken over by the next one.

    Only the local executor is one; the others' jobs are retried after a controller restart.
    """

    def find_orphans(self, queries: Sequence[OrphanQuery]) -> dict[str, Orphan]:
        """The queried jobs that can be adopted, by name: still running, or ended with what
        their supervisor recorded. A job not returned is gone: retry it."""
        ...

    def adopt(
        self, request: TrainingJobRequest, orphan: Orphan, resume_offset: int, sink: EventSink
    ) -> JobHandle:
        """Supervise ``orphan`` from now on: JobStarted, every line from ``resume_offset`` of
        the log, then exactly one JobExited, as for a job it launched."""
        ...

    def end_recorded(self, handle: JobHandle) -> None:
        """The store now holds how the job ended: what its supervisor would leave behind for
        a later controller is not needed. Called after the end is committed."""
        ...

    def detach_all(self) -> list[str]:
        """Let go of every job without stopping it (they run on, for a later :meth:`adopt`);
        returns their names. No JobExited follows."""
        ...
