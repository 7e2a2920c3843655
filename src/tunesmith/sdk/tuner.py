"""``HyperparameterTuner`` and its helper configs, with the SageMaker Python SDK v2's surface.

``fit()`` builds the friendly spec from the tuner's arguments (the same document a
``tuning.yaml`` holds), so ``tunesmith tune tuning.yaml`` and ``tuner.fit()`` compile to the
same canonical ``CreateHyperParameterTuningJob`` request. Relative paths (``source_dir``, input
channels, ``output_path``, ``checkpoint_local_path``) resolve against the current directory.

``fit(wait=True)`` runs the controller in this process with live progress; Ctrl-C stops the
running training jobs cleanly, then raises KeyboardInterrupt (``on_interrupt="leave"`` leaves
them running for a later ``attach(name).wait()`` or ``tunesmith resume``; ``"ask"`` asks).
``fit(wait=False)`` starts the controller in a detached background process (see
:mod:`tunesmith.sdk.runner`), so the tuning job keeps running when the notebook kernel
restarts or the script ends; ``wait()`` (or ``attach(name).wait()`` from anywhere) follows it
through the store.
"""

from __future__ import annotations

import logging
import math
import os
import re
import secrets
import subprocess
import time
from pathlib import Path
from typing import Any

from tunesmith.domain.enums import ObjectiveType, TuningJobStatus
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.errors import NotYetSupportedError, TunesmithError
from tunesmith.orchestrator.leases import controller_running
from tunesmith.orchestrator.progress import Progress
from tunesmith.orchestrator.service import TuningService
from tunesmith.sdk.analytics import HyperparameterTuningJobAnalytics
from tunesmith.sdk.configs import (
    HyperbandStrategyConfig,
    StrategyConfig,
    TuningJobCompletionCriteriaConfig,
    UnexpectedStatusException,
    WarmStartConfig,
    WarmStartTypes,
)
from tunesmith.sdk.estimator import Estimator
from tunesmith.sdk.parameter import ParameterRange, ranges_from_request, ranges_request
from tunesmith.sdk.progress import ProgressDisplay
from tunesmith.sdk.runner import (
    raise_if_not_running,
    start_background,
    stop_on_interrupt,
)
from tunesmith.store import TuningJobRecord

__all__ = [
    "HyperbandStrategyConfig",
    "HyperparameterTuner",
    "StrategyConfig",
    "TuningJobCompletionCriteriaConfig",
    "UnexpectedStatusException",
    "WarmStartConfig",
    "WarmStartTypes",
    "create_identical_dataset_and_algorithm_tuner",
    "create_transfer_learning_tuner",
]

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0


# ---------------------------------------------------------------------- names
def base_name_from_estimator(estimator: Estimator) -> str:
    """The base of a default tuning-job name: the image's repository, the script or command."""
    if estimator.image_uri:
        match = re.match(r"^(.+/)?([^:/]+)(:[^:]+)?$", estimator.image_uri)
        source = match.group(2) if match else estimator.image_uri
    elif estimator.entry_point:
        source = Path(estimator.entry_point).stem
    else:
        command = estimator.container_entry_point or ["tuning"]
        source = Path(command[-1]).stem if len(command) > 1 else Path(command[0]).name
    return source


def name_from_base(base: str, max_length: int = 32) -> str:
    """``<base>-<yymmdd-HHMM>-<4 hex>`` within ``max_length`` and SageMaker's name pattern.

    The SDK's short timestamp has minute resolution; the random suffix keeps two tuning jobs
    started in the same minute apart.
    """
    suffix = f"{time.strftime('%y%m%d-%H%M')}-{secrets.token_hex(2)}"
    clean = re.sub(r"[^a-zA-Z0-9]+", "-", base).strip("-") or "tuning"
    trimmed = clean[: max_length - len(suffix) - 1].strip("-") or "tuning"
    return f"{trimmed}-{suffix}"


# ---------------------------------------------------------------------- the tuner
class _TuningJob:
    """``tuner.latest_tuning_job``: the name of the tuning job ``fit`` or ``attach`` set."""

    def __init__(self, tuner: HyperparameterTuner, name: str) -> None:
        self._tuner = tuner
        self.name = name

    @property
    def job_name(self) -> str:
        return self.name

    def describe(self) -> dict[str, Any]:
        return self._tuner.service.describe(self.name)

    def wait(self) -> None:
        self._tuner.wait()

    def stop(self) -> None:
        self._tuner.service.stop(self.name)

    def __repr__(self) -> str:
        return f"<tuning job {self.name}>"


class HyperparameterTuner:
    """Tunes an :class:`Estimator`'s hyperparameters over ``hyperparameter_ranges``."""

    TUNING_JOB_NAME_MAX_LENGTH = 32

    def __init__(
        self,
        estimator: Estimator,
        objective_metric_name: str,
        hyperparameter_ranges: dict[str, ParameterRange],
        metric_definitions: list[dict[str, str]] | None = None,
        strategy: str = "Bayesian",
        objective_type: str = "Maximize",
        max_jobs: int | None = None,
        max_parallel_jobs: int = 1,
        max_runtime_in_seconds: int | None = None,
        tags: list[dict[str, str]] | None = None,
        base_tuning_job_name: str | None = None,
        warm_start_config: WarmStartConfig | None = None,
        strategy_config: StrategyConfig | None = None,
        completion_criteria_config: TuningJobCompletionCriteriaConfig | None = None,
        early_stopping_type: str = "Off",
        estimator_name: str | None = None,
        random_seed: int | None = None,
        autotune: bool = False,
        hyperparameters_to_keep_static: list[str] | None = None,
    ) -> None:
        if not isinstance(estimator, Estimator):
            raise TypeError(
                f"estimator must be a tunesmith Estimator, not {type(estimator).__name__}: "
                "change the import to `from tunesmith.sdk import Estimator`"
            )
        if not hyperparameter_ranges and not autotune:
            raise ValueError("Need to specify hyperparameter ranges or set autotune=True.")
        for name, parameter in (hyperparameter_ranges or {}).items():
            if not isinstance(parameter, ParameterRange):
                raise TypeError(
                    f"hyperparameter_ranges['{name}'] must be a ContinuousParameter, "
                    f"IntegerParameter or CategoricalParameter from tunesmith.sdk, not "
                    f"{type(parameter).__name__}"
                )
        self.estimator = estimator
        self.objective_metric_name = objective_metric_name
        self._hyperparameter_ranges = dict(hyperparameter_ranges or {})
        self.metric_definitions = metric_definitions
        self.strategy = strategy
        self.objective_type = objective_type
        # SageMaker's default: one training job, except Grid, which covers the whole grid.
        self.max_jobs = 1 if max_jobs is None and strategy != "Grid" else max_jobs
        self.max_parallel_jobs = max_parallel_jobs
        self.max_runtime_in_seconds = max_runtime_in_seconds
        self.tags = tags
        self.base_tuning_job_name = base_tuning_job_name
        self.warm_start_config = warm_start_config
        self.strategy_config = strategy_config
        self.completion_criteria_config = completion_criteria_config
        self.early_stopping_type = early_stopping_type
        self.estimator_name = estimator_name
        self.random_seed = random_seed
        self.autotune = autotune
        self.hyperparameters_to_keep_static = hyperparameters_to_keep_static
        self.latest_tuning_job: _TuningJob | None = None
        self._current_job_name: str | None = None
        self._service: TuningService | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def service(self) -> TuningService:
        """The service (store and settings from ``TUNESMITH_*``), created on first use."""
        if self._service is None:
            self._service = TuningService()
        return self._service

    def hyperparameter_ranges(self) -> dict[str, list[dict[str, Any]]]:
        """The request's ``ParameterRanges``."""
        return ranges_request(self._hyperparameter_ranges)

    # ------------------------------------------------------------------ compiling
    def friendly_spec(self, inputs: Any = None, job_name: str | None = None) -> dict[str, Any]:
        """The friendly (``tuning.yaml``) document this tuner compiles to."""
        ranges = {n: p.as_friendly() for n, p in self._hyperparameter_ranges.items()}
        estimator = self.estimator.as_friendly()
        estimator["hyperparameters"] = {
            k: v for k, v in self.estimator.hyperparameters().items() if k not in ranges
        }
        document: dict[str, Any] = {
            "tuning_job_name": job_name,
            "strategy": self.strategy,
            "objective_metric_name": self.objective_metric_name,
            "objective_type": self.objective_type,
            "max_jobs": self.max_jobs,
            "max_parallel_jobs": self.max_parallel_jobs,
            "max_runtime_in_seconds": self.max_runtime_in_seconds,
            "early_stopping_type": self.early_stopping_type,
            "random_seed": self.random_seed,
            "metric_definitions": self.metric_definitions,
            "hyperparameter_ranges": ranges,
            "tags": self.tags,
            "estimator": estimator,
            "inputs": _channels(inputs),
        }
        if self.strategy_config is not None:
            hyperband = self.strategy_config.hyperband_strategy_config
            document["strategy_config"] = {
                "hyperband_strategy_config": {
                    "min_resource": hyperband.min_resource,
                    "max_resource": hyperband.max_resource,
                }
            }
        if self.completion_criteria_config is not None:
            criteria = self.completion_criteria_config
            document["completion_criteria_config"] = {
                "max_number_of_training_jobs_not_improving": (
                    criteria.max_number_of_training_jobs_not_improving
                ),
                "complete_on_convergence": criteria.complete_on_convergence,
                "target_objective_metric_value": criteria.target_objective_metric_value,
            }
        if self.warm_start_config is not None:
            document["warm_start_config"] = {
                "warm_start_type": self.warm_start_config.type.value,
                "parents": sorted(self.warm_start_config.parents),
            }
        return {k: v for k, v in document.items() if v is not None}

    def validate(self, inputs: Any = None, job_name: str | None = None) -> TuningJobSpec:
        """The canonical spec ``fit`` would create (nothing is created); errors name the
        tuner's argument names. Relative paths resolve against the current directory."""
        if self.autotune:
            raise NotYetSupportedError.single(
                "Autotune", "Enabled", "Autotune is not supported yet"
            )
        name = job_name or name_from_base(
            self.base_tuning_job_name or base_name_from_estimator(self.estimator),
            self.TUNING_JOB_NAME_MAX_LENGTH,
        )
        document = self.friendly_spec(inputs, name)
        return self.service.validate(document, base_dir=Path.cwd(), name=name)

    # ------------------------------------------------------------------ running
    def fit(
        self,
        inputs: Any = None,
        job_name: str | None = None,
        include_cls_metadata: bool = False,
        estimator_kwargs: dict[str, Any] | None = None,
        wait: bool = True,
        progress: str = "auto",
        on_interrupt: str = "stop",
        **kwargs: Any,
    ) -> None:
        """Create the tuning job and run it.

        ``inputs``: a dict of channel name -> local folder or file (``file://`` URIs too), or
        one path for the "training" channel. ``progress``: "auto", "text" or "off".
        ``on_interrupt`` (with ``wait=True``): what Ctrl-C (a notebook's interrupt) does:
        "stop" the running training jobs (the default), "leave" them running for a later
        ``attach(name).wait()`` or ``tunesmith resume``, or "ask" on stdin.
        """
        spec = self.validate(inputs, job_name)
        record = self.service.create(spec)
        self._current_job_name = record.name
        self.latest_tuning_job = _TuningJob(self, record.name)
        self._process = None
        if wait:
            self._run_here(record.name, progress, on_interrupt)
            self._check_final(self.service.get(record.name))
        else:
            self._process = start_background(self.service, record.name)

    def _run_here(self, name: str, progress: str, on_interrupt: str = "stop") -> None:
        display = ProgressDisplay(progress)
        controllers: list[Any] = []
        try:
            with stop_on_interrupt(controllers, on_interrupt) as interrupted:
                self.service.run(name, on_progress=display.update, on_controller=controllers.append)
        finally:
            display.close()
        if "leave" in interrupted:
            raise KeyboardInterrupt(
                f"Tuning job {name}: training jobs left running; continue with "
                f"HyperparameterTuner.attach({name!r}).wait() or `tunesmith resume {name}`"
            )
        if interrupted:
            raise KeyboardInterrupt(f"Tuning job {name} stopped by Ctrl-C")

    def wait(self, progress: str = "auto", on_interrupt: str = "stop") -> None:
        """Block until the tuning job ends; raise UnexpectedStatusException if it Failed.

        When no controller runs the tuning job (it was killed, or its jobs were left running),
        this one takes it over: still-running training jobs are adopted. ``on_interrupt`` is
        then as for :meth:`fit`.
        """
        name = self._ensure_last_tuning_job()
        display = ProgressDisplay(progress)
        try:
            while True:
                record = self.service.get(name)
                display.update(self._snapshot(record))
                if record.status.is_terminal:
                    break
                if self._process is not None and self._process.poll() is not None:
                    raise_if_not_running(self.service, name)
                    continue
                if self._process is None and not controller_running(record):
                    # Its controller is gone (killed, machine restarted): resume it here.
                    display.close()
                    self._run_here(name, progress, on_interrupt)
                    record = self.service.get(name)
                    break
                time.sleep(POLL_SECONDS)
        finally:
            display.close()
        self._check_final(record)

    def _snapshot(self, record: TuningJobRecord) -> Progress:
        config = record.spec.get("HyperParameterTuningJobConfig", {})
        max_jobs = config.get("ResourceLimits", {}).get("MaxNumberOfTrainingJobs")
        if max_jobs is None:  # Grid: the whole grid
            categorical = (config.get("ParameterRanges") or {}).get("CategoricalParameterRanges")
            max_jobs = math.prod(len(c["Values"]) for c in categorical or [])
        return Progress.from_records(
            record.name,
            record.status,
            self.service.training_jobs(record.name),
            max_jobs,
            record.objective_metric,
            record.objective_type == ObjectiveType.MAXIMIZE,
        )

    @staticmethod
    def _check_final(record: TuningJobRecord) -> None:
        if record.status == TuningJobStatus.FAILED:
            reason = record.failure_reason or "(No reason provided)"
            raise UnexpectedStatusException(
                f"Error for HyperParameterTuning job {record.name}: Failed. Reason: {reason}",
                allowed_statuses=["Completed", "Stopped"],
                actual_status="Failed",
            )
        if record.status == TuningJobStatus.STOPPED:
            logger.warning(
                "Tuning job %s ended with status 'Stopped' rather than 'Completed'. This could "
                "mean the job timed out or was stopped early: check whether it completed as you "
                "expect.",
                record.name,
            )

    # ------------------------------------------------------------------ results
    def _ensure_last_tuning_job(self) -> str:
        if self.latest_tuning_job is None:
            raise ValueError("No tuning job available")
        return self.latest_tuning_job.name

    def describe(self) -> dict[str, Any]:
        """DescribeHyperParameterTuningJob's response for the latest tuning job."""
        return self.service.describe(self._ensure_last_tuning_job())

    def stop_tuning_job(self) -> None:
        """Stop the latest tuning job: running training jobs get SIGTERM, then SIGKILL."""
        self.service.stop(self._ensure_last_tuning_job())

    def best_training_job(self) -> str:
        """The name of the best training job so far."""
        name = self._ensure_last_tuning_job()
        best = self.service.describe(name).get("BestTrainingJob")
        if not best:
            raise TunesmithError(f"Best training job not available for tuning job: {name}")
        return str(best["TrainingJobName"])

    def best_estimator(self, best_training_job: str | dict[str, Any] | None = None) -> Estimator:
        """A copy of the estimator with the best job's hyperparameters and ``model_data`` (its
        model folder)."""
        if isinstance(best_training_job, dict):
            best_training_job = best_training_job["TrainingJobName"]
        job = best_training_job or self.best_training_job()
        record = self.service.training_job(self._ensure_last_tuning_job(), job)
        estimator = self.estimator.copy()
        estimator._hyperparameters = {
            k: v
            for k, v in record.hyperparameters.items()
            if not k.startswith(("sagemaker_", "_tuning_objective_metric"))
        }
        estimator.model_data = record.model_artifact_path
        estimator.latest_training_job_name = record.name
        return estimator

    def analytics(self) -> HyperparameterTuningJobAnalytics:
        return HyperparameterTuningJobAnalytics(
            self._ensure_last_tuning_job(), service=self.service
        )

    # ------------------------------------------------------------------ attach / warm start
    @classmethod
    def attach(
        cls,
        tuning_job_name: str,
        sagemaker_session: Any = None,
        job_details: dict[str, Any] | None = None,
        estimator_cls: type[Estimator] | None = None,
    ) -> HyperparameterTuner:
        """A tuner for an existing tuning job, rebuilt from its stored request."""
        service = TuningService()
        details = job_details or service.describe(tuning_job_name)
        definition = details.get("TrainingJobDefinition")
        if definition is None:
            raise TunesmithError("Attaching to a multi-algorithm tuning job is not supported yet")
        config = details["HyperParameterTuningJobConfig"]
        objective = config.get("HyperParameterTuningJobObjective", {})
        limits = config.get("ResourceLimits", {})
        tuner = cls(
            estimator=(estimator_cls or Estimator).from_definition(definition),
            objective_metric_name=objective.get("MetricName", ""),
            hyperparameter_ranges=ranges_from_request(config.get("ParameterRanges")),
            metric_definitions=definition.get("AlgorithmSpecification", {}).get(
                "MetricDefinitions"
            ),
            strategy=config.get("Strategy", "Bayesian"),
            objective_type=objective.get("Type", "Maximize"),
            max_jobs=limits.get("MaxNumberOfTrainingJobs"),
            max_parallel_jobs=limits.get("MaxParallelTrainingJobs", 1),
            max_runtime_in_seconds=limits.get("MaxRuntimeInSeconds"),
            tags=details.get("Tags"),
            warm_start_config=WarmStartConfig.from_job_desc(details.get("WarmStartConfig")),
            strategy_config=StrategyConfig.from_job_desc(config.get("StrategyConfig")),
            completion_criteria_config=TuningJobCompletionCriteriaConfig.from_job_desc(
                config.get("TuningJobCompletionCriteria")
            ),
            early_stopping_type=config.get("TrainingJobEarlyStoppingType", "Off"),
            random_seed=config.get("RandomSeed"),
        )
        tuner._service = service
        tuner._current_job_name = details.get("HyperParameterTuningJobName", tuning_job_name)
        tuner.latest_tuning_job = _TuningJob(tuner, tuner._current_job_name)
        return tuner

    def transfer_learning_tuner(
        self, additional_parents: set[str] | None = None, estimator: Estimator | None = None
    ) -> HyperparameterTuner:
        """A copy warm-started from the latest tuning job (and ``additional_parents``) with
        TransferLearning: ranges, data or code may change."""
        return self._warm_start_tuner(
            additional_parents, WarmStartTypes.TRANSFER_LEARNING, estimator
        )

    def identical_dataset_and_algorithm_tuner(
        self, additional_parents: set[str] | None = None
    ) -> HyperparameterTuner:
        """A copy warm-started with IdenticalDataAndAlgorithm: same data, same code."""
        return self._warm_start_tuner(
            additional_parents, WarmStartTypes.IDENTICAL_DATA_AND_ALGORITHM, None
        )

    def _warm_start_tuner(
        self,
        additional_parents: set[str] | None,
        warm_start_type: WarmStartTypes,
        estimator: Estimator | None,
    ) -> HyperparameterTuner:
        parents = {self._ensure_last_tuning_job(), *(additional_parents or ())}
        tuner = HyperparameterTuner(
            estimator=estimator or self.estimator,
            objective_metric_name=self.objective_metric_name,
            hyperparameter_ranges=self._hyperparameter_ranges,
            metric_definitions=self.metric_definitions,
            strategy=self.strategy,
            objective_type=self.objective_type,
            max_jobs=self.max_jobs,
            max_parallel_jobs=self.max_parallel_jobs,
            max_runtime_in_seconds=self.max_runtime_in_seconds,
            tags=self.tags,
            base_tuning_job_name=self.base_tuning_job_name,
            warm_start_config=WarmStartConfig(warm_start_type, parents),
            strategy_config=self.strategy_config,
            completion_criteria_config=self.completion_criteria_config,
            early_stopping_type=self.early_stopping_type,
            random_seed=self.random_seed,
        )
        tuner._service = self._service
        return tuner


def create_transfer_learning_tuner(
    parent: str,
    additional_parents: set[str] | None = None,
    estimator: Estimator | None = None,
    sagemaker_session: Any = None,
) -> HyperparameterTuner:
    return HyperparameterTuner.attach(parent).transfer_learning_tuner(
        additional_parents=additional_parents, estimator=estimator
    )


def create_identical_dataset_and_algorithm_tuner(
    parent: str, additional_parents: set[str] | None = None, sagemaker_session: Any = None
) -> HyperparameterTuner:
    return HyperparameterTuner.attach(parent).identical_dataset_and_algorithm_tuner(
        additional_parents=additional_parents
    )


# ---------------------------------------------------------------------- helpers
def _channels(inputs: Any) -> dict[str, Any] | None:
    """Input channels in the friendly form: channel name -> path (or channel options)."""
    if inputs is None:
        return None
    if isinstance(inputs, str | os.PathLike):
        inputs = {"training": inputs}
    if not isinstance(inputs, dict):
        raise TypeError(
            f"inputs must be a path or a dict of channel name -> path, not {type(inputs).__name__}"
        )
    channels: dict[str, Any] = {}
    for channel, value in inputs.items():
        if isinstance(value, str | os.PathLike):
            channels[channel] = os.fspath(value)
        elif isinstance(value, dict):
            channels[channel] = dict(value)
        elif isinstance(getattr(value, "config", None), dict):  # the SDK's TrainingInput
            source = value.config.get("DataSource", {}).get("S3DataSource", {})
            channels[channel] = {"path": source.get("S3Uri", "")}
            if value.config.get("ContentType"):
                channels[channel]["content_type"] = value.config["ContentType"]
        else:
            raise TypeError(f"inputs['{channel}'] must be a path, not {type(value).__name__}")
    return channels
