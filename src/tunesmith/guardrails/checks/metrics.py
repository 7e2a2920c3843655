"""Check 3: metric definitions that cannot work - a regex that does not compile, has no or
several capture groups, can backtrack catastrophically on a long log line, or an objective
that no definition defines."""

from __future__ import annotations

import re
from typing import Any

from tunesmith.domain.spec import TuningJobSpec
from tunesmith.guardrails.findings import METRICS, OBJECTIVE_NAME, CheckContext, Finding, Severity

try:  # the stdlib's own regex parser, used read-only to inspect a pattern's structure
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants  # type: ignore[no-redef]
    import sre_parse as sre_parser  # type: ignore[no-redef]

_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
_UNBOUNDED = sre_constants.MAXREPEAT


def check_metric_definitions(spec: TuningJobSpec, context: CheckContext) -> list[Finding]:
    definitions = spec.definition.algorithm_specification.metric_definitions
    findings: list[Finding] = []
    for index, metric in enumerate(definitions):
        path = f"{METRICS}[{index}].Regex"
        findings += _regex_findings(metric.name, metric.regex, context.path(path))
    objective = spec.hyper_parameter_tuning_job_config.hyper_parameter_tuning_job_objective
    names = [m.name for m in definitions]
    if objective is not None and objective.metric_name not in names:
        known = ", ".join(f"'{n}'" for n in names) or "none"
        findings.append(
            Finding(
                "objective-undefined",
                Severity.ERROR,
                context.path(OBJECTIVE_NAME),
                f"The objective '{objective.metric_name}' is not the Name of any metric "
                f"definition (defined: {known}), so no training job can ever report it.",
                f"Add a metric definition named '{objective.metric_name}' with a regex that "
                f"captures its value, or set {context.term(OBJECTIVE_NAME)} to one of the "
                "defined names.",
            )
        )
    return findings


def _regex_findings(name: str, regex: str, field: str) -> list[Finding]:
    try:
        compiled = re.compile(regex)
    except re.error as exc:
        return [
            Finding(
                "regex-invalid",
                Severity.ERROR,
                field,
                f"The regex of metric '{name}' does not compile ({exc}); the metric can never "
                "be read.",
                "Fix the pattern; escape literal characters such as ( ) [ ] . + * ? with a "
                "backslash.",
            )
        ]
    if compiled.groups != 1:
        return [
            Finding(
                "regex-capture-groups",
                Severity.ERROR,
                field,
                f"The regex of metric '{name}' has {compiled.groups} capture groups; the value "
                "is the first capture group, so exactly one is needed.",
                "Wrap the number in one group, e.g. 'val_loss=([0-9.eE+-]+)', and make every "
                "other group non-capturing: (?:...).",
            )
        ]
    hazard = backtracking_hazard(regex)
    if hazard is None:
        return []
    return [
        Finding(
            "regex-backtracking",
            Severity.WARNING,
            field,
            f"The regex of metric '{name}' has {hazard}: on a long log line that almost "
            "matches, it can take exponential time and stall metric reading.",
            "Remove the nested or repeated quantifier: match the value directly, e.g. "
            "'loss=([0-9.]+)' instead of '(.*)*loss=(.*)', and prefer [^ ]+ or [0-9.]+ to .*",
        )
    ]


def backtracking_hazard(regex: str) -> str | None:
    """A description of a catastrophic-backtracking shape in ``regex``, or None.

    Heuristics: an unbounded quantifier applied to something that itself contains an unbounded
    quantifier (``(a+)+``, ``(.*)*``, ``(.*?)+``), or two adjacent unbounded quantifiers over
    overlapping characters (``.*.*``, ``\\d+\\d*``).
    """
    try:
        parsed = sre_parser.parse(regex)
    except re.error:
        return None
    return _scan(list(parsed))


def _scan(items: list[tuple[Any, Any]]) -> str | None:
    previous: tuple[Any, Any] | None = None
    for op, av in items:
        if op in _REPEATS:
            _low, high, body = av
            if high == _UNBOUNDED and _contains_unbounded(list(body)):
                return "a nested quantifier such as (a+)+ or (.*)*"
            if (
                previous is not None
                and high == _UNBOUNDED
                and previous[1][1] == _UNBOUNDED
                and _overlaps(list(previous[1][2]), list(body))
            ):
                return "two adjacent unbounded quantifiers over the same characters (like .*.*)"
            found = _scan(list(body))
            if found:
                return found
            previous = (op, av)
            continue
        previous = None
        for child in _children(op, av):
            found = _scan(child)
            if found:
                return found
    return None


def _children(op: Any, av: Any) -> list[list[tuple[Any, Any]]]:
    if op == sre_constants.SUBPATTERN:
        return [list(av[-1])]
    if op == sre_constants.BRANCH:
        return [list(branch) for branch in av[1]]
    if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return [list(av[1])]
    if getattr(sre_constants, "ATOMIC_GROUP", None) == op:
        return []  # atomic groups never backtrack into themselves
    return []


def _contains_unbounded(items: list[tuple[Any, Any]]) -> bool:
    for op, av in items:
        if op in _REPEATS and av[1] == _UNBOUNDED:
            return True
        if op in _REPEATS and _contains_unbounded(list(av[2])):
            return True
        if any(_contains_unbounded(child) for child in _children(op, av)):
            return True
    return False


def _overlaps(first: list[tuple[Any, Any]], second: list[tuple[Any, Any]]) -> bool:
    """Whether two repeated single-character bodies can match the same character."""
    if len(first) != 1 or len(second) != 1:
        return False
    a, b = first[0], second[0]
    if sre_constants.ANY in (a[0], b[0]):
        return True
    return a == b
