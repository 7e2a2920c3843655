"""The job folder and the values a training process is given, without running anything."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tunesmith.execution.base import ChannelSpec, TrainingJobRequest
from tunesmith.execution.jobdir import (
    build_argv,
    build_environment,
    decode_value,
    job_layout,
    prepare,
    split_hyperparameters,
    to_cmd_args,
    write_job_dir,
)


def _request(tmp_path: Path, **overrides: object) -> TrainingJobRequest:
    submit = tmp_path / "src"
    submit.mkdir(exist_ok=True)
    (submit / "train.py").write_text("print('hi')\n")
    fields: dict[str, object] = {
        "training_job_name": "tune-001-abcdef12",
        "tuning_job_name": "tune",
        "job_dir": tmp_path / "job",
        "hyperparameters": {"lr": "0.1", "epochs": "3"},
        "max_runtime_seconds": 60,
        "program": "train.py",
        "submit_directory": submit,
    }
    fields.update(overrides)
    return TrainingJobRequest(**fields)  # type: ignore[arg-type]


def test_decode_value_follows_json_else_keeps_text() -> None:
    assert decode_value("3") == 3
    assert decode_value("0.5") == 0.5
    assert decode_value("true") is True
    assert decode_value('{"a": 1}') == {"a": 1}
    assert decode_value("adam") == "adam"
    assert decode_value("") == ""


def test_split_removes_reserved_and_collects_framework_params() -> None:
    user, framework = split_hyperparameters(
        {
            "lr": "0.1",
            "_tuning_objective_metric": "val_loss",
            "sagemaker_program": "train.py",
            "sagemaker_submit_directory": "/x",
            "sagemaker_region": "us-east-1",
            "sagemaker_mpi_enabled": "false",
        }
    )
    assert user == {"lr": 0.1}
    assert framework == {"sagemaker_mpi_enabled": False}


def test_to_cmd_args_rules() -> None:
    args = to_cmd_args(
        {
            "zeta": "adam",
            "b": True,
            "alpha": 0.5,
            "opts": {"y": 2, "x": 1},
            "layers": [1, 2],
            "none": None,
        }
    )
    assert args == [
        "--alpha", "0.5",
        "-b", "True",
        "--layers", "[1, 2]",
        "--none", "",
        "--opts", "x=1,y=2",
        "--zeta", "adam",
    ]  # fmt: skip


def test_script_mode_argv_and_cwd(tmp_path: Path) -> None:
    request = _request(
        tmp_path,
        hyperparameters={"lr": "0.1", "epochs": "3", "_tuning_objective_metric": "m", "x": "true"},
    )
    argv, cwd = build_argv(request)
    submit = (tmp_path / "src").absolute()
    assert argv == [
        sys.executable,
        str(submit / "train.py"),
        "--epochs",
        "3",
        "--lr",
        "0.1",
        "-x",
        "True",
    ]
    assert cwd == submit


def test_shell_program_runs_with_sh(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.sh").write_text("echo hi\n")
    argv, _ = build_argv(_request(tmp_path, program="train.sh", hyperparameters={}))
    assert argv == ["/bin/sh", str((tmp_path / "src" / "train.sh").absolute())]


def test_byo_argv_is_entrypoint_plus_arguments(tmp_path: Path) -> None:
    request = _request(
        tmp_path, program=None, submit_directory=None, entrypoint=["/bin/echo", "a"],
        arguments=["--b", "c"],
    )  # fmt: skip
    argv, cwd = build_argv(request)
    assert argv == ["/bin/echo", "a", "--b", "c"]
    assert cwd == (tmp_path / "job").absolute()


def test_request_without_program_or_entrypoint_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        build_argv(_request(tmp_path, program=None, submit_directory=None))


def test_environment_values(tmp_path: Path) -> None:
    request = _request(
        tmp_path,
        hyperparameters={"lr": "0.1", "name": "adam", "_tuning_objective_metric": "m"},
        environment={"CUDA_VISIBLE_DEVICES": "0,1", "MY_VAR": "x", "SM_MODEL_DIR": "/nope"},
        channels=[ChannelSpec("train", tmp_path)],
        instance_type="ml.m5.xlarge",
    )
    parent = {"PATH": "/usr/bin", "SM_CHANNEL_OLD": "/leak", "PYTHONPATH": "/p"}
    env = build_environment(request, parent)
    root = (tmp_path / "job").absolute()
    assert env["PATH"] == "/usr/bin"
    assert "SM_CHANNEL_OLD" not in env
    assert env["MY_VAR"] == "x"
    assert env["SM_MODEL_DIR"] == str(root / "model")
    assert env["SM_HP_LR"] == "0.1"
    assert env["SM_HP_NAME"] == "adam"
    assert "SM_HP__TUNING_OBJECTIVE_METRIC" not in env
    assert json.loads(env["SM_HPS"]) == {"lr": 0.1, "name": "adam"}
    assert env["SM_NUM_GPUS"] == "2"
    assert env["SM_CURRENT_INSTANCE_TYPE"] == "ml.m5.xlarge"
    assert env["SM_CHANNEL_TRAIN"] == str(root / "input" / "data" / "train")
    assert env["TRAINING_JOB_ARN"].endswith(":training-job/tune-001-abcdef12")
    assert env["PYTHONPATH"].split(":") == [str((tmp_path / "src").absolute()), "/p"]
    assert "SAGEMAKER_BASE_DIR" not in env


def test_cuda_visible_devices_edge_cases(tmp_path: Path) -> None:
    for value, expected in [("", "0"), ("-1", "0"), ("0,-1,2", "1"), ("GPU-abc", "1")]:
        env = build_environment(_request(tmp_path, environment={"CUDA_VISIBLE_DEVICES": value}), {})
        assert env["SM_NUM_GPUS"] == expected, value


def test_write_job_dir_files_and_channels(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "a.csv").write_text("1,2\n")
    one_file = tmp_path / "valid.csv"
    one_file.write_text("3,4\n")
    request = _request(
        tmp_path,
        channels=[
            ChannelSpec("train", data_dir, content_type="text/csv"),
            ChannelSpec("validation", one_file),
        ],
        hyperparameters={"lr": "0.1"},
    )
    layout = write_job_dir(request)
    config = layout.config_dir
    assert json.loads((config / "hyperparameters.json").read_text()) == {"lr": "0.1"}
    assert json.loads((config / "inputdataconfig.json").read_text()) == {
        "train": {
            "ContentType": "text/csv",
            "TrainingInputMode": "File",
            "S3DistributionType": "FullyReplicated",
            "RecordWrapperType": "None",
        },
        "validation": {
            "TrainingInputMode": "File",
            "S3DistributionType": "FullyReplicated",
            "RecordWrapperType": "None",
        },
    }
    resources = json.loads((config / "resourceconfig.json").read_text())
    assert resources["current_host"] == "algo-1"
    assert resources["hosts"] == ["algo-1"]
    assert resources["network_interface_name"] == "lo"
    assert resources["instance_groups"][0]["hosts"] == ["algo-1"]
    assert (layout.channel_dir("train") / "a.csv").read_text() == "1,2\n"
    assert (layout.channel_dir("validation") / "valid.csv").read_text() == "3,4\n"
    for folder in (layout.model_dir, layout.output_data_dir, layout.intermediate_dir,
                   layout.checkpoint_dir, layout.logs_dir):  # fmt: skip
        assert folder.is_dir()
    # A retry rewrites the folder and removes a stale failure file.
    layout.failure_file.write_text("old failure")
    write_job_dir(request)
    assert not layout.failure_file.exists()
    assert (layout.channel_dir("validation") / "valid.csv").exists()


def test_custom_checkpoint_path(tmp_path: Path) -> None:
    request = _request(tmp_path, checkpoint_local_path=tmp_path / "ckpt")
    assert job_layout(request).checkpoint_dir == (tmp_path / "ckpt").absolute()
    env = build_environment(request, {})
    assert env["SM_CHECKPOINT_DIR"] == str((tmp_path / "ckpt").absolute())


def test_missing_channel_source_and_bad_names(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="train"):
        write_job_dir(_request(tmp_path, channels=[ChannelSpec("train", tmp_path / "nope")]))
    for bad in ("..", "a/b"):
        with pytest.raises(ValueError):
            write_job_dir(_request(tmp_path, channels=[ChannelSpec(bad, tmp_path)]))


def test_prepare_rejects_missing_program(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing\.py"):
        prepare(_request(tmp_path, program="missing.py"))
