"""Several controllers sharing one PostgreSQL database: one lease holder per tuning job, and
readers that never block writers. Needs a server: ``TUNESMITH_TEST_POSTGRES_URL``
(``.ci/start-postgres.sh`` starts one and prints it)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from tunesmith.domain.enums import TrainingJobStatus, TuningJobStatus
from tunesmith.domain.parse import load_document
from tunesmith.orchestrator.service import TuningService
from tunesmith.settings import Settings
from tunesmith.store import Store, TrainingJobRecord
from tunesmith.store.models import Base

URL = os.environ.get("TUNESMITH_TEST_POSTGRES_URL")
pytestmark = [
    pytest.mark.skipif(
        not URL,
        reason="no PostgreSQL server: export TUNESMITH_TEST_POSTGRES_URL=$(.ci/start-postgres.sh)",
    ),
    pytest.mark.timeout(120),
]

CONTROLLER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tunesmith.errors import ResourceInUseError
    from tunesmith.orchestrator.service import TuningService
    from tunesmith.settings import Settings
    url, home, name, go = sys.argv[1:5]
    service = TuningService(Settings(home=Path(home), database_url=url, stop_grace_seconds=2))
    service.store.get_tuning_job(name)  # connected and ready
    while not Path(go).exists():
        time.sleep(0.001)
    try:
        service.run(name)
    except ResourceInUseError:
        print("IN_USE", flush=True)
    else:
        print("DROVE", flush=True)
    """
)


@pytest.fixture
def pg_store() -> Iterator[Store]:
    assert URL is not None
    store = Store(URL)
    try:
        yield store
    finally:
        with store._engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        store.close()


def _spec(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "train.py").write_text("import time\ntime.sleep(0.3)\nprint('loss=1.0')\n")
    spec = {
        "tuning_job_name": name,
        "strategy": "Random",
        "objective_metric_name": "loss",
        "objective_type": "Minimize",
        "max_jobs": 3,
        "max_parallel_jobs": 1,
        "random_seed": 1,
        "metric_definitions": [{"Name": "loss", "Regex": r"loss=(\S+)"}],
        "hyperparameter_ranges": {"x": {"type": "continuous", "min_value": 0, "max_value": 1}},
        "estimator": {"entry_point": "train.py", "source_dir": ".", "max_run": 60},
    }
    path = folder / "tuning.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_two_controllers_race_for_one_lease(tmp_path: Path, pg_store: Store) -> None:
    assert URL is not None
    name = f"race-{uuid.uuid4().hex[:8]}"
    home = tmp_path / "home"
    service = TuningService(Settings(home=home, database_url=URL), store=pg_store)
    path = _spec(tmp_path / "spec", name)
    service.create(service.validate(load_document(path.read_text()), base_dir=path.parent))
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONTROLLER, URL, str(home), name, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(2.0)  # both connected and spinning on the go file
    go.touch()
    outputs = [p.communicate(timeout=90) for p in procs]
    verdicts = sorted(out.strip() for out, _ in outputs)
    assert verdicts == ["DROVE", "IN_USE"], outputs
    record = pg_store.get_tuning_job(name)
    assert record.status == TuningJobStatus.COMPLETED
    assert record.lease_owner is None
    jobs = pg_store.list_training_jobs(name)
    assert len(jobs) == 3 and len({j.name for j in jobs}) == 3
    assert all(j.status == TrainingJobStatus.COMPLETED and j.attempts == 1 for j in jobs)


def test_readers_never_block_a_writer(pg_store: Store) -> None:
    assert URL is not None
    pg_store.create_tuning_job("busy", {"Strategy": "Random"}, "Random", "loss", "Minimize")
    stop = threading.Event()
    reads = [0]

    def reader() -> None:
        reading = Store(URL)
        while not stop.is_set():
            reading.list_training_jobs("busy")
            reading.get_tuning_job("busy")
            reads[0] += 1
        reading.close()

    # A reader holding a transaction open over the very rows being written, as a slow
    # dashboard query would.
    engine = create_engine(URL)
    holder = engine.connect()
    holder.begin()
    holder.execute(text("SELECT * FROM training_jobs")).fetchall()
    holder.execute(text("SELECT * FROM tuning_jobs")).fetchall()
    threads = [threading.Thread(target=reader, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()
    latencies = []
    try:
        for ordinal in range(1, 41):
            started = time.perf_counter()
            pg_store.create_training_job(
                TrainingJobRecord(
                    name=f"busy-{ordinal:03d}",
                    tuning_job_name="busy",
                    ordinal=ordinal,
                    tuned_hyperparameters={},
                    hyperparameters={},
                )
            )
            pg_store.update_tuning_job("busy", status=TuningJobStatus.IN_PROGRESS)
            latencies.append(time.perf_counter() - started)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        holder.rollback()
        holder.close()
        engine.dispose()
    assert reads[0] > 40
    assert max(latencies) < 1.0, f"a write waited {max(latencies):.3f} s behind readers"
    assert len(pg_store.list_training_jobs("busy")) == 40
