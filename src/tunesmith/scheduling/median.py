"""Early stopping ``TrainingJobEarlyStoppingType: Auto``: the median stopping rule.

After a job reports its objective value ``v`` at step ``t`` (its t-th objective report, the
"epoch"), the rule takes every *earlier* job that has reached step ``t``, computes each one's
running average of the objective over steps ``1..t``, and stops the job when ``v`` is worse than
the median ``m`` of those averages (``v < m`` when maximizing, ``v > m`` when minimizing; a tie
continues).

What "earlier jobs" means here: jobs with a smaller launch ordinal, **finished or still
running**, that have already reported step ``t``. Running jobs count because their average over
``1..t`` is already fixed once they reported ``t`` (later reports do not change it), and waiting
for them to finish would leave the rule blind while the first ``max_parallel`` jobs run, which
is exactly when it could save the most. Only smaller ordinals count, so a job is never judged by
jobs launched after it: the first jobs establish the reference, as in SageMaker's description
("previous training jobs"). Stopped and failed jobs count for the steps they reached.

The rule fires only when at least ``min_jobs`` (default 3) earlier jobs reached ``t``: with one
or two the "median" is a single, noisy job. The job's *current* value is compared, not its best,
as SageMaker documents it.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping

from tunesmith.scheduling.base import Decision, JobCurve

DEFAULT_MIN_JOBS = 3


class MedianStoppingRule:
    """The ``Auto`` early-stopping rule (a pure :class:`~tunesmith.scheduling.base.Scheduler`)."""

    def __init__(
        self,
        maximize: bool,
        min_jobs: int = DEFAULT_MIN_JOBS,
        metric_name: str = "objective",
        min_step: int = 1,
    ) -> None:
        if min_jobs < 1:
            raise ValueError("min_jobs must be at least 1")
        self.maximize = maximize
        self.min_jobs = min_jobs
        self.metric_name = metric_name
        self.min_step = min_step  # never stop before this many reports

    def on_report(
        self, job: str, step: int, value: float, curves: Mapping[str, JobCurve]
    ) -> Decision:
        if step < self.min_step:
            return Decision.go_on()
        me = curves.get(job)
        if me is None:
            return Decision.go_on()
        averages = [sum(curve.values[:step]) / step for curve in self.earlier(me, step, curves)]
        if len(averages) < self.min_jobs:
            return Decision.go_on()
        median = statistics.median(averages)
        worse = value < median if self.maximize else value > median
        if not worse:
            return Decision.go_on()
        return Decision.stop(
            f"Early stopping (median rule): {self.metric_name} {value:.4g} at epoch {step} "
            f"worse than median {median:.4g} of {len(averages)} jobs "
            f"(running averages of epochs {'1' if step == 1 else f'1-{step}'} of earlier jobs)"
        )

    def earlier(self, me: JobCurve, step: int, curves: Mapping[str, JobCurve]) -> list[JobCurve]:
        """The "earlier jobs" the rule compares ``me`` with at ``step`` (see the module doc)."""
        return [c for c in curves.values() if c.ordinal < me.ordinal and len(c.values) >= step]
