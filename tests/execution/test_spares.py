"""Job-folder skeletons made ahead of time: used by the next launch, never left behind."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tunesmith.execution import jobdir
from tunesmith.execution.local import LocalExecutor
from tunesmith.execution.spares import SpareFolders

from .test_local_executor import run, script_request

pytestmark = pytest.mark.timeout(30)


def _spares(parent: Path) -> list[Path]:
    return sorted(p for p in parent.iterdir() if p.name.startswith(".spare-"))


def _folders_of(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_dir()}


def test_the_next_job_folder_is_the_skeleton_made_while_the_first_job_ran(tmp_path: Path) -> None:
    executor = LocalExecutor(stop_grace_seconds=1.0)
    try:
        first = run(executor, script_request(tmp_path, "print('a')", name="tune-001-aaaaaaaa"))
        assert first.exited().exit_code == 0
        jobs = tmp_path / "jobs"
        (spare,) = _spares(jobs)
        assert _folders_of(spare) == set(jobdir.SUBFOLDERS)
        inode = spare.stat().st_ino

        second = run(executor, script_request(tmp_path, "print('b')", name="tune-002-bbbbbbbb"))
        assert second.exited().exit_code == 0
        root = jobs / "tune-002-bbbbbbbb"
        assert root.stat().st_ino == inode  # renamed into place, not made again
        assert set(jobdir.SUBFOLDERS) <= _folders_of(root)
        assert (root / "input/config/hyperparameters.json").is_file()
        assert (root / "logs/training.log").read_text() == "b\n"
        assert len(_spares(jobs)) == 1  # a new one for the job after
    finally:
        executor.close()
    assert _spares(tmp_path / "jobs") == []  # close() removes what was not used


def test_a_retry_reuses_its_own_folder_and_keeps_the_skeleton(tmp_path: Path) -> None:
    executor = LocalExecutor(stop_grace_seconds=1.0)
    try:
        request = script_request(tmp_path, "print('x')")
        run(executor, request)
        (root_spare,) = _spares(tmp_path / "jobs")
        model = tmp_path / "jobs" / request.training_job_name / "model" / "kept.txt"
        model.write_text("model of attempt 1")
        run(executor, dataclasses.replace(request, attempt=2))
        assert model.read_text() == "model of attempt 1"
        assert _spares(tmp_path / "jobs") == [root_spare]
    finally:
        executor.close()


def test_a_job_with_its_own_checkpoint_folder_does_not_take_a_skeleton(tmp_path: Path) -> None:
    spares = jobdir.spare_folders()
    (tmp_path / "jobs").mkdir()
    spares.make(tmp_path / "jobs")
    checkpoints = tmp_path / "ckpt"
    request = script_request(tmp_path, "pass", checkpoint_local_path=checkpoints)
    layout = jobdir.write_job_dir(request, spares)
    assert checkpoints.is_dir() and layout.checkpoint_dir == checkpoints
    assert not (layout.root / "checkpoints").exists()
    assert len(_spares(tmp_path / "jobs")) == 1
    spares.discard()
    assert _spares(tmp_path / "jobs") == []


def test_skeletons_of_a_controller_that_died_are_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    abandoned = tmp_path / f".spare-{dead.pid}-0"
    (abandoned / "input").mkdir(parents=True)
    mine = tmp_path / f".spare-{os.getpid()}-99"  # this process's: not touched by the sweep
    mine.mkdir()
    spares = SpareFolders(("input",))
    spares.make(tmp_path)
    assert not abandoned.exists()
    assert mine.exists()
    assert len(_spares(tmp_path)) == 2
    spares.discard()
    assert _spares(tmp_path) == [mine]


def test_no_skeleton_when_the_parent_cannot_hold_one(tmp_path: Path) -> None:
    spares = SpareFolders(("input",))
    spares.make(tmp_path / "missing")  # no error: only no skeleton
    assert not spares.take(tmp_path / "missing" / "job")
