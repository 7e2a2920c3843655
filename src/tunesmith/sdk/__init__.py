"""A SageMaker-Python-SDK-style API: code written for ``sagemaker.tuner`` runs locally after
changing the import.

    from tunesmith.sdk import (
        CategoricalParameter, ContinuousParameter, Estimator, HyperparameterTuner,
    )

    estimator = Estimator(entry_point="train.py", source_dir=".", hyperparameters={"epochs": 10})
    tuner = HyperparameterTuner(
        estimator,
        objective_metric_name="validation:accuracy",
        hyperparameter_ranges={"alpha": ContinuousParameter(1e-6, 1e-1, "Logarithmic")},
        metric_definitions=[{"Name": "validation:accuracy", "Regex": "accuracy=([0-9.]+)"}],
        strategy="Random", max_jobs=12, max_parallel_jobs=2,
    )
    tuner.fit({"train": "data/train"})
    tuner.analytics().dataframe()

See docs/sdk.md.
"""

from tunesmith.sdk.analytics import HyperparameterTuningJobAnalytics
from tunesmith.sdk.estimator import Estimator
from tunesmith.sdk.parameter import (
    CategoricalParameter,
    ContinuousParameter,
    IntegerParameter,
    ParameterRange,
)
from tunesmith.sdk.tuner import (
    HyperbandStrategyConfig,
    HyperparameterTuner,
    StrategyConfig,
    TuningJobCompletionCriteriaConfig,
    UnexpectedStatusException,
    WarmStartConfig,
    WarmStartTypes,
    create_identical_dataset_and_algorithm_tuner,
    create_transfer_learning_tuner,
)

__all__ = [
    "CategoricalParameter",
    "ContinuousParameter",
    "Estimator",
    "HyperbandStrategyConfig",
    "HyperparameterTuner",
    "HyperparameterTuningJobAnalytics",
    "IntegerParameter",
    "ParameterRange",
    "StrategyConfig",
    "TuningJobCompletionCriteriaConfig",
    "UnexpectedStatusException",
    "WarmStartConfig",
    "WarmStartTypes",
    "create_identical_dataset_and_algorithm_tuner",
    "create_transfer_learning_tuner",
]
