"""The doctor's checks: each a pure function ``(spec, context) -> list[Finding]``.

:func:`run_checks` runs them all; :func:`diagnose` takes a spec *document* (either spelling),
so specs that break SageMaker's rules, or use features this build cannot run yet, are still
analysed: rule violations become ``spec-invalid`` findings next to the checks' own.
"""

from tunesmith.guardrails.checks.run import ALL_CHECKS, Check, Diagnosis, diagnose, run_checks

__all__ = ["ALL_CHECKS", "Check", "Diagnosis", "diagnose", "run_checks"]
