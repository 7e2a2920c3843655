"""What the dry run proves: the job runs, the objective is printed and parsed, and every
metric definition matches something."""

from __future__ import annotations

from tunesmith.domain.spec import TuningJobSpec
from tunesmith.guardrails.checks.common import tokens
from tunesmith.guardrails.dry_run import DryRunResult, Lookalike
from tunesmith.guardrails.findings import (
    DEFINITION,
    METRICS,
    OBJECTIVE_NAME,
    CheckContext,
    Finding,
    Severity,
)


def check_dry_run(spec: TuningJobSpec, context: CheckContext) -> list[Finding]:
    dry = context.dry_run
    if dry is None:
        return []
    if not dry.completed:
        tail = dry.stderr_tail.strip().splitlines()[-3:]
        return [
            Finding(
                "dry-run-failed",
                Severity.ERROR,
                context.path(DEFINITION),
                f"The dry run {dry.failure}; every training job of the tuning job would "
                "likely fail the same way."
                + (f" Last stderr lines: {' | '.join(tail)}" if tail else ""),
                f"Run the script by hand with the same hyperparameters and fix it; the job "
                f"folder and its logs/training.log are in {dry.job_dir}.",
            )
        ]
    findings: list[Finding] = []
    definitions = spec.definition.algorithm_specification.metric_definitions
    index_of = {d.name: i for i, d in enumerate(definitions)}
    objective = dry.objective
    if objective is not None and objective.count == 0:
        findings.append(_objective_missing(dry, context, index_of.get(dry.objective_name)))
    elif objective is not None and all(m.value is None for m in objective.matches):
        raws = ", ".join(repr(m.raw) for m in objective.matches[:3])
        findings.append(
            Finding(
                "dry-run-objective-not-numeric",
                Severity.ERROR,
                context.path(f"{METRICS}[{index_of[objective.name]}].Regex"),
                f"The objective's regex matched {objective.count} time(s) but captured no "
                f"finite number ({raws}); no job could be ranked.",
                "Make the capture group match only the number, e.g. ([-+]?[0-9.]+(?:[eE]"
                "[-+]?[0-9]+)?), and check that the script does not print nan.",
            )
        )
    for report in dry.metrics:
        if report.name == dry.objective_name or report.count:
            continue
        findings.append(
            Finding(
                "dry-run-metric-unmatched",
                Severity.WARNING,
                context.path(f"{METRICS}[{index_of[report.name]}].Regex"),
                f"The regex of metric '{report.name}' matched none of the dry run's "
                f"{dry.line_count} log lines, so that metric will always be empty.",
                _suggestion(report.name, dry.lookalikes)
                or "Compare the regex with what the script prints (see the dry run's log), "
                "or remove the definition.",
            )
        )
    return findings


def _objective_missing(dry: DryRunResult, context: CheckContext, index: int | None) -> Finding:
    path = f"{METRICS}[{index}].Regex" if index is not None else OBJECTIVE_NAME
    field = context.path(path)
    hint = _suggestion(dry.objective_name, dry.lookalikes)
    seen = "; ".join(f"'{k.text.strip()}'" for k in dry.lookalikes[:3])
    return Finding(
        "dry-run-objective-missing",
        Severity.ERROR,
        field,
        f"The objective '{dry.objective_name}' was never matched in the dry run's "
        f"{dry.line_count} log lines: every training job would end without an objective "
        "and the tuning job could rank nothing."
        + (f" Lines that look like metrics: {seen}." if seen else ""),
        hint
        or "Make the script print the objective (e.g. 'val_loss=0.41') and the regex match "
        "that exact text.",
    )


def _suggestion(metric_name: str, lookalikes: list[Lookalike]) -> str | None:
    """A regex for the lookalike line that best resembles ``metric_name``, if any does."""
    wanted = tokens(metric_name)
    best, best_score = None, 0
    for item in lookalikes:
        have = tokens(item.name)
        score = sum(1 for w in wanted if any(h.startswith(w) or w.startswith(h) for h in have))
        if score > best_score:
            best, best_score = item, score
    if best is None:
        return None
    return (
        f"The script prints '{best.text.strip()}' (line {best.line_number}); to read it, set "
        f"the regex to '{best.suggested_regex}'."
    )
