"""What every method of the early-stopping benchmark shares: the task, the 40 configurations
of a seed, running the training script as a real process, and reading its log afterwards."""

from __future__ import annotations

import ctypes
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hyperband"
SCRIPT = EXAMPLE / "train.py"
SPEC = EXAMPLE / "tuning.yaml"
EPOCHS = 27
EPOCH_LINE = re.compile(r"^epoch=(\d+) .*validation:accuracy=([0-9.]+)")

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # two jobs on two cores: one BLAS thread each, every method


def load_spec(name: str, **overrides: Any):
    """The example's spec (friendly YAML) with overrides of friendly fields."""
    import yaml

    from tunesmith.domain.parse import parse_spec

    document = yaml.safe_load(SPEC.read_text())
    document.update(overrides)
    return parse_spec(document, base_dir=EXAMPLE, name=name)


def configurations(seed: int, n: int) -> list[dict[str, str]]:
    """The same ``n`` configurations for every method: tunesmith's Random sequence of ``seed``."""
    from tunesmith.space import SearchSpace
    from tunesmith.strategies.random_search import RandomSearch

    space = SearchSpace.from_ranges(load_spec("configs").ranges)
    search = RandomSearch(space, seed)
    return [space.format(search.config_at(k)) for k in range(n)]


def script_args(config: dict[str, str]) -> list[str]:
    hps = {**config, "epochs": str(EPOCHS)}
    return [arg for key in sorted(hps) for arg in (f"--{key}", hps[key])]


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: no orphan keeps training


def run_script(
    config: dict[str, str], log_path: Path, on_epoch: Callable[[int, float], bool | None]
) -> None:
    """Run train.py with its stdout going straight to ``log_path`` (so every epoch the process
    really ran is on disk, even if this wrapper is killed) and call ``on_epoch`` for each
    epoch line as it appears; ``on_epoch`` returning False kills the process."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT), *script_args(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(log_path.parent),
            preexec_fn=_die_with_parent,
        )
    try:
        with open(log_path) as tail:
            buffer = ""
            while True:
                chunk = tail.read()
                if chunk:
                    buffer += chunk
                    *lines, buffer = buffer.split("\n")
                    for line in lines:
                        match = EPOCH_LINE.match(line)
                        if match and on_epoch(int(match[1]), float(match[2])) is False:
                            process.kill()
                            return
                elif process.poll() is not None:
                    if not buffer and not tail.read():
                        return
                else:
                    time.sleep(0.005)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def read_log(path: Path) -> tuple[int, float | None]:
    """(epochs the process printed, its last validation accuracy)."""
    epochs, last = 0, None
    if path.exists():
        for line in path.read_text(errors="replace").splitlines():
            match = EPOCH_LINE.match(line)
            if match:
                epochs += 1
                last = float(match[2])
    return epochs, last


def summarize(method: str, seed: int, logs: list[Path], wall: float, note: str = "") -> dict:
    results = [read_log(p) for p in logs]
    finals = [acc for _, acc in results if acc is not None]
    return {
        "method": method,
        "seed": seed,
        "jobs": len(logs),
        "epochs": sum(e for e, _ in results),
        "wall_seconds": round(wall, 1),
        "best_accuracy": max(finals) if finals else None,
        "note": note,
    }
