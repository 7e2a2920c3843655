"""How a training job ended, in SageMaker's terms: status, secondary status, failure reason and
which failure counter it belongs to. Pure: the controller applies the result to the store."""

from __future__ import annotations

import signal as signals
from dataclasses import dataclass

from tunesmith.domain.enums import FailureKind, SecondaryStatus, TrainingJobStatus
from tunesmith.execution.base import JobExited

MAX_FAILURE_REASON = 1024


@dataclass(frozen=True)
class Outcome:
    status: TrainingJobStatus
    secondary_status: SecondaryStatus
    failure_reason: str | None = None
    failure_kind: FailureKind | None = None
    stop_reason: str | None = None


def decide_outcome(exit: JobExited, max_runtime_seconds: int, stop_reason: str | None) -> Outcome:
    """Map a process exit to a final training-job status."""
    if exit.launch_error is not None:
        return _failed(
            f"ClientError: the training job could not start: {exit.launch_error}",
            FailureKind.NON_RETRYABLE,
        )
    if exit.internal_error is not None:
        return _failed(f"InternalServerError: {exit.internal_error}", FailureKind.RETRYABLE)
    if exit.timed_out:
        return Outcome(
            TrainingJobStatus.STOPPED,
            SecondaryStatus.MAX_RUNTIME_EXCEEDED,
            stop_reason=(
                f"The job exceeded StoppingCondition.MaxRuntimeInSeconds ({max_runtime_seconds} s)"
                " and was stopped"
            ),
        )
    if exit.stop_requested:
        return Outcome(
            TrainingJobStatus.STOPPED,
            SecondaryStatus.STOPPED,
            stop_reason=stop_reason or "Stopped on request",
        )
    if exit.exit_code == 0:
        return Outcome(TrainingJobStatus.COMPLETED, SecondaryStatus.COMPLETED)
    if exit.exit_code is None and exit.signal is not None:
        name = _signal_name(exit.signal)
        return _failed(
            f"InternalServerError: the training process was killed by {name}, which tunesmith "
            "did not send (out of memory, or killed from outside)",
            FailureKind.RETRYABLE,
        )
    return _failed(_algorithm_error(exit), FailureKind.NON_RETRYABLE)


def _algorithm_error(exit: JobExited) -> str:
    if exit.failure_text and exit.failure_text.strip():
        return exit.failure_text.strip()
    reason = f"AlgorithmError: the training script exited with code {exit.exit_code}"
    tail = exit.stderr_tail.strip()
    if tail:
        reason += f". Last lines of its output:\n{tail}"
    return reason


def _failed(reason: str, kind: FailureKind) -> Outcome:
    return Outcome(
        TrainingJobStatus.FAILED,
        SecondaryStatus.FAILED,
        failure_reason=truncate_reason(reason),
        failure_kind=kind,
    )


def truncate_reason(reason: str) -> str:
    """SageMaker keeps the first 1024 characters of a failure reason."""
    if len(reason) <= MAX_FAILURE_REASON:
        return reason
    return reason[: MAX_FAILURE_REASON - 3] + "..."


def _signal_name(number: int) -> str:
    try:
        return f"{signals.Signals(number).name} ({number})"
    except ValueError:
        return f"signal {number}"
