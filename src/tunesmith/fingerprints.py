"""Fingerprints of a tuning job's training code and data.

Recorded with every tuning job so a warm start can tell whether "identical data and
algorithm" is still true (orchestrator) and the doctor can say which warm-start mode fits.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from tunesmith.domain.parse import local_path_of
from tunesmith.domain.spec import TuningJobSpec

_SKIP_DIRS = {"__pycache__", ".git", ".venv", ".tunesmith", "node_modules"}
_HASH_LIMIT_BYTES = 16 * 1024 * 1024  # larger files: size and mtime only
_MAX_FILES = 20_000


def fingerprints(spec: TuningJobSpec) -> dict[str, Any]:
    """Fingerprints of the training code and of each input channel.

    Code: content hashes of the files under ``sagemaker_submit_directory`` (script mode) plus
    the program, image and entrypoint. Data: for each channel, the relative path, size and
    modification time of every file (the quick check make and rsync use; hashing datasets
    would cost more than the tuning job).
    """
    definition = spec.definition
    algorithm = definition.algorithm_specification
    static = definition.static_hyper_parameters
    code = hashlib.sha256()
    for part in (
        static.get("sagemaker_program", ""),
        algorithm.training_image or "",
        algorithm.algorithm_name or "",
        "\0".join(algorithm.container_entrypoint or []),
        "\0".join(algorithm.container_arguments or []),
    ):
        code.update(part.encode() + b"\0")
    submit = static.get("sagemaker_submit_directory")
    if submit and "sagemaker_program" in static:
        _hash_tree(code, Path(submit), contents=True)
    data = {}
    for channel in definition.input_data_config or []:
        source = channel.data_source
        if source.s3_data_source is not None:
            path = local_path_of(source.s3_data_source.s3_uri)
        else:
            assert source.file_system_data_source is not None
            path = source.file_system_data_source.directory_path
        digest = hashlib.sha256()
        _hash_tree(digest, Path(path), contents=False)
        data[channel.channel_name] = digest.hexdigest()
    return {"code": code.hexdigest(), "data": data}


def _hash_tree(digest: Any, root: Path, contents: bool) -> None:
    if root.is_file():
        _hash_file(digest, root, root.name, contents)
        return
    count = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            _hash_file(digest, path, str(path.relative_to(root)), contents)
            count += 1
            if count >= _MAX_FILES:
                return


def _hash_file(digest: Any, path: Path, relative: str, contents: bool) -> None:
    try:
        stat = path.stat()
    except OSError:
        return
    digest.update(relative.encode() + b"\0")
    if contents and stat.st_size <= _HASH_LIMIT_BYTES:
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
            return
        except OSError:
            pass
    digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
