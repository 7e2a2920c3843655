"""Round trips of every record, errors, and the rules on statuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tunesmith.domain.enums import (
    FailureKind,
    ObjectiveStatus,
    ObjectiveType,
    SecondaryStatus,
    Strategy,
    TrainingJobStatus,
    TuningJobStatus,
)
from tunesmith.errors import ResourceInUseError, ResourceNotFoundError, StoreError
from tunesmith.store import Store, TrainingJobRecord

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
SPEC = {
    "HyperParameterTuningJobName": "xgb-tune",
    "HyperParameterTuningJobConfig": {
        "Strategy": "Bayesian",
        "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 10, "MaxParallelTrainingJobs": 2},
    },
}


def make_tuning(store: Store, name: str = "xgb-tune") -> None:
    store.create_tuning_job(name, SPEC, "Bayesian", "validation:auc", "Maximize", now=T0)


def make_training(store: Store, tuning: str = "xgb-tune", ordinal: int = 1, **kw) -> str:
    name = f"{tuning}-{ordinal:03d}-0123abcd"
    record = TrainingJobRecord(
        name=name,
        tuning_job_name=tuning,
        ordinal=ordinal,
        tuned_hyperparameters={"eta": "0.1"},
        hyperparameters={"eta": "0.1", "_tuning_objective_metric": "validation:auc"},
        creation_time=T0,
        last_modified_time=T0,
        **kw,
    )
    store.create_training_job(record)
    return name


def test_tuning_job_round_trip(store: Store) -> None:
    created = store.create_tuning_job(
        "Xgb-Tune", SPEC, Strategy.BAYESIAN, "validation:auc", ObjectiveType.MAXIMIZE, now=T0
    )
    got = store.get_tuning_job("xgb-tune")  # names are case-insensitive
    assert got == created
    assert got.name == "Xgb-Tune"
    assert got.arn.endswith(":hyper-parameter-tuning-job/xgb-tune")
    assert got.spec == SPEC
    assert got.strategy is Strategy.BAYESIAN
    assert got.objective_type is ObjectiveType.MAXIMIZE
    assert got.status is TuningJobStatus.IN_PROGRESS
    assert got.creation_time == T0 and got.creation_time.tzinfo is not None
    assert got.last_modified_time == T0
    assert got.stop_requested is False and got.next_ordinal == 1
    assert got.end_time is None and got.best_training_job_name is None


def test_tuning_job_update_round_trip(store: Store) -> None:
    make_tuning(store)
    make_training(store)
    later = T0 + timedelta(minutes=5)
    details = {"NumberOfTrainingJobsObjectiveNotImproving": 3}
    updated = store.update_tuning_job(
        "xgb-tune",
        now=later,
        status=TuningJobStatus.COMPLETED,
        end_time=later,
        best_training_job_name="xgb-tune-001-0123abcd",
        completion_details=details,
        failure_reason=None,
    )
    assert store.get_tuning_job("xgb-tune") == updated
    assert updated.status is TuningJobStatus.COMPLETED
    assert updated.completion_details == details
    assert updated.end_time == later and updated.last_modified_time == later


def test_times_are_stored_in_utc(store: Store) -> None:
    plus_two = timezone(timedelta(hours=2))
    store.create_tuning_job("a", SPEC, "Random", "m", "Minimize", now=T0.astimezone(plus_two))
    got = store.get_tuning_job("a")
    assert got.creation_time == T0
    assert got.creation_time.utcoffset() == timedelta(0)


def test_naive_datetime_is_rejected(store: Store) -> None:
    with pytest.raises(StoreError):
        store.create_tuning_job("a", SPEC, "Random", "m", "Minimize", now=datetime(2024, 1, 1))


def test_duplicate_name_is_resource_in_use_case_insensitively(store: Store) -> None:
    make_tuning(store, "xgb-tune")
    with pytest.raises(ResourceInUseError) as err:
        store.create_tuning_job("XGB-Tune", SPEC, "Bayesian", "m", "Maximize")
    assert str(err.value) == (
        "Resource Already Exists: Hyper Parameter Tuning Job with name XGB-Tune already exists. "
        "Choose a different name."
    )
    assert err.value.code == "ResourceInUse"
    assert len(store.list_tuning_jobs()) == 1


def test_not_found(store: Store) -> None:
    with pytest.raises(ResourceNotFoundError) as err:
        store.get_tuning_job("nope")
    assert str(err.value) == "Could not find hyper parameter tuning job 'nope'."
    with pytest.raises(ResourceNotFoundError):
        store.update_tuning_job("nope", status="Stopped")
    with pytest.raises(ResourceNotFoundError):
        store.list_training_jobs("nope")
    with pytest.raises(ResourceNotFoundError):
        store.allocate_training_job_ordinal("nope")
    with pytest.raises(ResourceNotFoundError):
        store.get_training_job("nope-001-00000000")
    with pytest.raises(ResourceNotFoundError):
        make_training(store, tuning="nope")


def test_illegal_tuning_transition_is_rejected(store: Store) -> None:
    make_tuning(store)
    store.update_tuning_job("xgb-tune", status="Completed")
    with pytest.raises(StoreError, match="cannot go from Completed to InProgress"):
        store.update_tuning_job("xgb-tune", status="InProgress")
    with pytest.raises(StoreError, match="not a valid TuningJobStatus"):
        store.update_tuning_job("xgb-tune", status="Done")
    assert store.get_tuning_job("xgb-tune").status is TuningJobStatus.COMPLETED


def test_unknown_field_is_rejected(store: Store) -> None:
    make_tuning(store)
    with pytest.raises(StoreError, match="Cannot update"):
        store.update_tuning_job("xgb-tune", next_ordinal=7)
    name = make_training(store)
    with pytest.raises(StoreError, match="Cannot update"):
        store.update_training_job(name, ordinal=3)


def test_request_stop(store: Store) -> None:
    make_tuning(store)
    stopped = store.request_stop("xgb-tune")
    assert stopped.stop_requested and stopped.status is TuningJobStatus.STOPPING
    store.update_tuning_job("xgb-tune", status="Stopped")
    assert store.request_stop("xgb-tune").status is TuningJobStatus.STOPPED


def test_list_tuning_jobs_filters_and_sorts(store: Store) -> None:
    for i, name in enumerate(["beta", "Alpha", "gamma-x"]):
        store.create_tuning_job(name, SPEC, "Random", "m", "Minimize", now=T0 + timedelta(i))
    store.update_tuning_job("gamma-x", status="Failed", failure_reason="boom")
    assert [j.name for j in store.list_tuning_jobs()] == ["gamma-x", "Alpha", "beta"]
    by_name = store.list_tuning_jobs(sort_by="Name", descending=False)
    assert [j.name for j in by_name] == ["Alpha", "beta", "gamma-x"]
    assert [j.name for j in store.list_tuning_jobs(status="Failed")] == ["gamma-x"]
    assert [j.name for j in store.list_tuning_jobs(name_contains="ALP")] == ["Alpha"]
    assert store.list_tuning_jobs(name_contains="%") == []
    with pytest.raises(StoreError):
        store.list_tuning_jobs(sort_by="Bogus")


def test_training_job_round_trip(store: Store) -> None:
    make_tuning(store)
    record = TrainingJobRecord(
        name="xgb-tune-001-0123abcd",
        tuning_job_name="XGB-TUNE",  # resolved to the stored spelling
        ordinal=1,
        tuned_hyperparameters={"eta": "0.1", "max_depth": "5"},
        hyperparameters={"eta": "0.1", "max_depth": "5", "num_round": "100"},
        status=TrainingJobStatus.IN_PROGRESS,
        secondary_status=SecondaryStatus.STARTING,
        creation_time=T0,
        last_modified_time=T0,
        start_time=T0,
        job_dir="/tmp/jobs/1",
        log_path="/tmp/jobs/1/log.txt",
        pid=1234,
    )
    created = store.create_training_job(record)
    assert created.tuning_job_name == "xgb-tune"
    assert store.get_training_job(record.name) == created
    assert created.tuned_hyperparameters == {"eta": "0.1", "max_depth": "5"}
    assert created.arn.endswith(":training-job/xgb-tune-001-0123abcd")

    end = T0 + timedelta(seconds=90.5)
    finished = store.update_training_job(
        record.name,
        now=end,
        status="Failed",
        secondary_status="Failed",
        end_time=end,
        failure_reason="x" * 2000,
        failure_kind=FailureKind.NON_RETRYABLE,
        objective_status="Failed",
        objective_note="the objective metric was never printed",
        stop_reason=None,
        billable_seconds=91,
        exit_code=1,
        pid=None,
        model_artifact_path="/tmp/jobs/1/model.tar.gz",
    )
    assert store.get_training_job(record.name) == finished
    assert finished.failure_reason == "x" * 1024
    assert finished.failure_kind is FailureKind.NON_RETRYABLE
    assert finished.objective_status is ObjectiveStatus.FAILED
    assert finished.last_modified_time == end and finished.exit_code == 1


def test_duplicate_training_job(store: Store) -> None:
    make_tuning(store)
    make_training(store)
    with pytest.raises(ResourceInUseError):
        make_training(store)


def test_training_status_transitions(store: Store) -> None:
    make_tuning(store)
    name = make_training(store)
    store.update_training_job(name, status="Failed")
    retried = store.update_training_job(name, status="InProgress", attempts=2)
    assert retried.status is TrainingJobStatus.IN_PROGRESS and retried.attempts == 2
    store.update_training_job(name, status="Completed")
    with pytest.raises(StoreError, match="cannot go from Completed to InProgress"):
        store.update_training_job(name, status="InProgress")
    with pytest.raises(StoreError):
        store.update_training_job(name, secondary_status="Sleeping")


def test_list_training_jobs_in_ordinal_order(store: Store) -> None:
    make_tuning(store)
    for ordinal in (3, 1, 2):
        make_training(store, ordinal=ordinal)
    store.update_training_job("xgb-tune-002-0123abcd", status="Completed")
    assert [j.ordinal for j in store.list_training_jobs("xgb-tune")] == [1, 2, 3]
    done = store.list_training_jobs("xgb-tune", status=TrainingJobStatus.COMPLETED)
    assert [j.ordinal for j in done] == [2]


def test_finish_training_job_defaults(store: Store) -> None:
    make_tuning(store)
    name = make_training(store, start_time=T0)
    store.update_training_job(name, secondary_status="Training", now=T0 + timedelta(seconds=1))
    end = T0 + timedelta(seconds=42.2)
    done = store.finish_training_job(name, "Completed", now=end, final_objective_value=0.93)
    assert done.status is TrainingJobStatus.COMPLETED
    assert done.secondary_status is SecondaryStatus.COMPLETED
    assert done.end_time == end and done.billable_seconds == 43
    assert done.objective_status is ObjectiveStatus.SUCCEEDED
    assert done.final_objective_value == 0.93

    other = make_training(store, ordinal=2)
    stopped = store.finish_training_job(
        other, TrainingJobStatus.STOPPED, stop_reason="early stopping", now=end
    )
    assert stopped.secondary_status is SecondaryStatus.STOPPED
    assert stopped.objective_status is ObjectiveStatus.FAILED
    assert stopped.billable_seconds is None and stopped.stop_reason == "early stopping"
    with pytest.raises(StoreError, match="final status"):
        store.finish_training_job(other, "Stopping")


def test_status_transitions_round_trip(store: Store) -> None:
    make_tuning(store)
    name = make_training(store)  # opens "Starting" at creation time
    t1, t2, t3 = (T0 + timedelta(seconds=s) for s in (2, 5, 9))
    added = store.add_status_transition(name, "Downloading", now=t1)
    assert added.status is SecondaryStatus.DOWNLOADING and added.end_time is None
    store.add_status_transition(name, SecondaryStatus.TRAINING, "Training started", now=t2)
    store.finish_training_job(name, "Completed", now=t3, final_objective_value=1.0)
    transitions = store.list_status_transitions(name)
    assert [t.status for t in transitions] == ["Starting", "Downloading", "Training", "Completed"]
    assert [(t.start_time, t.end_time) for t in transitions] == [
        (T0, t1),
        (t1, t2),
        (t2, t3),
        (t3, t3),
    ]
    assert transitions[2].message == "Training started"
    assert all(t.message for t in transitions)
    assert store.get_training_job(name).secondary_status is SecondaryStatus.COMPLETED


def test_finish_records_the_statuses_a_job_passed_through(store: Store) -> None:
    """A job that started and ended between two writes: one finish records both."""
    make_tuning(store)
    name = make_training(store)  # opens "Starting" at creation time
    started, ended = T0 + timedelta(seconds=1), T0 + timedelta(seconds=3)
    done = store.finish_training_job(
        name,
        "Completed",
        now=ended,
        start_time=started,
        pid=4242,
        final_objective_value=0.5,
        passed=[(SecondaryStatus.TRAINING, started)],
    )
    assert done.start_time == started and done.pid == 4242 and done.billable_seconds == 2
    assert done.secondary_status is SecondaryStatus.COMPLETED
    transitions = store.list_status_transitions(name)
    assert [t.status for t in transitions] == ["Starting", "Training", "Completed"]
    assert [(t.start_time, t.end_time) for t in transitions] == [
        (T0, started),
        (started, ended),
        (ended, ended),
    ]
    assert store.get_training_job(name) == done


def test_decisions_round_trip(store: Store) -> None:
    make_tuning(store)
    make_tuning(store, "other")
    a = make_training(store)
    b = make_training(store, tuning="other")
    d1 = store.add_decision(a, "STOP", "below the median at step 3", step=3, now=T0)
    d2 = store.add_decision(b, "STOP", "rung 1 cut")
    assert d1.id is not None and d1.created_at == T0
    assert store.list_decisions(training_job_name=a) == [d1]
    assert store.list_decisions(tuning_job_name="OTHER") == [d2]
    assert store.list_decisions() == [d1, d2]
    with pytest.raises(ResourceNotFoundError):
        store.add_decision("missing", "STOP", "x")


def test_leases(store: Store) -> None:
    make_tuning(store)
    assert store.acquire_lease("xgb-tune", "ctl-a", 30, now=T0)
    assert store.acquire_lease("xgb-tune", "ctl-a", 30, now=T0)  # same owner
    assert not store.acquire_lease("xgb-tune", "ctl-b", 30, now=T0 + timedelta(seconds=10))
    assert store.renew_lease("xgb-tune", "ctl-a", 30, now=T0 + timedelta(seconds=20))
    assert not store.renew_lease("xgb-tune", "ctl-b", 30, now=T0 + timedelta(seconds=20))
    job = store.get_tuning_job("xgb-tune")
    assert job.lease_owner == "ctl-a"
    assert job.lease_expires_at == T0 + timedelta(seconds=50)
    assert not store.acquire_lease("xgb-tune", "ctl-b", 30, now=T0 + timedelta(seconds=49))
    assert store.acquire_lease("xgb-tune", "ctl-b", 30, now=T0 + timedelta(seconds=51))
    assert not store.release_lease("xgb-tune", "ctl-a")
    assert store.release_lease("xgb-tune", "ctl-b")
    assert store.get_tuning_job("xgb-tune").lease_owner is None
    assert store.acquire_lease("xgb-tune", "ctl-a", 30, now=T0)


def test_in_memory_store() -> None:
    with Store("sqlite://") as s:
        make_tuning(s)
        assert s.get_tuning_job("xgb-tune").name == "xgb-tune"


def test_for_home_creates_folder(tmp_path) -> None:
    home = tmp_path / "a" / "b"
    with Store.for_home(home) as s:
        make_tuning(s)
    assert (home / "tunesmith.db").is_file()
    with Store.for_home(home) as again:
        assert again.get_tuning_job("xgb-tune").creation_time == T0
    assert T0.tzinfo is UTC


def test_bad_values_raise_store_errors(store: Store) -> None:
    make_tuning(store)
    name = make_training(store)
    with pytest.raises(StoreError):
        store.update_training_job(name, status=None)
    with pytest.raises(StoreError, match="constraint"):
        store.update_training_job(name, hyperparameters=None)
    with pytest.raises(StoreError):
        store.update_tuning_job("xgb-tune", objective_type="Sideways")
    assert store.get_training_job(name).hyperparameters["eta"] == "0.1"


def test_create_next_training_job_numbers_in_one_transaction(store: Store) -> None:
    make_tuning(store)

    def record(ordinal: int) -> TrainingJobRecord:
        return TrainingJobRecord(
            name=f"xgb-tune-{ordinal:03d}",
            tuning_job_name="xgb-tune",
            ordinal=ordinal,
            tuned_hyperparameters={},
            hyperparameters={},
        )

    first = store.create_next_training_job("xgb-tune", record)
    second = store.create_next_training_job("xgb-tune", record)
    assert (first.ordinal, second.ordinal) == (1, 2)
    assert store.get_training_job(second.name) == second

    def clashing(ordinal: int) -> TrainingJobRecord:
        return TrainingJobRecord(
            name=first.name,
            tuning_job_name="xgb-tune",
            ordinal=ordinal,
            tuned_hyperparameters={},
            hyperparameters={},
        )

    with pytest.raises(ResourceInUseError):
        store.create_next_training_job("xgb-tune", clashing)
    # The failed insert took its number back with it: the next job is number 3.
    assert store.create_next_training_job("xgb-tune", record).ordinal == 3
    with pytest.raises(ResourceNotFoundError):
        store.create_next_training_job("nope", record)


def test_batch_commits_once_and_rolls_back_as_a_whole(store: Store) -> None:
    make_tuning(store)
    name = make_training(store)
    with store.batch():
        store.update_training_job(name, secondary_status="Training", pid=42)
        store.add_decision(name, "STOP", "worse than the median", 3)
        store.update_tuning_job("xgb-tune", best_training_job_name=name)  # an ORM write joins
        with store.batch():  # nested: the same transaction
            store.finish_training_job(name, "Stopped")
    assert store.get_training_job(name).status is TrainingJobStatus.STOPPED
    assert store.get_tuning_job("xgb-tune").best_training_job_name == name
    assert [d.reason for d in store.list_decisions(name)] == ["worse than the median"]

    other = make_training(store, ordinal=2)
    with pytest.raises(StoreError), store.batch():
        store.update_training_job(other, secondary_status="Training")
        store.update_tuning_job("xgb-tune", best_training_job_name=other)
        store.update_training_job(other, status="Sleeping")  # invalid: everything rolls back
    assert store.get_training_job(other).secondary_status is SecondaryStatus.STARTING
    assert store.get_tuning_job("xgb-tune").best_training_job_name == name
    # The store is usable afterwards (the batch connection was released).
    assert store.update_training_job(other, pid=7).pid == 7


def test_batch_without_writes_takes_no_lock(tmp_path) -> None:
    """A burst of events that writes nothing must not wait for (or take) the write lock."""
    import sqlite3

    store = Store.for_home(tmp_path / "home")
    make_tuning(store)
    other = sqlite3.connect(tmp_path / "home" / "tunesmith.db", isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        with store.batch():
            assert store.get_tuning_job("xgb-tune").name == "xgb-tune"
    finally:
        other.execute("ROLLBACK")
        other.close()
    with store.batch():
        name = make_training(store)
    assert store.get_training_job(name).status is TrainingJobStatus.IN_PROGRESS
    store.close()
