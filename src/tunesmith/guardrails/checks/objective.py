"""Check 2: an objective direction that contradicts the metric's name (Minimize accuracy)."""

from __future__ import annotations

from tunesmith.domain.enums import ObjectiveType
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.guardrails.checks.common import tokens
from tunesmith.guardrails.findings import OBJECTIVE_TYPE, CheckContext, Finding, Severity

MAXIMIZE_WORDS = frozenset(
    {"accuracy", "acc", "auc", "f1", "r2", "precision", "recall", "map", "ndcg", "bleu", "iou"}
)
MINIMIZE_WORDS = frozenset(
    {"loss", "rmse", "mse", "mae", "error", "err", "logloss", "mape", "nll", "perplexity"}
)
#: Words that turn a metric around (``accuracy_drop`` is minimised): no verdict then.
INVERTING_WORDS = frozenset({"drop", "gap", "delta", "diff", "decrease", "degradation", "regret"})


def expected_direction(metric_name: str) -> ObjectiveType | None:
    """The direction the metric's name implies, or None when it is ambiguous or unknown."""
    words = set(tokens(metric_name))
    if words & INVERTING_WORDS:
        return None
    maximize, minimize = bool(words & MAXIMIZE_WORDS), bool(words & MINIMIZE_WORDS)
    if maximize == minimize:
        return None
    return ObjectiveType.MAXIMIZE if maximize else ObjectiveType.MINIMIZE


def check_objective_direction(spec: TuningJobSpec, context: CheckContext) -> list[Finding]:
    objective = spec.hyper_parameter_tuning_job_config.hyper_parameter_tuning_job_objective
    if objective is None:
        return []
    expected = expected_direction(objective.metric_name)
    if expected is None or expected == objective.type:
        return []
    term = context.term(OBJECTIVE_TYPE)
    return [
        Finding(
            "objective-direction",
            Severity.ERROR,
            context.path(OBJECTIVE_TYPE),
            f"{term} is {objective.type.value} but '{objective.metric_name}' is a metric one "
            f"usually wants to {expected.value.lower()}: the search would steer toward the "
            "worst models and report the worst one as best.",
            f"Set {term} to {expected.value}.",
        )
    ]
