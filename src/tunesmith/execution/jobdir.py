"""Lay out one job folder and compute what the training process sees.

The job folder stands in for SageMaker's ``/opt/ml``: the same sub-folders and config files,
the training toolkit's ``SM_*`` variables pointing into it, and in script mode the
hyperparameters as sorted ``--name value`` arguments. Everything here is a function of the
:class:`TrainingJobRequest` alone (plus the parent environment), so any executor (local
processes, Ray workers) can reuse it; there is no process code here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from tunesmith.execution.base import ChannelSpec, TrainingJobRequest
from tunesmith.execution.jobstate import ENV_ATTEMPT, write_bytes

HOST = "algo-1"
INSTANCE_GROUP = "homogeneousCluster"
NETWORK_INTERFACE = "lo"
ARN_PREFIX = "arn:aws:sagemaker:local:000000000000:training-job/"
LOG_LEVEL_INFO = 20

#: Hyperparameters the training toolkit removes from the user's hyperparameters.
RESERVED_HYPERPARAMETERS = frozenset(
    {
        "sagemaker_program",
        "sagemaker_submit_directory",
        "sagemaker_enable_cloudwatch_metrics",
        "sagemaker_region",
        "sagemaker_container_log_level",
        "sagemaker_job_name",
        "default_user_module_name",
        "_tuning_objective_metric",
        "sagemaker_s3_output",
    }
)
_RESERVED_PREFIX = "sagemaker_"
_CHANNEL_NAME = re.compile(r"^[A-Za-z0-9.\-_]+$")


@dataclass(frozen=True)
class JobLayout:
    """Absolute paths of one job folder (all derived from ``request.job_dir``)."""

    root: Path
    input_dir: Path
    config_dir: Path
    data_dir: Path
    model_dir: Path
    output_dir: Path
    output_data_dir: Path
    intermediate_dir: Path
    checkpoint_dir: Path
    code_dir: Path
    logs_dir: Path

    @property
    def failure_file(self) -> Path:
        return self.output_dir / "failure"

    @property
    def log_file(self) -> Path:
        """Raw stdout and stderr of every attempt, written by the process itself, appended."""
        return self.logs_dir / "training.log"

    @property
    def state_file(self) -> Path:
        """How the latest attempt ended, for a resumed controller (see ``jobstate``)."""
        return self.logs_dir / ".supervisor.json"

    def channel_dir(self, name: str) -> Path:
        return self.data_dir / name


@dataclass(frozen=True)
class LaunchSpec:
    """What to run: argv, working folder, full environment, and where things go."""

    argv: list[str]
    cwd: Path
    env: dict[str, str]
    layout: JobLayout


_CPU_COUNT = os.cpu_count() or 1


def job_layout(request: TrainingJobRequest) -> JobLayout:
    checkpoints = request.checkpoint_local_path
    return _layout(_absolute(request.job_dir), _absolute(checkpoints) if checkpoints else None)


def _absolute(path: str | os.PathLike[str]) -> str:
    """``str(Path(path).absolute())``, without building a Path when it already is absolute."""
    text = os.fspath(path)
    return text if os.path.isabs(text) else str(Path(text).absolute())


@lru_cache(maxsize=256)
def _layout(root_dir: str, checkpoints: str | None) -> JobLayout:
    """Built once per job folder: a launch asks for it several times (the layout is frozen)."""
    root = Path(root_dir)
    input_dir = root / "input"
    output_dir = root / "output"
    return JobLayout(
        root=root,
        input_dir=input_dir,
        config_dir=input_dir / "config",
        data_dir=input_dir / "data",
        model_dir=root / "model",
        output_dir=output_dir,
        output_data_dir=output_dir / "data",
        intermediate_dir=output_dir / "intermediate",
        checkpoint_dir=Path(checkpoints) if checkpoints else root / "checkpoints",
        code_dir=root / "code",
        logs_dir=root / "logs",
    )


def decode_value(raw: str) -> Any:
    """The toolkit's rule: a value is ``json.loads``-ed when possible, else kept as the string."""
    try:
        return json.loads(raw)
    except (ValueError, TypeError):
        return raw


def split_hyperparameters(
    hyperparameters: Mapping[str, str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split into (user hyperparameters, framework params), both decoded.

    Reserved names are dropped from both; other ``sagemaker_*`` names become framework params.
    """
    user: dict[str, Any] = {}
    framework: dict[str, Any] = {}
    for name, raw in hyperparameters.items():
        value = decode_value(str(raw))
        if name in RESERVED_HYPERPARAMETERS:
            continue
        if name.startswith(_RESERVED_PREFIX):
            framework[name] = value
        else:
            user[name] = value
    return user, framework


def _arg_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("latin1")
    return str(value)


def to_cmd_args(user_hyperparameters: Mapping[str, Any]) -> list[str]:
    """Script-mode arguments: sorted ``--name value`` pairs (``-n value`` for 1-char names).

    Values are ``str()`` of the decoded value (JSON ``true`` -> ``True``); dicts render as
    ``k1=v1,k2=v2`` with sorted keys; ``None`` renders as an empty string.
    """
    args: list[str] = []
    for name in sorted(user_hyperparameters):
        value = user_hyperparameters[name]
        flag = f"--{name}" if len(name) > 1 else f"-{name}" if name else ""
        if isinstance(value, Mapping):
            text = ",".join(f"{k}={v}" for k, v in sorted(value.items()))
        else:
            text = _arg_text(value)
        args.extend([flag, text])
    return args


#: ``json.dumps`` with arguments builds a new encoder on every call; a job's environment and
#: config files take a few dozen of them, so the two encoders are built once.
_ENV_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode
_CONFIG_JSON = json.JSONEncoder(sort_keys=True).encode


def _env_value(value: Any) -> str:
    """The toolkit's ``to_env_vars`` value rule: strings as-is, None empty, else compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("latin1")
    return _ENV_JSON(value)


# ----------------------------------------------------------------------------- config files


def resource_config(request: TrainingJobRequest) -> dict[str, Any]:
    return {
        "current_host": HOST,
        "hosts": [HOST],
        "network_interface_name": NETWORK_INTERFACE,
        "current_instance_type": request.instance_type,
        "current_group_name": INSTANCE_GROUP,
        "instance_groups": [
            {
                "instance_group_name": INSTANCE_GROUP,
                "instance_type": request.instance_type,
                "hosts": [HOST],
            }
        ],
    }


def _channel_config(channel: ChannelSpec) -> dict[str, str]:
    entry: dict[str, str] = {}
    if channel.content_type:
        entry["ContentType"] = channel.content_type
    entry["TrainingInputMode"] = channel.input_mode
    entry["S3DistributionType"] = channel.distribution_type
    entry["RecordWrapperType"] = channel.record_wrapper_type
    return entry


def input_data_config(request: TrainingJobRequest) -> dict[str, dict[str, str]]:
    return {channel.name: _channel_config(channel) for channel in request.channels}


# ----------------------------------------------------------------------------- argv


def script_mode(request: TrainingJobRequest) -> bool:
    return request.program is not None


def build_argv(request: TrainingJobRequest) -> tuple[list[str], Path]:
    """``(argv, cwd)`` for the request.

    Script mode runs ``<submit_directory>/<program>`` from ``submit_directory``: ``.py`` (and
    any non-executable file) with this Python, ``.sh`` with ``/bin/sh``, other executables
    directly; the user hyperparameters follow as arguments. A bring-your-own command runs
    ``entrypoint + arguments`` from the job folder.
    """
    layout = job_layout(request)
    program = request.program
    if program is not None:
        submit = Path(request.submit_directory or layout.code_dir).absolute()
        script = submit / program
        user, _ = split_hyperparameters(request.hyperparameters)
        args = to_cmd_args(user)
        if script.suffix == ".sh":
            head = ["/bin/sh", str(script)]
        elif script.suffix != ".py" and os.access(script, os.X_OK) and script.is_file():
            head = [str(script)]
        else:
            head = [sys.executable, str(script)]
        return [*head, *args], submit
    if not request.entrypoint:
        raise ValueError("the request sets neither program (script mode) nor entrypoint")
    return [*request.entrypoint, *(request.arguments or [])], layout.root


# ----------------------------------------------------------------------------- environment


def _num_gpus(environment: Mapping[str, str]) -> int:
    devices = environment.get("CUDA_VISIBLE_DEVICES")
    if not devices:
        return 0
    count = 0
    for item in devices.split(","):
        item = item.strip()
        if not item or item.startswith("-"):
            break  # CUDA stops at the first invalid entry
        count += 1
    return count


def training_environment(request: TrainingJobRequest) -> dict[str, Any]:
    """The toolkit's environment as a dict: ``SM_<KEY>`` for each key, and ``SM_TRAINING_ENV``."""
    layout = job_layout(request)
    user, framework = split_hyperparameters(request.hyperparameters)
    resources = resource_config(request)
    program = request.program
    module_dir = (
        str(Path(request.submit_directory).absolute())
        if request.submit_directory
        else str(layout.code_dir)
    )
    module_name = program[:-3] if program and program.endswith(".py") else program
    channels = {c.name: str(layout.channel_dir(c.name)) for c in request.channels}
    group = resources["instance_groups"][0]
    common: dict[str, Any] = {
        "hosts": [HOST],
        "network_interface_name": NETWORK_INTERFACE,
        "user_entry_point": program,
        "resource_config": resources,
        "input_data_config": input_data_config(request),
        "output_data_dir": str(layout.output_data_dir),
        "current_host": HOST,
        "current_instance_type": request.instance_type,
        "current_instance_group": INSTANCE_GROUP,
        "current_instance_group_hosts": [HOST],
        "instance_groups": [INSTANCE_GROUP],
        "instance_groups_dict": {INSTANCE_GROUP: group},
        "distribution_instance_groups": [],
        "is_hetero": False,
        "module_name": module_name,
        "log_level": LOG_LEVEL_INFO,
        "framework_module": None,
        "input_dir": str(layout.input_dir),
        "input_config_dir": str(layout.config_dir),
        "output_dir": str(layout.output_dir),
        "num_cpus": _CPU_COUNT,
        "num_gpus": _num_gpus(request.environment),
        "num_neurons": 0,
        "model_dir": str(layout.model_dir),
        "module_dir": module_dir,
        "output_intermediate_dir": str(layout.intermediate_dir),
    }
    whole = {
        **common,
        "additional_framework_parameters": framework,
        "channel_input_dirs": channels,
        "hyperparameters": user,
        "distribution_hosts": [],
        "is_master": True,
        "is_modelparallel_enabled": False,
        "job_name": request.training_job_name,
        "master_hostname": HOST,
    }
    env = {
        **common,
        "hps": user,
        "framework_params": framework,
        "channels": sorted(channels),
        "training_env": dict(sorted(whole.items())),
        "user_args": to_cmd_args(user),
    }
    for name, path in channels.items():
        env[f"channel_{name}"] = path
    for name, value in user.items():
        env[f"hp_{name}"] = value
    return env


def _valid_env_name(name: str) -> bool:
    return bool(name) and "=" not in name and "\0" not in name


_environ_snapshot: tuple[dict[bytes, bytes], dict[str, str]] | None = None


def _current_environ() -> dict[str, str]:
    """``dict(os.environ)``, decoded again only when the environment changed: decoding every
    variable on every launch cost more than the rest of building the job's environment."""
    global _environ_snapshot
    raw = getattr(os.environ, "_data", None)
    if not isinstance(raw, dict):  # pragma: no cover - not CPython's os.environ
        return dict(os.environ)
    snapshot = _environ_snapshot
    if snapshot is None or snapshot[0] != raw:
        snapshot = (dict(raw), dict(os.environ))
        _environ_snapshot = snapshot
    return snapshot[1]


def build_environment(
    request: TrainingJobRequest, parent: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Parent environment (minus its own ``SM_*``) + ``request.environment`` + the contract.

    The contract variables win over ``request.environment``, as the toolkit's do in a
    container. ``SAGEMAKER_BASE_DIR`` is deliberately not set.
    """
    base = _current_environ() if parent is None else parent
    env = {k: v for k, v in base.items() if not k.startswith("SM_")}
    env.update(request.environment)
    layout = job_layout(request)
    for key, value in training_environment(request).items():
        name = f"SM_{key.upper()}"
        if _valid_env_name(name):
            env[name] = _env_value(value)
    env["SM_CHECKPOINT_DIR"] = str(layout.checkpoint_dir)
    env["TRAINING_JOB_NAME"] = request.training_job_name
    env["TRAINING_JOB_ARN"] = ARN_PREFIX + request.training_job_name
    env["SAGEMAKER_JOB_NAME"] = request.training_job_name
    env["CURRENT_HOST"] = HOST
    env[ENV_ATTEMPT] = str(request.attempt)
    env["PYTHONUNBUFFERED"] = "1"
    if script_mode(request):
        module_dir = env["SM_MODULE_DIR"]
        existing = env.get("PYTHONPATH")
        env["PYTHONPATH"] = module_dir + (os.pathsep + existing if existing else "")
    return env


# ----------------------------------------------------------------------------- folder


def _write_json(path: Path, obj: Any) -> None:
    """One line of JSON, as SageMaker writes these files (and ``json``'s C encoder, which
    ``indent`` would turn off: a tenth of the cost of a job's folder went to indenting)."""
    write_bytes(path, (_CONFIG_JSON(obj) + "\n").encode("utf-8"))


def _link_channel(channel: ChannelSpec, target: Path) -> None:
    if not _CHANNEL_NAME.match(channel.name) or not channel.name.strip("."):
        raise ValueError(f"input channel name {channel.name!r} must match {_CHANNEL_NAME.pattern}")
    source = Path(channel.source_path).absolute()
    if not source.exists():
        raise FileNotFoundError(
            f"input channel '{channel.name}': source path {source} does not exist"
        )
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)
    if source.is_dir():
        target.symlink_to(source, target_is_directory=True)
    else:
        target.mkdir(parents=True)
        (target / source.name).symlink_to(source)


def write_job_dir(request: TrainingJobRequest) -> JobLayout:
    """Create the job folder: sub-folders, config files and channel links.

    Safe to call again for a retry: config files and links are rewritten, a stale
    ``output/failure`` is removed, ``model/`` and checkpoints are kept. Raises ``OSError``
    (e.g. ``FileNotFoundError`` for a missing channel source) when the folder cannot be made.
    """
    layout = job_layout(request)
    fresh = True  # a folder made just now holds no stale failure file
    # Parents before children: one mkdir call each (Path.mkdir(parents=True) on a new folder
    # first fails, then climbs), which is most of the cost of preparing a job.
    for folder in (
        layout.root,
        layout.input_dir,
        layout.config_dir,
        layout.data_dir,
        layout.model_dir,
        layout.output_dir,
        layout.output_data_dir,
        layout.intermediate_dir,
        layout.logs_dir,
        layout.checkpoint_dir,
    ):
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not folder.is_dir():
                raise
            if folder is layout.root:
                fresh = False
        except FileNotFoundError:
            folder.mkdir(parents=True, exist_ok=True)
    if not fresh:
        layout.failure_file.unlink(missing_ok=True)
    hyperparameters = {k: str(v) for k, v in request.hyperparameters.items()}
    _write_json(layout.config_dir / "hyperparameters.json", hyperparameters)
    _write_json(layout.config_dir / "resourceconfig.json", resource_config(request))
    _write_json(layout.config_dir / "inputdataconfig.json", input_data_config(request))
    for channel in request.channels:
        _link_channel(channel, layout.channel_dir(channel.name))
    return layout


def prepare(request: TrainingJobRequest, parent_env: Mapping[str, str] | None = None) -> LaunchSpec:
    """Write the job folder and return what to run. Raises ``OSError``/``ValueError``."""
    layout = write_job_dir(request)
    argv, cwd = build_argv(request)
    if request.program is not None:
        script = cwd / request.program
        if not script.is_file():
            raise FileNotFoundError(
                f"training program '{request.program}' not found in submit directory {cwd}"
            )
    return LaunchSpec(argv=argv, cwd=cwd, env=build_environment(request, parent_env), layout=layout)
