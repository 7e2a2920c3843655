"""Metric events: bulk insert, ordinals, and captures that are not finite numbers."""

from __future__ import annotations

import math

import pytest

from tunesmith.errors import ResourceNotFoundError, StoreError
from tunesmith.store import MetricEventRecord, Store, TrainingJobRecord


@pytest.fixture
def job(store: Store) -> str:
    store.create_tuning_job("tune", {}, "Random", "loss", "Minimize")
    record = TrainingJobRecord(
        name="tune-001-abcdef01",
        tuning_job_name="tune",
        ordinal=1,
        tuned_hyperparameters={},
        hyperparameters={},
    )
    store.create_training_job(record)
    return record.name


def _event(value: float | None, raw: str = "x", metric: str = "loss", **kw) -> MetricEventRecord:
    return MetricEventRecord(metric, value, raw, 1_700_000_000.5, **kw)


def test_round_trip_and_ordinals(store: Store, job: str) -> None:
    stored = store.add_metric_events(
        job,
        [
            _event(0.9, "0.9"),
            _event(80.0, "80", metric="acc"),
            _event(None, "nan"),
            _event(math.inf, "inf"),
            _event(math.nan, "nan"),
            _event(0.5, "0.5"),
        ],
    )
    assert [e.ordinal for e in stored] == [1, 1, None, None, None, 2]
    events = store.list_metric_events(job)
    assert [e.value for e in events] == [0.9, 80.0, None, None, None, 0.5]
    assert [e.raw for e in events] == ["0.9", "80", "nan", "inf", "nan", "0.5"]
    assert [e.ordinal for e in events] == [1, 1, None, None, None, 2]
    assert all(e.training_job_name == job and e.id is not None for e in events)
    assert events[0].timestamp == 1_700_000_000.5 and events[0].attempt == 1
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert [e.value for e in store.list_metric_events(job, metric_name="acc")] == [80.0]


def test_ordinals_continue_across_calls_and_restart_per_attempt(store: Store, job: str) -> None:
    store.add_metric_events(job, [_event(1.0), _event(2.0)])
    store.add_metric_events(job, [_event(3.0)])
    store.add_metric_events(job, [_event(4.0, attempt=2), _event(None, attempt=2)])
    store.add_metric_events(job, [_event(5.0, ordinal=10)])  # a caller's ordinal is kept
    ordinals = [(e.attempt, e.ordinal) for e in store.list_metric_events(job)]
    assert ordinals == [(1, 1), (1, 2), (1, 3), (2, 1), (2, None), (1, 10)]
    assert [e.value for e in store.list_metric_events(job, attempt=2)] == [4.0, None]


def test_raw_text_is_truncated(store: Store, job: str) -> None:
    store.add_metric_events(job, [_event(None, "z" * 1000)])
    assert store.list_metric_events(job)[0].raw == "z" * 256


def test_latest_metric_values_skip_non_finite(store: Store, job: str) -> None:
    store.add_metric_events(
        job, [_event(0.9), _event(0.4), _event(None), _event(70.0, metric="acc")]
    )
    latest = store.latest_metric_values(job)
    assert {k: v.value for k, v in latest.items()} == {"loss": 0.4, "acc": 70.0}


def test_tuning_job_events_span_training_jobs(store: Store, job: str) -> None:
    other = TrainingJobRecord(
        name="tune-002-abcdef02",
        tuning_job_name="tune",
        ordinal=2,
        tuned_hyperparameters={},
        hyperparameters={},
    )
    store.create_training_job(other)
    store.add_metric_events(job, [_event(1.0)])
    store.add_metric_events(other.name, [_event(2.0), _event(3.0, metric="acc")])
    events = store.list_tuning_job_metric_events("TUNE", metric_name="loss")
    assert [(e.training_job_name, e.value) for e in events] == [(job, 1.0), (other.name, 2.0)]


def test_errors(store: Store, job: str) -> None:
    assert store.add_metric_events(job, []) == []
    with pytest.raises(ResourceNotFoundError):
        store.add_metric_events("missing", [_event(1.0)])
    with pytest.raises(StoreError):
        store.add_metric_events(job, [_event(1.0, training_job_name="someone-else")])
    assert store.list_metric_events(job) == []
