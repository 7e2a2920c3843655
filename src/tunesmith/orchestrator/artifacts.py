"""OutputDataConfig: where a finished job's model artifact is published.

Without an ``S3OutputPath`` the artifact is the job folder's ``model/`` directory. With one (a
local path or ``file://`` URI), SageMaker's layout is reproduced:
``<path>/<training-job>/output/model.tar.gz`` (and ``output.tar.gz`` of ``output/data`` when it
holds anything); with ``CompressionType: NONE`` the folders are copied instead of packed.
"""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

from tunesmith.domain.parse import local_path_of
from tunesmith.domain.spec import OutputDataConfig


def publish_artifacts(job_dir: Path, job_name: str, output: OutputDataConfig | None) -> Path:
    """Publish the job's model and output data; return the model artifact's path."""
    model_dir = job_dir / "model"
    if output is None or not output.s3_output_path:
        return model_dir
    target = Path(local_path_of(output.s3_output_path)) / job_name / "output"
    target.mkdir(parents=True, exist_ok=True)
    data_dir = job_dir / "output" / "data"
    has_data = data_dir.is_dir() and any(data_dir.iterdir())
    if output.compression_type == "NONE":
        _copy(model_dir, target / "model")
        if has_data:
            _copy(data_dir, target / "data")
        return target / "model"
    _pack(model_dir, target / "model.tar.gz")
    if has_data:
        _pack(data_dir, target / "output.tar.gz")
    return target / "model.tar.gz"


def _pack(folder: Path, archive: Path) -> None:
    """A tar.gz of the folder's contents at the archive root, as SageMaker packs model/."""
    with tarfile.open(archive, "w:gz") as tar:
        if folder.is_dir():
            for child in sorted(folder.iterdir()):
                tar.add(child, arcname=child.name)


def _copy(folder: Path, destination: Path) -> None:
    if folder.is_dir():
        shutil.copytree(folder, destination, dirs_exist_ok=True)
