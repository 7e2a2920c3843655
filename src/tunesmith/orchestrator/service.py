"""The one entry point interfaces use: validate, create, run, stop, describe, rank.

CLI, SDK and HTTP API call this and the store's read side, nothing lower, so every interface
gives the same tuning job for the same spec.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tunesmith.domain.enums import (
    ObjectiveStatus,
    ObjectiveType,
    SecondaryStatus,
    TrainingJobStatus,
    TuningJobStatus,
    WarmStartType,
)
from tunesmith.domain.parse import parse_spec
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.domain.support import check_supported
from tunesmith.errors import ResourceInUseError, ResourceNotFoundError, TunesmithError
from tunesmith.execution.base import Executor
from tunesmith.orchestrator.controller import TuningJobController
from tunesmith.orchestrator.costs import consumed, job_cost, pricing
from tunesmith.orchestrator.describe import describe_tuning_job, rank, training_job_summary
from tunesmith.orchestrator.leases import controller_running
from tunesmith.orchestrator.progress import Progress
from tunesmith.orchestrator.recovery import stop_left_processes
from tunesmith.orchestrator.strategy_factory import available_strategies
from tunesmith.orchestrator.warm_start import check_warm_start, fingerprints, overall_best
from tunesmith.settings import Settings
from tunesmith.space import SearchSpace
from tunesmith.store import Store, TrainingJobRecord, TuningJobRecord

#: ``stop`` with no controller: how long its SIGTERM may take before SIGKILL (at most the grace
#: period; the command should not hang for SageMaker's 120 s).
STOP_WAIT_SECONDS = 10.0


def make_executor(settings: Settings) -> Executor:
    if settings.executor == "local":
        from tunesmith.execution.local import LocalExecutor

        return LocalExecutor(stop_grace_seconds=settings.stop_grace_seconds)
    if settings.executor == "ray":
        from tunesmith.execution.ray import RayExecutor

        return RayExecutor(settings.ray_address, stop_grace_seconds=settings.stop_grace_seconds)
    raise TunesmithError(
        f"Unknown executor {settings.executor!r} (TUNESMITH_EXECUTOR); available: local, ray"
    )


class TuningService:
    def __init__(self, settings: Settings | None = None, store: Store | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self._store = store

    @property
    def store(self) -> Store:
        if self._store is None:
            if self.settings.database_url:
                self._store = Store(self.settings.database_url)
            else:
                self._store = Store.for_home(self.settings.home)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # ------------------------------------------------------------------ writing
    def validate(
        self, document: dict[str, Any], base_dir: Path | None = None, name: str | None = None
    ) -> TuningJobSpec:
        """The canonical spec, or a SpecValidationError naming every broken rule."""
        spec = parse_spec(document, base_dir=base_dir, name=name)
        check_supported(spec, available_strategies())
        SearchSpace.from_ranges(spec.ranges, path="HyperParameterTuningJobConfig.ParameterRanges")
        return spec

    def create(
        self,
        spec: TuningJobSpec,
        accept_changed_parents: bool = False,
        on_warning: Callable[[str], None] | None = None,
    ) -> TuningJobRecord:
        """Record the tuning job with the fingerprints of its code and data, after the
        warm-start rules (which need the parents in the store) pass."""
        prints = fingerprints(spec)
        for warning in check_warm_start(spec, self.store, prints, accept_changed_parents):
            if on_warning is not None:
                on_warning(warning)
        objective = spec.objective
        self.store.create_tuning_job(
            spec.hyper_parameter_tuning_job_name,
            spec.to_request(),
            strategy=spec.hyper_parameter_tuning_job_config.strategy,
            objective_metric=objective.metric_name,
            objective_type=objective.type,
        )
        return self.store.update_tuning_job(
            spec.hyper_parameter_tuning_job_name, fingerprints=prints
        )

    def run(
        self,
        name: str,
        on_progress: Callable[[Progress], None] | None = None,
        executor: Executor | None = None,
        on_controller: Callable[[TuningJobController], None] | None = None,
    ) -> TuningJobRecord:
        """Drive the tuning job to its end (blocking) and return its final record."""
        own_executor = executor is None
        executor = executor or make_executor(self.settings)
        try:
            controller = TuningJobController(
                self.store, executor, self.settings, name, on_progress=on_progress
            )
            if on_controller is not None:
                on_controller(controller)
            controller.run()
        finally:
            if own_executor:
                executor.close()
        return self.store.get_tuning_job(name)

    def stop(self, name: str) -> TuningJobRecord:
        """Ask the controller to stop; with no live controller, stop the records directly (and
        any training process still running, left by a controller that is gone)."""
        record = self.store.get_tuning_job(name)
        if record.status.is_terminal:
            return record
        self.store.request_stop(name)
        now = datetime.now(UTC)
        if not controller_running(record):
            jobs = self.store.list_training_jobs(name)
            stop_left_processes(jobs, min(self.settings.stop_grace_seconds, STOP_WAIT_SECONDS))
            for job in jobs:
                if not job.status.is_terminal:
                    self.store.finish_training_job(
                        job.name,
                        status=TrainingJobStatus.STOPPED,
                        secondary_status=SecondaryStatus.STOPPED,
                        stop_reason="Stopped on request while no controller was running",
                        objective_status=ObjectiveStatus.FAILED
                        if job.final_objective_value is None
                        else ObjectiveStatus.SUCCEEDED,
                        end_time=now,
                    )
            self.store.update_tuning_job(name, status=TuningJobStatus.STOPPED, end_time=now)
        return self.store.get_tuning_job(name)

    def delete(self, name: str) -> None:
        """Remove a tuning job that is not running: its records and its job folders."""
        record = self.store.get_tuning_job(name)
        if not record.status.is_terminal and controller_running(record):
            raise ResourceInUseError(
                f"Tuning job '{record.name}' is running; stop it first (tunesmith stop {name})"
            )
        if not record.status.is_terminal:  # jobs left running by a controller that is gone
            stop_left_processes(self.store.list_training_jobs(record.name), 0.0)
        self.store.delete_tuning_job(record.name)
        shutil.rmtree(self.settings.jobs_dir / record.name, ignore_errors=True)

    # ------------------------------------------------------------------ reading
    def get(self, name: str) -> TuningJobRecord:
        return self.store.get_tuning_job(name)

    def list(self) -> list[TuningJobRecord]:
        return self.store.list_tuning_jobs()

    def training_jobs(self, name: str) -> list[TrainingJobRecord]:
        self.store.get_tuning_job(name)
        return self.store.list_training_jobs(name)

    def describe(self, name: str) -> dict[str, Any]:
        tuning = self.store.get_tuning_job(name)
        records = self.store.list_training_jobs(name)
        response = describe_tuning_job(tuning, records)
        spec = TuningJobSpec.model_validate(tuning.spec)
        response["ConsumedResources"].update(consumed(records, pricing(spec)))
        warm = tuning.spec.get("WarmStartConfig") or {}
        if warm.get("WarmStartType") == WarmStartType.IDENTICAL_DATA_AND_ALGORITHM.value:
            jobs = list(records)
            for parent in warm.get("ParentHyperParameterTuningJobs", []):
                try:
                    jobs += self.store.list_training_jobs(parent["HyperParameterTuningJobName"])
                except ResourceNotFoundError:
                    continue  # a deleted parent no longer counts
            best = overall_best(jobs, tuning.objective_type == ObjectiveType.MAXIMIZE)
            if best is not None:
                owner = self.store.get_tuning_job(best.tuning_job_name)
                response["OverallBestTrainingJob"] = training_job_summary(best, owner)
        return response

    def ranked_training_jobs(self, name: str) -> list[TrainingJobRecord]:
        tuning = self.store.get_tuning_job(name)
        return rank(self.store.list_training_jobs(name), tuning.objective_type)

    def leaderboard(self, name: str, top: int | None = None) -> list[dict[str, Any]]:
        """HyperParameterTrainingJobSummary objects, best first."""
        tuning = self.store.get_tuning_job(name)
        ranked = rank(self.store.list_training_jobs(name), tuning.objective_type)
        if top is not None:
            ranked = ranked[:top]
        price = pricing(TuningJobSpec.model_validate(tuning.spec))
        summaries = []
        for record in ranked:
            summary = training_job_summary(record, tuning)
            cost = job_cost(record, price)
            if cost is not None:
                summary["EstimatedCostUSD"] = cost
            summaries.append(summary)
        return summaries

    def training_job(self, tuning_name: str, job: str) -> TrainingJobRecord:
        """A training job by full name, ordinal ('3') or unique prefix."""
        jobs = self.training_jobs(tuning_name)
        for record in jobs:
            if record.name == job:
                return record
        if job.isdigit():
            for record in jobs:
                if record.ordinal == int(job):
                    return record
        matches = [r for r in jobs if r.name.startswith(job)]
        if len(matches) == 1:
            return matches[0]
        raise ResourceNotFoundError(
            f"Could not find training job '{job}' in tuning job '{tuning_name}'"
        )
