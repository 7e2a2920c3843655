"""Threads of one process and several processes sharing one SQLite file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text

from tunesmith.store import MetricEventRecord, Store, TrainingJobRecord

SPEC = {"HyperParameterTuningJobConfig": {"Strategy": "Random"}}


def _tuning(store: Store, name: str = "tune") -> None:
    store.create_tuning_job(name, SPEC, "Random", "loss", "Minimize")


def _training(store: Store, ordinal: int, tuning: str = "tune") -> str:
    name = f"{tuning}-{ordinal:03d}-deadbeef"
    store.create_training_job(
        TrainingJobRecord(
            name=name,
            tuning_job_name=tuning,
            ordinal=ordinal,
            tuned_hyperparameters={},
            hyperparameters={},
        )
    )
    return name


def test_sqlite_pragmas(tmp_path: Path) -> None:
    store = Store.for_home(tmp_path)
    with store._engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    store.close()


def test_wal_mode_persists_in_the_file(tmp_path: Path) -> None:
    Store.for_home(tmp_path).close()
    with sqlite3.connect(tmp_path / "tunesmith.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_ordinal_allocation_is_unique_across_threads(store: Store) -> None:
    _tuning(store)
    barrier = threading.Barrier(8)

    def allocate(_: int) -> list[int]:
        barrier.wait()
        return [store.allocate_training_job_ordinal("tune") for _ in range(50)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [n for chunk in pool.map(allocate, range(8)) for n in chunk]
    assert sorted(results) == list(range(1, 401))
    assert store.get_tuning_job("tune").next_ordinal == 401


def test_threads_write_metric_events_concurrently(store: Store) -> None:
    _tuning(store)
    names = [_training(store, i) for i in range(1, 5)]

    def write(name: str) -> None:
        for step in range(25):
            event = MetricEventRecord("loss", 1.0 / (step + 1), f"{step}", float(step))
            store.add_metric_events(name, [event])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, names))
    for name in names:
        assert [e.ordinal for e in store.list_metric_events(name)] == list(range(1, 26))


_WRITER = textwrap.dedent(
    """
    import sys
    from tunesmith.store import MetricEventRecord, Store, TrainingJobRecord

    store = Store(sys.argv[1])
    for i in range(1, 41):
        name = f"tune-{i:03d}-deadbeef"
        n = store.allocate_training_job_ordinal("tune")
        store.create_training_job(TrainingJobRecord(
            name=name, tuning_job_name="tune", ordinal=n,
            tuned_hyperparameters={"x": str(i)}, hyperparameters={"x": str(i)},
        ))
        events = [MetricEventRecord("loss", 1.0 / s, str(1.0 / s), float(s)) for s in range(1, 6)]
        store.add_metric_events(name, events)
        store.add_status_transition(name, "Training")
        store.finish_training_job(name, "Completed", final_objective_value=0.2)
    store.close()
    print("done")
    """
)


def test_another_process_writes_while_this_one_reads(tmp_path: Path) -> None:
    store = Store.for_home(tmp_path)
    _tuning(store)
    url = store.url
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = 0
    reads = 0
    while proc.poll() is None or reads == 0:
        jobs = store.list_training_jobs("tune")
        for job in jobs:
            store.list_metric_events(job.name)
            store.list_status_transitions(job.name)
        store.get_tuning_job("tune")
        seen = max(seen, len(jobs))
        reads += 1
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "database is locked" not in err
    assert out.strip() == "done"
    jobs = store.list_training_jobs("tune")
    assert len(jobs) == 40 and all(j.status == "Completed" for j in jobs)
    assert all(len(store.list_metric_events(j.name)) == 5 for j in jobs)
    store.close()


_ALLOCATOR = textwrap.dedent(
    """
    import sys
    from tunesmith.store import Store

    store = Store(sys.argv[1])
    print(" ".join(str(store.allocate_training_job_ordinal("tune")) for _ in range(100)))
    store.close()
    """
)


def test_two_processes_and_threads_write_together(tmp_path: Path) -> None:
    store = Store.for_home(tmp_path)
    _tuning(store)
    proc = subprocess.Popen(
        [sys.executable, "-c", _ALLOCATOR, store.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        mine = [
            n
            for chunk in pool.map(
                lambda _: [store.allocate_training_job_ordinal("tune") for _ in range(25)],
                range(4),
            )
            for n in chunk
        ]
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    theirs = [int(n) for n in out.split()]
    assert sorted(mine + theirs) == list(range(1, 201))
    store.close()


def test_many_openers_of_a_brand_new_store_all_succeed(tmp_path: Path) -> None:
    """Opening a new SQLite store switches it to WAL and migrates it; SQLite can answer
    "database is locked" at once (without waiting) while another process does the same.
    Every opener must still succeed: processes that start together on one new file."""
    opener = textwrap.dedent(
        """
        import sys, time
        from tunesmith.store import Store
        start = float(sys.argv[2])
        while time.time() < start:
            pass
        for _ in range(3):
            with Store(sys.argv[1]) as store:
                store.list_tuning_jobs()
        print("ok")
        """
    )
    for attempt in range(2):
        url = f"sqlite:///{tmp_path / f'new-{attempt}.db'}"
        start = f"{time.time() + 1.5:.3f}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", opener, url, start],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(6)
        ]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0 and out.strip() == "ok", err[-2000:]
