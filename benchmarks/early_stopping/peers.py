"""The peers on the same script and the same configurations: Ray Tune's and Syne Tune's ASHA
and median stopping rule, with the settings that match tunesmith's (epoch = resource,
MinResource/grace 1, eta 3, MaxResource 27, 2 jobs at a time)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks.early_stopping.common import EPOCHS, summarize

HERE = Path(__file__).resolve().parent


def run_ray(
    method: str, seed: int, configs: list[dict[str, str]], parallel: int, work: Path
) -> dict:
    import ray
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler, MedianStoppingRule

    logs_dir = work / f"ray-{method.split()[-1]}-{seed}"
    logs_dir.mkdir(parents=True, exist_ok=True)

    def trainable(config: dict) -> None:
        from benchmarks.early_stopping.common import run_script

        index = config["index"]

        def report(epoch: int, accuracy: float) -> None:
            tune.report({"validation_accuracy": accuracy, "epoch": epoch})

        run_script(config["configs"][index], Path(config["logs"]) / f"{index:03d}.log", report)

    if method == "ray asha":
        scheduler = ASHAScheduler(
            time_attr="training_iteration", max_t=EPOCHS, grace_period=1, reduction_factor=3
        )
    else:
        scheduler = MedianStoppingRule(
            time_attr="training_iteration", grace_period=1, min_samples_required=3
        )
    if not ray.is_initialized():
        ray.init(
            num_cpus=parallel,
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"env_vars": {"PYTHONPATH": str(HERE.parents[1])}},
        )
    start = time.perf_counter()
    tuner = tune.Tuner(
        trainable,
        param_space={
            "index": tune.grid_search(list(range(len(configs)))),
            "configs": configs,
            "logs": str(logs_dir),
        },
        tune_config=tune.TuneConfig(
            metric="validation_accuracy",
            mode="max",
            scheduler=scheduler,
            max_concurrent_trials=parallel,
        ),
        run_config=tune.RunConfig(
            storage_path=str(work / "ray-results"), verbose=0, name=f"{method.split()[-1]}-{seed}"
        ),
    )
    tuner.fit()
    wall = time.perf_counter() - start
    logs = [logs_dir / f"{i:03d}.log" for i in range(len(configs))]
    return summarize(method, seed, logs, wall)


def run_syne(
    method: str,
    seed: int,
    configs: list[dict[str, str]],
    parallel: int,
    work: Path,
    sleep_time: float = 0.1,
) -> dict:
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend import LocalBackend
    from syne_tune.config_space import choice
    from syne_tune.optimizer.baselines import ASHA, RandomSearch
    from syne_tune.optimizer.schedulers import MedianStoppingRule

    logs_dir = work / f"syne-{method.split()[-1]}-{seed}"
    logs_dir.mkdir(parents=True, exist_ok=True)
    configs_file = logs_dir / "configs.json"
    configs_file.write_text(json.dumps(configs))
    space = {
        "index": choice(list(range(len(configs)))),
        "configs": str(configs_file),
        "logs": str(logs_dir),
    }
    points = [{"index": i} for i in range(len(configs))]
    if method == "syne asha":
        scheduler = ASHA(
            space,
            metric="validation_accuracy",
            time_attr="epoch",
            max_t=EPOCHS,
            do_minimize=False,
            grace_period=1,
            reduction_factor=3,
            random_seed=seed,
            points_to_evaluate=points,
        )
    else:
        base = RandomSearch(
            space,
            metrics=["validation_accuracy"],
            do_minimize=False,
            random_seed=seed,
            points_to_evaluate=points,
        )
        scheduler = MedianStoppingRule(
            base,
            time_attr="epoch",
            metric="validation_accuracy",
            do_minimize=False,
            grace_time=1,
            random_seed=seed,
        )
    backend = LocalBackend(entry_point=str(HERE / "syne_worker.py"), binary=sys.executable)
    tuner = Tuner(
        trial_backend=backend,
        scheduler=scheduler,
        # "More than len - 1 started" = all configurations started; then the running trials
        # finish instead of being killed, so the last configurations are not cut short.
        stop_criterion=StoppingCriterion(max_num_trials_started=len(configs) - 1),
        wait_trial_completion_when_stopping=True,
        n_workers=parallel,
        sleep_time=sleep_time,
        print_update_interval=3600,
        save_tuner=False,
        tuner_name=f"es-{method.split()[-1]}-{seed}",
    )
    start = time.perf_counter()
    tuner.run()
    wall = time.perf_counter() - start
    logs = sorted(logs_dir.glob("*.log"))
    extra = len(logs) - len(configs)
    note = f"poll {sleep_time} s"
    if extra > 0:
        note += f"; {extra} extra trial(s) started"
    elif extra < 0:
        note += f"; {-extra} configuration(s) never ran"
    return summarize(method, seed, logs, wall, note=note)
