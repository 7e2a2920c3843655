"""``HyperparameterTuningJobAnalytics``: a tuning job's results as pandas DataFrames.

``dataframe()`` has the SageMaker Python SDK's columns (one row per training job);
``metrics_dataframe()`` is every metric value each training job printed, as a time series.
pandas is imported only when a DataFrame is asked for.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tunesmith.errors import OptionalDependencyError
from tunesmith.orchestrator.service import TuningService

if TYPE_CHECKING:
    import pandas as pd

SUMMARY_COLUMNS = (
    "TrainingJobName",
    "TrainingJobStatus",
    "FinalObjectiveValue",
    "TrainingStartTime",
    "TrainingEndTime",
    "TrainingElapsedTimeSeconds",
)
METRIC_COLUMNS = ("timestamp", "TrainingJobName", "metric_name", "value", "ordinal", "attempt")


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:
        raise OptionalDependencyError("pandas", "analytics", "Tuning job analytics") from exc
    return pandas


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class HyperparameterTuningJobAnalytics:
    """Results of the tuning job ``hyperparameter_tuning_job_name``.

    Descriptions and summaries are cached; pass ``force_refresh=True`` (or call
    :meth:`clear_cache`) to read the store again while the tuning job runs.
    """

    def __init__(
        self,
        hyperparameter_tuning_job_name: str,
        sagemaker_session: Any = None,
        service: TuningService | None = None,
    ) -> None:
        # sagemaker_session is accepted for source compatibility and not used.
        self.name = hyperparameter_tuning_job_name
        self._service = service
        self._own_service = service is None
        self.clear_cache()

    @property
    def service(self) -> TuningService:
        if self._service is None:
            self._service = TuningService()
        return self._service

    def close(self) -> None:
        if self._own_service and self._service is not None:
            self._service.close()
            self._service = None

    def clear_cache(self) -> None:
        self._description: dict[str, Any] | None = None
        self._summaries: list[dict[str, Any]] | None = None
        self._dataframe: pd.DataFrame | None = None

    def __repr__(self) -> str:
        return f"<HyperparameterTuningJobAnalytics for {self.name}>"

    # ------------------------------------------------------------------ raw responses
    def description(self, force_refresh: bool = False) -> dict[str, Any]:
        """DescribeHyperParameterTuningJob's response."""
        if force_refresh or self._description is None:
            self._description = self.service.describe(self.name)
        return self._description

    def training_job_summaries(self, force_refresh: bool = False) -> list[dict[str, Any]]:
        """Every HyperParameterTrainingJobSummary, in launch order."""
        if force_refresh or self._summaries is None:
            order = {r.name: r.ordinal for r in self.service.training_jobs(self.name)}
            summaries = self.service.leaderboard(self.name)
            summaries.sort(key=lambda s: order.get(s["TrainingJobName"], 0))
            self._summaries = summaries
        return self._summaries

    @property
    def tuning_ranges(self) -> dict[str, dict[str, Any]]:
        """Each tuned hyperparameter's range entry, by name."""
        config = self.description().get("HyperParameterTuningJobConfig", {})
        out: dict[str, dict[str, Any]] = {}
        for ranges in (config.get("ParameterRanges") or {}).values():
            for entry in ranges:
                out[entry["Name"]] = entry
        return out

    # ------------------------------------------------------------------ DataFrames
    def dataframe(self, force_refresh: bool = False) -> pd.DataFrame:
        """One row per training job: the tuned hyperparameters (floats where they parse),
        TrainingJobName, TrainingJobStatus, FinalObjectiveValue, TrainingStartTime,
        TrainingEndTime, TrainingElapsedTimeSeconds."""
        pandas = _pandas()
        if force_refresh or self._dataframe is None:
            rows = [_row(s) for s in self.training_job_summaries(force_refresh)]
            columns = [*self.tuning_ranges, *SUMMARY_COLUMNS]
            frame = pandas.DataFrame(rows, columns=columns)
            for column in ("TrainingStartTime", "TrainingEndTime"):
                frame[column] = pandas.to_datetime(frame[column], utc=True)
            frame["FinalObjectiveValue"] = frame["FinalObjectiveValue"].astype(float)
            frame["TrainingElapsedTimeSeconds"] = frame["TrainingElapsedTimeSeconds"].astype(float)
            self._dataframe = frame
        return self._dataframe

    def metrics_dataframe(
        self, training_job_name: str | None = None, metric_name: str | None = None
    ) -> pd.DataFrame:
        """Every metric value the training jobs printed, in the order they printed them.

        Columns: timestamp (UTC), TrainingJobName, metric_name, value (NaN for a non-finite
        capture), ordinal (the n-th finite value of that metric in the job: the epoch that early
        stopping counts), attempt (1 unless the job was retried). Pass ``training_job_name``
        for one training job, ``metric_name`` for one metric.
        """
        pandas = _pandas()
        store = self.service.store
        if training_job_name is not None:
            job = self.service.training_job(self.name, training_job_name)
            events = store.list_metric_events(job.name, metric_name=metric_name)
        else:
            store.get_tuning_job(self.name)
            events = store.list_tuning_job_metric_events(self.name, metric_name=metric_name)
        rows = [
            (
                datetime.fromtimestamp(e.timestamp, UTC),
                e.training_job_name,
                e.metric_name,
                float("nan") if e.value is None else e.value,
                e.ordinal,
                e.attempt,
            )
            for e in events
        ]
        frame = pandas.DataFrame(rows, columns=list(METRIC_COLUMNS))
        frame["timestamp"] = pandas.to_datetime(frame["timestamp"], utc=True)
        frame["value"] = frame["value"].astype(float)
        frame["ordinal"] = frame["ordinal"].astype("Int64")
        return frame

    def export_csv(self, filename: str) -> None:
        """Write :meth:`dataframe` to a CSV file."""
        self.dataframe().to_csv(filename)


def _row(summary: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in summary.get("TunedHyperParameters", {}).items():
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            out[key] = value
    start = _time(summary.get("TrainingStartTime"))
    end = _time(summary.get("TrainingEndTime"))
    out.update(
        {
            "TrainingJobName": summary["TrainingJobName"],
            "TrainingJobStatus": summary["TrainingJobStatus"],
            "FinalObjectiveValue": summary.get(
                "FinalHyperParameterTuningJobObjectiveMetric", {}
            ).get("Value"),
            "TrainingStartTime": start,
            "TrainingEndTime": end,
            "TrainingElapsedTimeSeconds": (end - start).total_seconds() if start and end else None,
        }
    )
    return out
