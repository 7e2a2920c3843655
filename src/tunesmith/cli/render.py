"""Tables and CSV for the CLI."""

from __future__ import annotations

import csv
from typing import TextIO

from rich.table import Table

from tunesmith.domain.enums import ObjectiveStatus
from tunesmith.orchestrator.service import TuningService
from tunesmith.store import TrainingJobRecord


def _duration(record: TrainingJobRecord) -> str:
    if record.start_time and record.end_time:
        return f"{(record.end_time - record.start_time).total_seconds():.1f}s"
    return ""


def _note(record: TrainingJobRecord) -> str:
    text = record.failure_reason or record.stop_reason or record.objective_note or ""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= 80 else first[:77] + "..."


def _objective(record: TrainingJobRecord) -> str:
    if (
        record.objective_status == ObjectiveStatus.SUCCEEDED
        and record.final_objective_value is not None
    ):
        return f"{record.final_objective_value:.6g}"
    return "-"


def _short(value: str) -> str:
    """A tuned value as shown in a table: floats to 4 significant digits."""
    try:
        number = float(value)
    except ValueError:
        return value
    return value if number.is_integer() and "." not in value else f"{number:.4g}"


def leaderboard_table(service: TuningService, name: str, top: int | None = None) -> Table:
    tuning = service.get(name)
    ranked = service.ranked_training_jobs(name)
    shown = ranked[:top] if top is not None else ranked
    params = list(shown[0].tuned_hyperparameters) if shown else []
    table = Table(title=f"{name}: {tuning.objective_type.value} {tuning.objective_metric}")
    table.add_column("#", justify="right")
    table.add_column("training job", no_wrap=True)
    table.add_column("status")
    table.add_column(tuning.objective_metric, justify="right")
    for param in params:
        table.add_column(param, justify="right")
    table.add_column("time", justify="right")
    table.add_column("note")
    for index, record in enumerate(shown, start=1):
        table.add_row(
            str(index),
            record.name,
            record.status.value,
            _objective(record),
            *(_short(record.tuned_hyperparameters.get(p, "")) for p in params),
            _duration(record),
            _note(record),
        )
    return table


def leaderboard_csv(service: TuningService, name: str, top: int | None, out: TextIO) -> None:
    ranked = service.ranked_training_jobs(name)
    shown = ranked[:top] if top is not None else ranked
    params = sorted({p for r in shown for p in r.tuned_hyperparameters})
    writer = csv.writer(out)
    writer.writerow(
        [
            "Rank",
            "TrainingJobName",
            "TrainingJobStatus",
            "FinalObjectiveValue",
            "ObjectiveStatus",
            *params,
            "TrainingStartTime",
            "TrainingEndTime",
            "BillableTimeInSeconds",
            "FailureReason",
        ]
    )
    for index, r in enumerate(shown, start=1):
        writer.writerow(
            [
                index,
                r.name,
                r.status.value,
                "" if r.final_objective_value is None else repr(r.final_objective_value),
                r.objective_status.value,
                *(r.tuned_hyperparameters.get(p, "") for p in params),
                r.start_time.isoformat() if r.start_time else "",
                r.end_time.isoformat() if r.end_time else "",
                r.billable_seconds if r.billable_seconds is not None else "",
                r.failure_reason or "",
            ]
        )


def tuning_jobs_table(service: TuningService) -> Table:
    table = Table(title="Tuning jobs")
    for column in ("name", "status", "strategy", "objective", "jobs", "best", "created"):
        table.add_column(column)
    for tuning in service.list():
        records = service.training_jobs(tuning.name)
        description = service.describe(tuning.name)
        best = description.get("BestTrainingJob", {})
        value = best.get("FinalHyperParameterTuningJobObjectiveMetric", {}).get("Value")
        table.add_row(
            tuning.name,
            tuning.status.value,
            tuning.strategy.value,
            f"{tuning.objective_type.value} {tuning.objective_metric}",
            str(len(records)),
            "" if value is None else f"{value:.6g}",
            tuning.creation_time.strftime("%Y-%m-%d %H:%M:%S"),
        )
    return table
