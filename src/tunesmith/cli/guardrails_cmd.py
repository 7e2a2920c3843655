"""``tunesmith doctor`` and ``tunesmith plan``: check a spec and price it before it runs.

``register(app)`` adds both commands to the Typer app.
"""

from __future__ import annotations

import dataclasses
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tunesmith.domain.parse import load_document
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.errors import TunesmithError
from tunesmith.execution.base import TrainingJobRequest
from tunesmith.guardrails import (
    CheckContext,
    Diagnosis,
    DryRunResult,
    Finding,
    Severity,
    diagnose,
    has_errors,
    load_price_table,
    make_plan,
    run_dry_run,
)
from tunesmith.guardrails.plan import Plan
from tunesmith.orchestrator.requests import all_hyperparameters, build_request
from tunesmith.orchestrator.service import make_executor
from tunesmith.settings import Settings
from tunesmith.store import DB_FILENAME, Store, TuningJobRecord

console = Console()
if not console.is_terminal:
    console = Console(width=max(console.width, 140))
err_console = Console(stderr=True)

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.ADVICE: "cyan"}


class Format(StrEnum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add the ``doctor`` and ``plan`` commands to ``app``."""
    app.command(
        epilog=(
            "Examples:\n\n"
            "  tunesmith doctor examples/quickstart/tuning.yaml\n\n"
            "  tunesmith doctor spec.yaml --dry-run --max-seconds 60\n\n"
            "  tunesmith doctor spec.yaml --format json   # for CI"
        )
    )(doctor)
    app.command(
        epilog=(
            "Examples:\n\n"
            "  tunesmith plan examples/quickstart/tuning.yaml --trial-seconds 30\n\n"
            "  tunesmith plan spec.yaml --dry-run --format json"
        )
    )(plan)


def doctor(
    spec: Annotated[Path, typer.Argument(help="Spec file (either spelling, YAML or JSON).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Also run ONE training job and check its log.")
    ] = False,
    hyperparameters: Annotated[
        list[str] | None,
        typer.Option(
            "--hyperparameters", "-H", help="k=v for the dry run (default: range midpoints)."
        ),
    ] = None,
    max_seconds: Annotated[
        int | None, typer.Option("--max-seconds", help="Stop the dry run after N seconds.")
    ] = None,
    output: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
) -> None:
    """Check SPEC for the classic tuning mistakes; each finding says why and what to change.

    Exit status 1 when any finding is an error, 0 otherwise. json prints a list of
    {code, severity, field, message, fix} objects.
    """
    settings = Settings.from_env()
    overrides = _parse_pairs(hyperparameters or [])
    diagnosis, dry = _diagnose(spec, settings, dry_run, overrides, max_seconds)
    findings = diagnosis.findings
    if output == Format.json:
        print(json.dumps([f.to_dict() for f in findings], indent=2))
    else:
        if dry is not None:
            _print_dry_run(dry)
        _print_findings(findings)
    if has_errors(findings):
        raise typer.Exit(1)


def plan(
    spec: Annotated[Path, typer.Argument(help="Spec file (either spelling, YAML or JSON).")],
    trial_seconds: Annotated[
        float | None, typer.Option("--trial-seconds", help="Duration of one training job.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Measure one training job first.")
    ] = False,
    prices: Annotated[
        Path | None, typer.Option("--prices", help="YAML/JSON price table overrides.")
    ] = None,
    output: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
) -> None:
    """Estimate SPEC's wall-clock time and cost before running it."""
    settings = Settings.from_env()
    diagnosis, dry = _diagnose(spec, settings, dry_run and trial_seconds is None, {}, None)
    if diagnosis.spec is None or not diagnosis.valid:
        _print_findings([f for f in diagnosis.findings if f.severity == Severity.ERROR])
        raise typer.Exit(1)
    try:
        table = load_price_table(prices)
    except TunesmithError as exc:
        err_console.print(f"[bold red]Error[/]: {exc}", highlight=False)
        raise typer.Exit(1) from None
    measured = dry.duration_seconds if dry is not None and dry.completed else None
    result = make_plan(diagnosis.spec, table, trial_seconds, measured)
    if output == Format.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        _print_plan(result)


# ---------------------------------------------------------------- wiring
def _diagnose(
    path: Path,
    settings: Settings,
    dry_run: bool,
    overrides: dict[str, str],
    max_seconds: int | None,
) -> tuple[Diagnosis, DryRunResult | None]:
    try:
        document = load_document(path.read_text(encoding="utf-8"), source=str(path))
    except OSError as exc:
        return _unreadable(str(path), f"Cannot read the spec file: {exc.strerror}"), None
    except TunesmithError as exc:
        return _unreadable(str(path), str(exc)), None
    base_dir = path.resolve().parent
    context = CheckContext(stored_jobs=_stored_jobs(settings))
    diagnosis = diagnose(document, base_dir, context)
    if not dry_run or diagnosis.spec is None or not diagnosis.valid:
        return diagnosis, None
    spec = diagnosis.spec
    executor = make_executor(dataclasses.replace(settings, stop_grace_seconds=5.0))
    try:
        dry = run_dry_run(
            spec,
            executor,
            _request_factory(spec),
            settings.home / "dry-runs",
            overrides,
            max_seconds,
        )
    finally:
        executor.close()
    return diagnose(document, base_dir, dataclasses.replace(context, dry_run=dry)), dry


def _request_factory(spec: TuningJobSpec):  # type: ignore[no-untyped-def]
    def factory(
        tuned: dict[str, str], name: str, job_dir: Path, max_seconds: int | None
    ) -> TrainingJobRequest:
        hps = all_hyperparameters(spec, tuned)
        return build_request(spec, name, hps, job_dir, max_runtime_seconds=max_seconds)

    return factory


def _stored_jobs(settings: Settings) -> list[TuningJobRecord] | None:
    """The store's tuning jobs, or None when there is no store yet (never create one)."""
    if not settings.database_url and not (settings.home / DB_FILENAME).is_file():
        return []
    try:
        store = (
            Store(settings.database_url) if settings.database_url else Store.for_home(settings.home)
        )
    except TunesmithError:
        return None
    try:
        return store.list_tuning_jobs()
    finally:
        store.close()


def _unreadable(source: str, message: str) -> Diagnosis:
    finding = Finding(
        "spec-invalid", Severity.ERROR, source, message, "Give a readable YAML or JSON spec file."
    )
    return Diagnosis([finding], None, False, CheckContext())


def _parse_pairs(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected k=v, got {pair!r}", param_hint="--hyperparameters")
        values[key.strip()] = value
    return values


# ---------------------------------------------------------------- rendering
def _print_findings(findings: list[Finding]) -> None:
    if not findings:
        console.print("[green]No findings[/]: the spec avoids every classic mistake checked.")
        return
    for f in findings:
        console.print(
            f"[{_STYLE[f.severity]}]{f.severity.value}[/] [bold]{f.code}[/] at {f.field}",
            highlight=False,
        )
        console.print(f"  why: {f.message}", markup=False, highlight=False)
        console.print(f"  fix: {f.fix}", markup=False, highlight=False)
    counts = {s: sum(1 for f in findings if f.severity == s) for s in Severity}
    summary = ", ".join(f"{n} {s.value}(s)" for s, n in counts.items() if n)
    console.print(f"{len(findings)} finding(s): {summary}")


def _print_dry_run(dry: DryRunResult) -> None:
    status = "completed" if dry.completed else f"failed: {dry.failure}"
    console.print(
        f"[bold]Dry run[/] {dry.training_job_name}: {status} in {dry.duration_seconds:.1f} s, "
        f"{dry.line_count} log lines (folder {dry.job_dir})",
        highlight=False,
    )
    console.print(f"  hyperparameters: {dry.hyperparameters}", markup=False, highlight=False)
    table = Table("metric", "matches", "values (first)", "example line")
    for report in dry.metrics:
        values = ", ".join(m.raw for m in report.matches[:5])
        example = report.matches[-1].text if report.matches else "-"
        marker = " (objective)" if report.name == dry.objective_name else ""
        table.add_row(report.name + marker, str(report.count), values or "-", example)
    console.print(table)
    console.print(f"  objective '{dry.objective_name}' emitted {dry.objective_count} time(s)")
    for item in dry.lookalikes[:10]:
        console.print(
            f"  unmatched line {item.line_number}: {item.text.strip()}  "
            f"(regex that would read it: {item.suggested_regex})",
            markup=False,
            highlight=False,
        )


def _print_plan(p: Plan) -> None:
    table = Table("", "estimate", show_header=False)
    table.add_row("training jobs", _or_unknown(p.trials))
    table.add_row("at once", str(p.max_parallel))
    table.add_row("waves", _or_unknown(p.waves))
    trial = f"{p.trial_seconds:.0f} s ({p.trial_seconds_source})" if p.trial_seconds else None
    table.add_row("per training job", _or_unknown(trial))
    table.add_row("stopping saves", f"{p.savings[0]:.0%}-{p.savings[1]:.0%} ({p.stopping})")
    table.add_row("wall clock", _span(p.wall_clock_seconds, _duration))
    machine = "local machine time" if p.local else f"{p.instance_count} x {p.instance_type}"
    table.add_row(
        "instance-hours", _span(p.machine_hours, lambda h: f"{h:.2f} h") + f" ({machine})"
    )
    if p.local:
        table.add_row("cost", "no cloud charge (local)")
        table.add_row(
            f"cloud equivalent ({p.cloud_equivalent})", _span(p.cloud_equivalent_cost, _usd)
        )
    else:
        price = f" at ${p.price_per_hour:.3f}/h" if p.price_per_hour is not None else ""
        spot = f", spot -{p.spot_discount:.0%}" if p.spot else ""
        table.add_row("cost", _span(p.cost, _usd) + price + spot)
    console.print(table)
    console.print(f"Prices: {p.price_source}.", highlight=False)
    for note in p.notes:
        console.print(f"[yellow]note[/]: {note}", highlight=False)


def _or_unknown(value: Any) -> str:
    return "unknown" if value is None else str(value)


def _span(values: tuple[float, float] | None, fmt: Any) -> str:
    if values is None:
        return "unknown"
    low, high = values
    return fmt(high) if abs(high - low) < 1e-9 else f"{fmt(low)} - {fmt(high)}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _usd(value: float) -> str:
    return f"${value:,.2f}"
