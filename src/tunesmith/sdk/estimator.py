"""``Estimator``: what one training job runs, with the SageMaker Python SDK's argument names.

Two forms, as in SageMaker:

- script mode: ``Estimator(entry_point="train.py", source_dir="src")`` runs the script with
  this Python, hyperparameters as sorted ``--name value`` arguments;
- bring your own command: ``Estimator(container_entry_point=["bash", "run.sh"],
  container_arguments=[...])`` runs the command in the job folder.

An Estimator only describes the training job; a :class:`~tunesmith.sdk.HyperparameterTuner`
runs it. Arguments that only mean something on the cloud service (``sagemaker_session``,
``subnets``, ``volume_kms_key``, ...) are accepted and ignored with a warning.
"""

from __future__ import annotations

import copy
import difflib
import warnings
from pathlib import Path
from typing import Any

from tunesmith.errors import TunesmithError

#: SageMaker Estimator / Framework arguments with no local meaning: accepted, ignored, warned.
IGNORED_SAGEMAKER_ARGUMENTS = frozenset(
    {
        "sagemaker_session",
        "base_job_name",
        "volume_kms_key",
        "output_kms_key",
        "subnets",
        "security_group_ids",
        "model_uri",
        "model_channel_name",
        "tags",
        "enable_network_isolation",
        "encrypt_inter_container_traffic",
        "rules",
        "debugger_hook_config",
        "tensorboard_output_config",
        "enable_sagemaker_metrics",
        "profiler_config",
        "disable_profiler",
        "dependencies",
        "instance_groups",
        "training_repository_access_mode",
        "training_repository_credentials_provider_arn",
        "keep_alive_period_in_seconds",
        "git_config",
        "code_location",
        "container_log_level",
        "disable_output_compression",
        "enable_infra_check",
        "enable_remote_debug",
        "enable_session_tag_chaining",
        "training_plan",
        "instance_placement_config",
        "distribution",
        "framework_version",
        "py_version",
        "image_uri_region",
        "algorithm_arn",
        "model_package_name",
        "environment_variables",
        "max_pending_time",
        "source_code",
        "remove_default_debugger",
    }
)

#: Keyword arguments with a local meaning beyond the explicit parameters.
_EXTRA_LOCAL = ("volume_size", "checkpoint_s3_uri")

#: Static hyperparameters the SDK adds itself; not shown by ``hyperparameters()``.
_RESERVED_PREFIXES = ("sagemaker_", "_tuning_objective_metric")


class Estimator:
    """One training job's definition (script or command, hyperparameters, metrics, limits)."""

    def __init__(
        self,
        entry_point: str | None = None,
        source_dir: str | None = None,
        hyperparameters: dict[str, Any] | None = None,
        metric_definitions: list[dict[str, str]] | None = None,
        instance_count: int = 1,
        instance_type: str = "local",
        max_run: int = 86400,
        environment: dict[str, str] | None = None,
        checkpoint_local_path: str | None = None,
        image_uri: str | None = None,
        container_entry_point: list[str] | None = None,
        container_arguments: list[str] | None = None,
        max_retry_attempts: int | None = None,
        output_path: str | None = None,
        role: str | None = None,
        use_spot_instances: bool = False,
        max_wait: int | None = None,
        input_mode: str = "File",
        **kwargs: Any,
    ) -> None:
        if entry_point is None and not container_entry_point:
            raise TunesmithError(
                "An Estimator needs entry_point='train.py' (script mode) or "
                "container_entry_point=['cmd', ...] (bring your own command)"
            )
        self.entry_point = entry_point
        self.source_dir = source_dir
        self._hyperparameters: dict[str, Any] = dict(hyperparameters or {})
        self.metric_definitions = metric_definitions
        self.instance_count = instance_count
        self.instance_type = instance_type
        self.max_run = max_run
        self.environment = dict(environment or {})
        self.checkpoint_local_path = checkpoint_local_path
        self.image_uri = image_uri
        self.container_entry_point = list(container_entry_point or []) or None
        self.container_arguments = list(container_arguments or []) or None
        self.max_retry_attempts = max_retry_attempts
        self.output_path = output_path
        self.role = role
        self.use_spot_instances = use_spot_instances
        self.max_wait = max_wait
        self.input_mode = input_mode
        self.volume_size: int | None = kwargs.pop("volume_size", None)
        self.checkpoint_s3_uri: str | None = kwargs.pop("checkpoint_s3_uri", None)
        #: The model artifact (a local folder) of the training job this estimator came from.
        self.model_data: str | None = None
        #: The training job this estimator came from (set by ``best_estimator()``).
        self.latest_training_job_name: str | None = None
        _check_extra_arguments(kwargs)

    # ------------------------------------------------------------------ SDK surface
    def hyperparameters(self) -> dict[str, Any]:
        """The static hyperparameters, as given (the tuner sends them as strings)."""
        return dict(self._hyperparameters)

    def set_hyperparameters(self, **kwargs: Any) -> None:
        self._hyperparameters.update(kwargs)

    def training_image_uri(self) -> str | None:
        return self.image_uri

    def fit(self, *args: Any, **kwargs: Any) -> None:
        raise TunesmithError(
            "Estimator.fit (one training job on its own) is not available; tune it with "
            "HyperparameterTuner(estimator, ...).fit(), e.g. with max_jobs=1"
        )

    def copy(self) -> Estimator:
        return copy.deepcopy(self)

    # ------------------------------------------------------------------ compiling
    def script_location(self) -> tuple[str | None, str | None]:
        """(entry_point, source_dir) as the request sends them.

        As in SageMaker, without ``source_dir`` the entry point is a path to the script, whose
        folder becomes the source directory.
        """
        if self.entry_point is None:
            return None, self.source_dir
        if self.source_dir is not None:
            return self.entry_point, self.source_dir
        path = Path(self.entry_point)
        if path.parent == Path("."):
            return self.entry_point, None
        return path.name, str(path.parent)

    def as_friendly(self) -> dict[str, Any]:
        """The ``estimator`` section of the friendly spec."""
        entry_point, source_dir = self.script_location()
        values: dict[str, Any] = {
            "entry_point": entry_point,
            "source_dir": source_dir,
            "metric_definitions": self.metric_definitions,
            "container_entry_point": self.container_entry_point,
            "container_arguments": self.container_arguments,
            "image_uri": self.image_uri,
            "role": self.role,
            "instance_type": self.instance_type,
            "instance_count": self.instance_count,
            "volume_size": self.volume_size,
            "max_run": self.max_run,
            "max_wait": self.max_wait,
            # SageMaker sends EnableManagedSpotTraining only when it is on.
            "use_spot_instances": True if self.use_spot_instances else None,
            "checkpoint_local_path": self.checkpoint_local_path,
            "checkpoint_s3_uri": self.checkpoint_s3_uri,
            "output_path": self.output_path,
            "max_retry_attempts": self.max_retry_attempts,
            "input_mode": self.input_mode,
        }
        out = {k: v for k, v in values.items() if v is not None}
        out["environment"] = dict(self.environment)
        return out

    @classmethod
    def from_definition(cls, definition: dict[str, Any]) -> Estimator:
        """An Estimator from a stored ``TrainingJobDefinition`` (what ``attach`` uses)."""
        algorithm = definition.get("AlgorithmSpecification", {})
        static = dict(definition.get("StaticHyperParameters", {}))
        entry_point = static.pop("sagemaker_program", None)
        source_dir = static.pop("sagemaker_submit_directory", None)
        hyperparameters = {k: v for k, v in static.items() if not k.startswith(_RESERVED_PREFIXES)}
        resources = (
            definition.get("ResourceConfig")
            or definition.get("HyperParameterTuningResourceConfig")
            or {}
        )
        stopping = definition.get("StoppingCondition", {})
        checkpoint = definition.get("CheckpointConfig") or {}
        kwargs: dict[str, Any] = {}
        if resources.get("VolumeSizeInGB") is not None:
            kwargs["volume_size"] = resources["VolumeSizeInGB"]
        if checkpoint.get("S3Uri") and checkpoint["S3Uri"] != "file://checkpoints":
            kwargs["checkpoint_s3_uri"] = checkpoint["S3Uri"]
        return cls(
            entry_point=entry_point,
            source_dir=source_dir if entry_point else None,
            hyperparameters=hyperparameters,
            metric_definitions=list(algorithm.get("MetricDefinitions") or []) or None,
            instance_count=resources.get("InstanceCount", 1),
            instance_type=resources.get("InstanceType", "local"),
            max_run=stopping.get("MaxRuntimeInSeconds", 86400),
            environment=definition.get("Environment") or {},
            checkpoint_local_path=checkpoint.get("LocalPath"),
            image_uri=algorithm.get("TrainingImage"),
            container_entry_point=algorithm.get("ContainerEntrypoint"),
            container_arguments=algorithm.get("ContainerArguments"),
            max_retry_attempts=(definition.get("RetryStrategy") or {}).get("MaximumRetryAttempts"),
            output_path=(definition.get("OutputDataConfig") or {}).get("S3OutputPath"),
            role=definition.get("RoleArn"),
            use_spot_instances=bool(definition.get("EnableManagedSpotTraining")),
            max_wait=stopping.get("MaxWaitTimeInSeconds"),
            input_mode=algorithm.get("TrainingInputMode", "File"),
            **kwargs,
        )

    def __repr__(self) -> str:
        what = (
            f"entry_point={self.entry_point!r}"
            if self.entry_point
            else f"container_entry_point={self.container_entry_point!r}"
        )
        return f"Estimator({what}, hyperparameters={self._hyperparameters!r})"


def _check_extra_arguments(kwargs: dict[str, Any]) -> None:
    unknown = sorted(k for k in kwargs if k not in IGNORED_SAGEMAKER_ARGUMENTS)
    if unknown:
        known = [*_PARAMETERS, *_EXTRA_LOCAL, *IGNORED_SAGEMAKER_ARGUMENTS]
        hints = []
        for name in unknown:
            guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hints.append(f"'{name}'" + (f" (did you mean '{guess[0]}'?)" if guess else ""))
        raise TypeError(f"Estimator got unexpected keyword arguments: {', '.join(hints)}")
    if kwargs:
        names = ", ".join(sorted(kwargs))
        warnings.warn(
            f"Estimator: ignoring {names}: no meaning when training jobs run locally",
            UserWarning,
            stacklevel=3,
        )


_PARAMETERS = (
    "entry_point",
    "source_dir",
    "hyperparameters",
    "metric_definitions",
    "instance_count",
    "instance_type",
    "max_run",
    "environment",
    "checkpoint_local_path",
    "image_uri",
    "container_entry_point",
    "container_arguments",
    "max_retry_attempts",
    "output_path",
    "role",
    "use_spot_instances",
    "max_wait",
    "input_mode",
)
