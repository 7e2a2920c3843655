"""Check 1 and friends: how many training jobs run at once, against the budget and strategy."""

from __future__ import annotations

from tunesmith.domain.enums import Strategy
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.guardrails.checks.common import planned_jobs
from tunesmith.guardrails.findings import (
    MAX_PARALLEL,
    STRATEGY,
    CheckContext,
    Finding,
    Severity,
)

#: Bayesian optimisation learns from finished jobs; 1-4 at once is best, ~10 still acceptable.
BAYESIAN_BEST_PARALLEL = 4
BAYESIAN_MAX_PARALLEL = 10


def check_parallelism(spec: TuningJobSpec, context: CheckContext) -> list[Finding]:
    config = spec.hyper_parameter_tuning_job_config
    parallel = config.resource_limits.max_parallel_training_jobs
    jobs = planned_jobs(spec)
    field = context.path(MAX_PARALLEL)
    term = context.term(MAX_PARALLEL)
    findings: list[Finding] = []
    if jobs is not None and parallel > jobs:
        findings.append(
            Finding(
                "parallel-exceeds-max-jobs",
                Severity.WARNING,
                field,
                f"{term} is {parallel} but the tuning job runs only {jobs} training jobs; the "
                "extra slots never fill, and any plan or quota based on them is wrong.",
                f"Set {term} to {jobs} or less.",
            )
        )
    if config.strategy != Strategy.BAYESIAN or jobs is None or parallel <= 1:
        return findings
    near_all = parallel * 2 >= jobs
    if parallel > BAYESIAN_MAX_PARALLEL or near_all:
        findings.append(
            Finding(
                "bayesian-parallelism",
                Severity.WARNING,
                field,
                f"Bayesian runs {parallel} of its {jobs} training jobs at once: each batch is "
                "chosen before the previous results are known, so the search learns little "
                "from them - near the whole budget it is random search in disguise.",
                f"Lower {term} to {BAYESIAN_BEST_PARALLEL} or less (up to "
                f"{BAYESIAN_MAX_PARALLEL} is acceptable), or set {context.term(STRATEGY)} to "
                "Random when wall-clock time matters more than the number of jobs.",
            )
        )
    elif parallel > BAYESIAN_BEST_PARALLEL:
        findings.append(
            Finding(
                "bayesian-parallelism",
                Severity.ADVICE,
                field,
                f"Bayesian with {parallel} jobs at once learns less per job than with "
                f"{BAYESIAN_BEST_PARALLEL} or fewer.",
                f"Lower {term} to {BAYESIAN_BEST_PARALLEL} if the tuning job may take longer.",
            )
        )
    return findings
