"""tunesmith's own methods, through the real controller and the local process executor."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.early_stopping.common import load_spec, read_log, summarize


class FixedConfigurations:
    """A strategy proposing the benchmark's configurations in order (same for every method)."""

    def __init__(self, space, configs: list[dict[str, str]]) -> None:
        self.configs = [space.parse(c) for c in configs]

    def suggest(self, n: int, history: Sequence) -> list:
        start = len(history)
        return self.configs[start : start + n]


METHODS = {
    "tunesmith none": {"strategy": "Random", "early_stopping_type": "Off"},
    "tunesmith median": {"strategy": "Random", "early_stopping_type": "Auto"},
    "tunesmith hyperband": {"strategy": "Hyperband", "early_stopping_type": "Off"},
}


def epochs_after_decisions(service, name: str, logs: dict[str, Path]) -> int:
    """Epochs the stopped processes printed after the report that decided their stop: what
    acting on a decision at once should keep near zero."""
    late = 0
    for decision in service.store.list_decisions(tuning_job_name=name):
        if decision.kind == "STOP" and decision.step is not None:
            late += max(0, read_log(logs[decision.training_job_name])[0] - decision.step)
    return late


def run_ours(
    method: str, seed: int, configs: list[dict[str, str]], parallel: int, work: Path
) -> dict:
    from tunesmith.orchestrator.service import TuningService
    from tunesmith.settings import Settings

    overrides = dict(
        METHODS[method], max_jobs=len(configs), max_parallel_jobs=parallel, random_seed=seed
    )
    if overrides["strategy"] != "Hyperband":
        overrides["strategy_config"] = None
    name = f"es-{method.split()[1]}-{seed}"
    spec = load_spec(name, **overrides)
    service = TuningService(Settings(home=work / name))
    try:
        service.create(spec)  # skips the "not supported yet" gate on purpose
        start = time.perf_counter()
        service.run(
            name,
            on_controller=lambda c: setattr(c, "strategy", FixedConfigurations(c.space, configs)),
        )
        wall = time.perf_counter() - start
        jobs = service.training_jobs(name)
        logs = [Path(j.log_path) for j in jobs]
        stopped = sum(1 for j in jobs if j.status.value == "Stopped")
        late = epochs_after_decisions(service, name, {j.name: Path(j.log_path) for j in jobs})
        note = f"{stopped} stopped, {late} epoch(s) printed after a stop decision"
        return summarize(method, seed, logs, wall, note=note)
    finally:
        service.close()
