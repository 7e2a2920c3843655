"""The scheduler contract: "when to stop" a running job, from the objective reports alone.

After each objective report (step t = the t-th finite objective value the job printed) the
controller asks ``on_report``; a STOP decision is applied at once (the process gets SIGTERM)
and its reason is stored and shown. Schedulers are pure: no processes, files or store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Action(StrEnum):
    CONTINUE = "CONTINUE"
    STOP = "STOP"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str = ""

    @classmethod
    def go_on(cls) -> Decision:
        return cls(Action.CONTINUE)

    @classmethod
    def stop(cls, reason: str) -> Decision:
        return cls(Action.STOP, reason)


@dataclass(frozen=True)
class JobCurve:
    """One training job's objective values in report order, as a scheduler sees it."""

    training_job_name: str
    ordinal: int  # launch order (1-based): "earlier jobs" are those with a smaller ordinal
    values: tuple[float, ...]  # finite objective values, step 1 first
    finished: bool  # the job has ended (completed, stopped or failed)


class Scheduler(Protocol):
    def on_report(
        self, job: str, step: int, value: float, curves: Mapping[str, JobCurve]
    ) -> Decision:
        """Decide after ``job`` reported ``value`` at ``step``; ``curves`` holds every job of
        the tuning job (including this one, already with this value appended)."""
        ...


class NoStopping:
    """TrainingJobEarlyStoppingType Off."""

    def on_report(
        self, job: str, step: int, value: float, curves: Mapping[str, JobCurve]
    ) -> Decision:
        return Decision.go_on()
