"""Check 10: a tuning job of many trials with no experiment tracking.

The tracking integration does not exist yet, so every spec is "untracked"; the doctor points
to the leaderboard export instead, and only for jobs big enough that comparing runs by eye
stops working.
"""

from __future__ import annotations

from tunesmith.domain.spec import TuningJobSpec
from tunesmith.guardrails.checks.common import planned_jobs
from tunesmith.guardrails.findings import MAX_JOBS, CheckContext, Finding, Severity

#: Above this many training jobs, an exported leaderboard pays for itself.
TRACKING_MIN_JOBS = 20


def check_tracking(spec: TuningJobSpec, context: CheckContext) -> list[Finding]:
    jobs = planned_jobs(spec)
    if jobs is None or jobs <= TRACKING_MIN_JOBS:
        return []
    name = spec.hyper_parameter_tuning_job_name
    return [
        Finding(
            "no-experiment-tracking",
            Severity.ADVICE,
            context.path(MAX_JOBS),
            f"{jobs} training jobs and no experiment tracking: their hyperparameters and "
            "metrics stay only in the local store, hard to compare or share.",
            f"After the run, export the leaderboard: tunesmith leaderboard {name} --format csv "
            "(or --format json).",
        )
    ]
