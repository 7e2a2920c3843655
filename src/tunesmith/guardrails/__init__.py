"""Guardrails: the doctor (static checks plus a dry run through an executor) and the plan
(time and cost estimates), so classic tuning mistakes are caught before compute is spent."""

from tunesmith.guardrails.checks import ALL_CHECKS, Diagnosis, diagnose, run_checks
from tunesmith.guardrails.dry_run import (
    DryRunResult,
    RequestFactory,
    midpoint_hyperparameters,
    run_dry_run,
)
from tunesmith.guardrails.findings import CheckContext, Finding, Severity, has_errors
from tunesmith.guardrails.plan import Plan, make_plan
from tunesmith.guardrails.prices import PriceTable, load_price_table

__all__ = [
    "ALL_CHECKS",
    "CheckContext",
    "Diagnosis",
    "DryRunResult",
    "Finding",
    "Plan",
    "PriceTable",
    "RequestFactory",
    "Severity",
    "diagnose",
    "has_errors",
    "load_price_table",
    "make_plan",
    "midpoint_hyperparameters",
    "run_checks",
    "run_dry_run",
]
