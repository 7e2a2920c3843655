"""The tuner's helper configs, with the SageMaker Python SDK's constructors and
``to_input_req()`` / ``from_job_desc()`` shapes, and the exception ``wait()`` raises."""

from __future__ import annotations

from enum import Enum
from typing import Any

from tunesmith.errors import TunesmithError


class UnexpectedStatusException(ValueError, TunesmithError):
    """The tuning job ended Failed (raised by ``wait()`` and ``fit()``)."""

    def __init__(self, message: str, allowed_statuses: list[str], actual_status: str) -> None:
        self.allowed_statuses = allowed_statuses
        self.actual_status = actual_status
        super().__init__(message)


class WarmStartTypes(Enum):
    IDENTICAL_DATA_AND_ALGORITHM = "IdenticalDataAndAlgorithm"
    TRANSFER_LEARNING = "TransferLearning"


class WarmStartConfig:
    """Parent tuning jobs (up to five) whose results a new tuning job starts from."""

    def __init__(self, warm_start_type: WarmStartTypes | str, parents: Any) -> None:
        try:
            warm_start_type = WarmStartTypes(
                warm_start_type.value if isinstance(warm_start_type, Enum) else warm_start_type
            )
        except ValueError:
            valid = [t.value for t in WarmStartTypes]
            raise ValueError(
                f"Invalid type: {warm_start_type}, valid warm start types are: {valid}"
            ) from None
        if not parents:
            raise ValueError(f"Invalid parents: {parents}. parents should not be None/empty")
        self.type = warm_start_type
        self.parents = {parents} if isinstance(parents, str) else set(parents)

    @classmethod
    def from_job_desc(cls, warm_start_config: dict[str, Any] | None) -> WarmStartConfig | None:
        if not warm_start_config or "WarmStartType" not in warm_start_config:
            return None
        parents = [
            p["HyperParameterTuningJobName"]
            for p in warm_start_config.get("ParentHyperParameterTuningJobs", [])
        ]
        return cls(WarmStartTypes(warm_start_config["WarmStartType"]), parents)

    def to_input_req(self) -> dict[str, Any]:
        return {
            "WarmStartType": self.type.value,
            "ParentHyperParameterTuningJobs": [
                {"HyperParameterTuningJobName": str(p)} for p in sorted(self.parents)
            ],
        }


class HyperbandStrategyConfig:
    def __init__(self, max_resource: int | None = None, min_resource: int | None = None) -> None:
        self.max_resource = max_resource
        self.min_resource = min_resource

    @classmethod
    def from_job_desc(cls, config: dict[str, Any]) -> HyperbandStrategyConfig:
        return cls(max_resource=config.get("MaxResource"), min_resource=config.get("MinResource"))

    def to_input_req(self) -> dict[str, Any]:
        return {"MinResource": self.min_resource, "MaxResource": self.max_resource}


class StrategyConfig:
    def __init__(self, hyperband_strategy_config: HyperbandStrategyConfig) -> None:
        self.hyperband_strategy_config = hyperband_strategy_config

    @classmethod
    def from_job_desc(cls, config: dict[str, Any] | None) -> StrategyConfig | None:
        if not config or "HyperbandStrategyConfig" not in config:
            return None
        return cls(HyperbandStrategyConfig.from_job_desc(config["HyperbandStrategyConfig"]))

    def to_input_req(self) -> dict[str, Any]:
        return {"HyperbandStrategyConfig": self.hyperband_strategy_config.to_input_req()}


class TuningJobCompletionCriteriaConfig:
    def __init__(
        self,
        max_number_of_training_jobs_not_improving: int | None = None,
        complete_on_convergence: bool | None = None,
        target_objective_metric_value: float | None = None,
    ) -> None:
        self.max_number_of_training_jobs_not_improving = max_number_of_training_jobs_not_improving
        self.complete_on_convergence = complete_on_convergence
        self.target_objective_metric_value = target_objective_metric_value

    @classmethod
    def from_job_desc(
        cls, config: dict[str, Any] | None
    ) -> TuningJobCompletionCriteriaConfig | None:
        if not config:
            return None
        convergence = (config.get("ConvergenceDetected") or {}).get("CompleteOnConvergence")
        return cls(
            max_number_of_training_jobs_not_improving=(
                config.get("BestObjectiveNotImproving") or {}
            ).get("MaxNumberOfTrainingJobsNotImproving"),
            complete_on_convergence=None if convergence is None else convergence == "Enabled",
            target_objective_metric_value=config.get("TargetObjectiveMetricValue"),
        )

    def to_input_req(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.max_number_of_training_jobs_not_improving is not None:
            limit = self.max_number_of_training_jobs_not_improving
            out["BestObjectiveNotImproving"] = {"MaxNumberOfTrainingJobsNotImproving": limit}
        if self.target_objective_metric_value is not None:
            out["TargetObjectiveMetricValue"] = self.target_objective_metric_value
        if self.complete_on_convergence is not None:
            enabled = "Enabled" if self.complete_on_convergence else "Disabled"
            out["ConvergenceDetected"] = {"CompleteOnConvergence": enabled}
        return out
