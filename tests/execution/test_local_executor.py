"""The local executor against real processes: small scripts written into tmp_path."""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tunesmith.execution import process
from tunesmith.execution.base import (
    ChannelSpec,
    JobEvent,
    JobExited,
    JobStarted,
    LogLine,
    TrainingJobRequest,
)
from tunesmith.execution.local import LocalExecutor

pytestmark = pytest.mark.timeout(30)


class Recorder:
    """A thread-safe sink that lets a test wait for what it expects."""

    def __init__(self) -> None:
        self.events: list[JobEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: JobEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[list[JobEvent]], bool], timeout: float = 10) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: predicate(self.events), timeout), self.events

    def wait_line(self, text: str, timeout: float = 10) -> None:
        self.wait_for(lambda evs: any(isinstance(e, LogLine) and e.text == text for e in evs),
                      timeout)  # fmt: skip

    def exited(self, timeout: float = 10) -> JobExited:
        self.wait_for(lambda evs: any(isinstance(e, JobExited) for e in evs), timeout)
        exits = [e for e in self.events if isinstance(e, JobExited)]
        assert len(exits) == 1
        assert self.events[-1] is exits[0], "JobExited must be the last event"
        return exits[0]

    def lines(self, stream: str | None = None) -> list[str]:
        return [e.text for e in self.events
                if isinstance(e, LogLine) and (stream is None or e.stream == stream)]  # fmt: skip


@pytest.fixture
def executor() -> Iterator[LocalExecutor]:
    ex = LocalExecutor(stop_grace_seconds=1.0)
    yield ex
    ex.close()


def script_request(
    tmp_path: Path,
    body: str,
    *,
    name: str = "tune-001-aaaaaaaa",
    hyperparameters: dict[str, str] | None = None,
    max_runtime: int = 60,
    program: str = "train.py",
    **extra: object,
) -> TrainingJobRequest:
    submit = tmp_path / "src"
    submit.mkdir(exist_ok=True)
    script, text = submit / program, textwrap.dedent(body)
    if not script.is_file() or script.read_text() != text:  # never rewrite a running script
        script.write_text(text)
    return TrainingJobRequest(
        training_job_name=name,
        tuning_job_name="tune",
        job_dir=tmp_path / "jobs" / name,
        hyperparameters=hyperparameters or {},
        max_runtime_seconds=max_runtime,
        program=program,
        submit_directory=submit,
        **extra,  # type: ignore[arg-type]
    )


def run(executor: LocalExecutor, request: TrainingJobRequest, timeout: float = 10) -> Recorder:
    recorder = Recorder()
    executor.launch(request, recorder)
    recorder.exited(timeout)
    return recorder


DUMP = """
import json, os, sys
seen = {
    "argv": sys.argv[1:],
    "cwd": os.getcwd(),
    "env": {k: v for k, v in os.environ.items()
            if k.startswith(("SM_", "TRAINING_", "PYTHON", "SAGEMAKER", "CURRENT_", "MY_"))},
}
for ch in json.loads(os.environ["SM_CHANNELS"]):
    folder = os.environ["SM_CHANNEL_" + ch.upper()]
    seen["channel_" + ch] = {f: open(os.path.join(folder, f)).read() for f in os.listdir(folder)}
with open(os.path.join(os.environ["SM_MODEL_DIR"], "seen.json"), "w") as f:
    json.dump(seen, f)
"""


def test_contract_as_the_script_sees_it(tmp_path: Path, executor: LocalExecutor) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text("1,2\n")
    (tmp_path / "valid.csv").write_text("3,4\n")
    hps = {
        "learning_rate": "0.01",
        "epochs": "5",
        "optimizer": "adam",
        "e": "1",
        "use_bias": "true",
        "_tuning_objective_metric": "val_loss",
        "sagemaker_program": "train.py",
        "sagemaker_mpi_enabled": "false",
    }
    request = script_request(
        tmp_path,
        DUMP,
        hyperparameters=hps,
        channels=[
            ChannelSpec("train", data, content_type="text/csv"),
            ChannelSpec("validation", tmp_path / "valid.csv"),
        ],
        environment={"MY_SETTING": "on"},
        instance_type="ml.c5.xlarge",
    )
    exit_event = run(executor, request).exited()
    assert exit_event.exit_code == 0, exit_event
    root = (tmp_path / "jobs" / request.training_job_name).absolute()
    seen = json.loads((root / "model" / "seen.json").read_text())
    env = seen["env"]

    assert seen["argv"] == [
        "-e", "1", "--epochs", "5", "--learning_rate", "0.01", "--optimizer", "adam",
        "--use_bias", "True",
    ]  # fmt: skip
    assert seen["cwd"] == str((tmp_path / "src").absolute())
    assert seen["channel_train"] == {"train.csv": "1,2\n"}
    assert seen["channel_validation"] == {"valid.csv": "3,4\n"}

    assert env["TRAINING_JOB_NAME"] == request.training_job_name
    assert env["TRAINING_JOB_ARN"] == (
        "arn:aws:sagemaker:local:000000000000:training-job/" + request.training_job_name
    )
    assert "SAGEMAKER_BASE_DIR" not in env
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["MY_SETTING"] == "on"
    assert env["SM_MODEL_DIR"] == str(root / "model")
    assert env["SM_INPUT_DIR"] == str(root / "input")
    assert env["SM_INPUT_CONFIG_DIR"] == str(root / "input" / "config")
    assert env["SM_OUTPUT_DIR"] == str(root / "output")
    assert env["SM_OUTPUT_DATA_DIR"] == str(root / "output" / "data")
    assert env["SM_OUTPUT_INTERMEDIATE_DIR"] == str(root / "output" / "intermediate")
    assert env["SM_CHECKPOINT_DIR"] == str(root / "checkpoints")
    assert env["SM_CHANNELS"] == '["train","validation"]'
    assert env["SM_CHANNEL_VALIDATION"] == str(root / "input" / "data" / "validation")
    assert json.loads(env["SM_HPS"]) == {
        "learning_rate": 0.01, "epochs": 5, "optimizer": "adam", "e": 1, "use_bias": True,
    }  # fmt: skip
    assert env["SM_HP_LEARNING_RATE"] == "0.01"
    assert env["SM_HP_OPTIMIZER"] == "adam"
    assert env["SM_HP_USE_BIAS"] == "true"
    assert not any(k.startswith("SM_HP_SAGEMAKER") or k == "SM_HP__TUNING_OBJECTIVE_METRIC"
                   for k in env)  # fmt: skip
    assert env["SM_NUM_CPUS"] == str(os.cpu_count())
    assert env["SM_NUM_GPUS"] == "0"
    assert env["SM_HOSTS"] == '["algo-1"]'
    assert env["SM_CURRENT_HOST"] == "algo-1"
    assert env["SM_CURRENT_INSTANCE_TYPE"] == "ml.c5.xlarge"
    assert env["SM_USER_ENTRY_POINT"] == "train.py"
    assert env["SM_MODULE_DIR"] == str((tmp_path / "src").absolute())
    assert json.loads(env["SM_USER_ARGS"]) == seen["argv"]
    assert json.loads(env["SM_FRAMEWORK_PARAMS"]) == {"sagemaker_mpi_enabled": False}
    assert json.loads(env["SM_RESOURCE_CONFIG"])["current_host"] == "algo-1"
    assert json.loads(env["SM_INPUT_DATA_CONFIG"])["train"]["ContentType"] == "text/csv"
    training_env = json.loads(env["SM_TRAINING_ENV"])
    assert training_env["hyperparameters"]["learning_rate"] == 0.01
    assert training_env["channel_input_dirs"]["train"] == env["SM_CHANNEL_TRAIN"]
    assert training_env["job_name"] == request.training_job_name

    config = root / "input" / "config"
    written = json.loads((config / "hyperparameters.json").read_text())
    assert written == hps and all(isinstance(v, str) for v in written.values())
    assert (root / "checkpoints").is_dir()


def test_bring_your_own_command(tmp_path: Path, executor: LocalExecutor) -> None:
    script = tmp_path / "entry.py"
    script.write_text("import os, sys\nprint(sys.argv[1:])\nprint(os.getcwd())\n")
    request = TrainingJobRequest(
        training_job_name="byo-1",
        tuning_job_name="tune",
        job_dir=tmp_path / "job",
        hyperparameters={"lr": "0.1"},
        max_runtime_seconds=60,
        entrypoint=[sys.executable, str(script)],
        arguments=["train", "--fast"],
    )
    recorder = run(executor, request)
    assert recorder.exited().exit_code == 0
    assert recorder.lines() == [
        "['train', '--fast']",
        str((tmp_path / "job").absolute()),
    ]
    assert isinstance(recorder.events[0], JobStarted)
    assert recorder.events[0].pid


def gated_request(tmp_path: Path, first: str, then: str = "") -> tuple[TrainingJobRequest, Path]:
    """A job that prints ``first``, waits until the returned gate file exists, then prints
    ``then`` (if given) and exits."""
    gate = tmp_path / "gate"
    after = f"print({then!r})" if then else ""
    body = f"""
        import os, time
        print({first!r})
        while not os.path.exists({str(gate)!r}):
            time.sleep(0.01)
        {after}
        """
    return script_request(tmp_path, body), gate


def test_lines_arrive_while_the_process_runs(tmp_path: Path, executor: LocalExecutor) -> None:
    request, gate = gated_request(tmp_path, "epoch=1 val_loss=0.5", "done")
    recorder = Recorder()
    executor.launch(request, recorder)
    recorder.wait_line("epoch=1 val_loss=0.5")
    assert not any(isinstance(e, JobExited) for e in recorder.events)
    gate.touch()
    assert recorder.exited().exit_code == 0
    assert recorder.lines() == ["epoch=1 val_loss=0.5", "done"]


class TimedRecorder(Recorder):
    """A Recorder that also notes when each event reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[float] = []

    def __call__(self, event: JobEvent) -> None:
        with self._cond:
            self.received.append(time.monotonic())
        super().__call__(event)


def test_a_short_job_reaches_the_sink_in_one_burst(
    tmp_path: Path, executor: LocalExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held up to 5 s, a job that ends in a fraction of that hands its start, lines and end on
    # together when it ends: one wake-up of the consumer, not one an event.
    monkeypatch.setattr(process, "EVENT_HOLD_SECONDS", 5.0)
    request = script_request(tmp_path, 'print("a")\nprint("b")\nimport time; time.sleep(0.5)\n')
    recorder = TimedRecorder()
    launched = time.monotonic()
    executor.launch(request, recorder)
    assert recorder.exited().exit_code == 0
    assert [type(e) for e in recorder.events] == [JobStarted, LogLine, LogLine, JobExited]
    assert recorder.received[0] - launched >= 0.5  # nothing before the job ended...
    assert recorder.received[-1] - recorder.received[0] < 0.2  # ...then everything at once
    assert recorder.received[-1] - launched < 4  # released by the end, not by the hold


def test_a_long_job_s_lines_are_held_briefly(
    tmp_path: Path, executor: LocalExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process, "EVENT_HOLD_SECONDS", 0.3)
    request, gate = gated_request(tmp_path, "epoch=1")
    recorder = TimedRecorder()
    launched = time.monotonic()
    executor.launch(request, recorder)
    recorder.wait_line("epoch=1")  # while the job still runs
    assert not any(isinstance(e, JobExited) for e in recorder.events)
    assert recorder.received[0] - launched >= 0.3 - 0.01  # the start was held with the line
    gate.touch()
    assert recorder.exited().exit_code == 0


def test_the_log_is_watched_only_once_the_first_hold_ends(
    tmp_path: Path, executor: LocalExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A job that ends within the hold costs no watch (and no wake-up for its lines): its log
    # is read at its end. One that runs on is watched from the end of the hold, and lines it
    # prints later still arrive while it runs.
    monkeypatch.setattr(process, "EVENT_HOLD_SECONDS", 2.0)
    watched: list[Path] = []
    watch = process.JobLoop.watch

    def counting_watch(self: process.JobLoop, path: Path, callback: Callable[[], None]) -> object:
        watched.append(path)
        return watch(self, path, callback)

    monkeypatch.setattr(process.JobLoop, "watch", counting_watch)
    short = script_request(tmp_path, 'print("quick=1")\n', name="tune-001-short000")
    recorder = Recorder()
    executor.launch(short, recorder)
    assert recorder.exited().exit_code == 0
    assert recorder.lines() == ["quick=1"]
    assert watched == []

    monkeypatch.setattr(process, "EVENT_HOLD_SECONDS", 0.2)
    request, gate = gated_request(tmp_path, "epoch=1", then="epoch=2")
    gated = Recorder()
    executor.launch(request, gated)
    gated.wait_line("epoch=1")  # read when the hold ended, while the job waits on its gate
    assert len(watched) == 1
    gate.touch()
    gated.wait_line("epoch=2")
    assert gated.exited().exit_code == 0
    assert gated.lines() == ["epoch=1", "epoch=2"]


def test_carriage_returns_and_log_file(tmp_path: Path, executor: LocalExecutor) -> None:
    request = script_request(
        tmp_path,
        r"""
        import sys
        sys.stdout.write("10%\r50%\r100%\n")
        sys.stdout.write("windows\r\n")
        sys.stdout.flush()
        sys.stderr.write("warn\n")
        sys.stderr.flush()
        sys.stdout.write("line")
        """,
    )
    recorder = run(executor, request)
    # stdout and stderr share the log file, in the order they were written.
    assert recorder.lines() == ["10%", "50%", "100%", "windows", "warn", "line"]
    assert {e.stream for e in recorder.events if isinstance(e, LogLine)} == {"output"}
    log = (tmp_path / "jobs" / request.training_job_name / "logs" / "training.log").read_bytes()
    assert log == b"10%\r50%\r100%\nwindows\r\nwarn\nline"


def test_a_one_megabyte_line(tmp_path: Path, executor: LocalExecutor) -> None:
    request = script_request(
        tmp_path,
        """
        import sys
        sys.stdout.write("x" * 1_000_000 + "\\n")
        print("after")
        """,
    )
    recorder = run(executor, request)
    lines = recorder.lines()
    assert len(lines[0]) == 64 * 1024
    assert lines[1:] == ["after"]
    log = (tmp_path / "jobs" / request.training_job_name / "logs" / "training.log").read_bytes()
    assert log == b"x" * 1_000_000 + b"\nafter\n"


def test_invalid_utf8_is_replaced(tmp_path: Path, executor: LocalExecutor) -> None:
    request = script_request(
        tmp_path,
        """
        import sys
        sys.stdout.buffer.write(b"loss=\\xff\\xfe 0.3\\n")
        """,
    )
    recorder = run(executor, request)
    assert recorder.lines() == ["loss=\ufffd\ufffd 0.3"]


def test_crash_keeps_the_traceback(tmp_path: Path, executor: LocalExecutor) -> None:
    request = script_request(tmp_path, "print('start')\nraise ValueError('bad learning rate')\n")
    exit_event = run(executor, request).exited()
    assert exit_event.exit_code == 1
    assert exit_event.signal is None
    assert not exit_event.stop_requested
    assert "Traceback (most recent call last)" in exit_event.stderr_tail
    assert exit_event.stderr_tail.endswith("ValueError: bad learning rate")


def test_stderr_tail_keeps_the_last_lines(tmp_path: Path, executor: LocalExecutor) -> None:
    request = script_request(
        tmp_path,
        r"""
        import sys
        for i in range(100):
            sys.stderr.write(f"progress {i}%\r")
        sys.stderr.write("\n")
        for i in range(30):
            print(f"err {i}", file=sys.stderr)
        sys.exit(3)
        """,
    )
    exit_event = run(executor, request).exited()
    assert exit_event.exit_code == 3
    tail = exit_event.stderr_tail.split("\n")
    assert len(tail) == 20
    assert tail[-1] == "err 29"


def test_failure_file_is_the_reason(tmp_path: Path, executor: LocalExecutor) -> None:
    request = script_request(
        tmp_path,
        """
        import os, sys
        with open(os.path.join(os.environ["SM_OUTPUT_DIR"], "failure"), "w") as f:
            f.write("ValueError: column 'y' missing" + "!" * 2000)
        sys.exit(2)
        """,
    )
    exit_event = run(executor, request).exited()
    assert exit_event.exit_code == 2
    assert exit_event.failure_text is not None
    assert exit_event.failure_text.startswith("ValueError: column 'y' missing")
    assert len(exit_event.failure_text) == 1024


def test_failure_file_of_a_job_that_exits_0_is_ignored(
    tmp_path: Path, executor: LocalExecutor
) -> None:
    """Exit code 0 is success whatever output/failure says (a leftover, or a warning file)."""
    request = script_request(
        tmp_path,
        """
        import os
        with open(os.path.join(os.environ["SM_OUTPUT_DIR"], "failure"), "w") as f:
            f.write("not really a failure")
        print("loss=0.1")
        """,
    )
    exit_event = run(executor, request).exited()
    assert exit_event.exit_code == 0
    assert exit_event.failure_text is None


def test_max_runtime_stops_the_job(tmp_path: Path, executor: LocalExecutor) -> None:
    request = script_request(tmp_path, "import time\nprint('go')\ntime.sleep(60)\n", max_runtime=1)
    started = time.monotonic()
    exit_event = run(executor, request).exited()
    assert time.monotonic() - started < 5
    assert exit_event.timed_out
    assert not exit_event.stop_requested
    assert exit_event.exit_code is None
    assert exit_event.signal == signal.SIGTERM


IGNORES_SIGTERM = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(60)
"""


def test_sigkill_after_the_grace_period(tmp_path: Path) -> None:
    executor = LocalExecutor(stop_grace_seconds=0.5)
    try:
        recorder = Recorder()
        job = executor.launch(script_request(tmp_path, IGNORES_SIGTERM), recorder)
        recorder.wait_line("ready")
        started = time.monotonic()
        executor.stop(job)
        exit_event = recorder.exited()
        assert 0.4 < time.monotonic() - started < 5
        assert exit_event.signal == signal.SIGKILL
        assert exit_event.stop_requested
    finally:
        executor.close()


def test_stop_is_idempotent(tmp_path: Path, executor: LocalExecutor) -> None:
    recorder = Recorder()
    job = executor.launch(script_request(tmp_path, "import time\nprint('ready')\ntime.sleep(60)\n"),
                          recorder)  # fmt: skip
    recorder.wait_line("ready")
    executor.stop(job)
    executor.stop(job)
    exit_event = recorder.exited()
    assert exit_event.stop_requested
    assert exit_event.signal == signal.SIGTERM
    assert not exit_event.timed_out
    executor.stop(job)  # after the exit: nothing happens
    assert len([e for e in recorder.events if isinstance(e, JobExited)]) == 1


def test_graceful_sigterm_handler_exit_code(tmp_path: Path, executor: LocalExecutor) -> None:
    body = """
    import signal, sys, time
    def bye(*_):
        print("saving checkpoint", flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, bye)
    print("ready", flush=True)
    time.sleep(60)
    """
    recorder = Recorder()
    job = executor.launch(script_request(tmp_path, body), recorder)
    recorder.wait_line("ready")
    executor.stop(job)
    exit_event = recorder.exited()
    assert exit_event.exit_code == 0
    assert exit_event.stop_requested
    assert "saving checkpoint" in recorder.lines()


def test_stop_right_after_launch(tmp_path: Path, executor: LocalExecutor) -> None:
    recorder = Recorder()
    job = executor.launch(script_request(tmp_path, "import time\ntime.sleep(60)\n"), recorder)
    executor.stop(job)
    exit_event = recorder.exited()
    assert exit_event.stop_requested
    assert exit_event.exit_code is None


def test_killed_from_outside(tmp_path: Path, executor: LocalExecutor) -> None:
    recorder = Recorder()
    job = executor.launch(script_request(tmp_path, "import time\nprint('ready')\ntime.sleep(60)\n"),
                          recorder)  # fmt: skip
    recorder.wait_line("ready")
    assert job.pid is not None
    os.kill(job.pid, signal.SIGKILL)
    exit_event = recorder.exited()
    assert exit_event.exit_code is None
    assert exit_event.signal == signal.SIGKILL
    assert not exit_event.stop_requested
    assert not exit_event.timed_out


def test_missing_program_is_a_launch_error(tmp_path: Path, executor: LocalExecutor) -> None:
    request = script_request(tmp_path, "print('x')\n")
    request = TrainingJobRequest(**{**request.__dict__, "program": "nope.py"})
    recorder = run(executor, request)
    exit_event = recorder.exited()
    assert exit_event.launch_error is not None
    assert "nope.py" in exit_event.launch_error
    assert exit_event.exit_code is None
    assert not any(isinstance(e, JobStarted) for e in recorder.events)


@pytest.mark.parametrize("kind", ["missing", "not-executable"])
def test_bad_entrypoint_is_a_launch_error(
    tmp_path: Path, executor: LocalExecutor, kind: str
) -> None:
    target = tmp_path / "run.sh"
    if kind == "not-executable":
        target.write_text("#!/bin/sh\necho hi\n")
        target.chmod(0o644)
    request = TrainingJobRequest(
        training_job_name="byo-bad",
        tuning_job_name="tune",
        job_dir=tmp_path / "job",
        hyperparameters={},
        max_runtime_seconds=60,
        entrypoint=[str(target)],
    )
    exit_event = run(executor, request).exited()
    assert exit_event.launch_error is not None
    assert str(target) in exit_event.launch_error


def test_background_child_does_not_keep_the_job_alive(
    tmp_path: Path, executor: LocalExecutor
) -> None:
    request = script_request(
        tmp_path,
        """
        import subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        print(child.pid, flush=True)
        """,
    )
    started = time.monotonic()
    recorder = run(executor, request)
    assert recorder.exited().exit_code == 0
    assert time.monotonic() - started < 10  # neither the drain timeout nor the child's sleep
    child_pid = int(recorder.lines()[0])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(child_pid):
        time.sleep(0.01)
    assert not _alive(child_pid)


def test_a_child_that_left_the_group_cannot_hold_the_job(
    tmp_path: Path, executor: LocalExecutor
) -> None:
    request = script_request(
        tmp_path,
        """
        import subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                                 start_new_session=True)
        print(child.pid, flush=True)
        """,
    )
    recorder = run(executor, request)
    child_pid = int(recorder.lines()[0])
    try:
        assert recorder.exited().exit_code == 0
    finally:
        os.kill(child_pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for its (new) parent to reap it no longer runs.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return True


def test_close_stops_running_jobs(tmp_path: Path) -> None:
    executor = LocalExecutor(stop_grace_seconds=1.0)
    recorders = []
    for i in range(3):
        request = script_request(tmp_path, "import time\nprint('ready')\ntime.sleep(60)\n",
                                 name=f"tune-00{i}-aaaaaaaa")  # fmt: skip
        recorder = Recorder()
        executor.launch(request, recorder)
        recorders.append(recorder)
    for recorder in recorders:
        recorder.wait_line("ready")
    started = time.monotonic()
    executor.close()
    assert time.monotonic() - started < 5
    for recorder in recorders:
        exits = [e for e in recorder.events if isinstance(e, JobExited)]
        assert len(exits) == 1 and exits[0].stop_requested
    assert executor.running() == []


def test_a_failing_sink_does_not_stall_the_job(tmp_path: Path, executor: LocalExecutor) -> None:
    seen: list[JobEvent] = []

    def sink(event: JobEvent) -> None:
        seen.append(event)
        raise RuntimeError("sink bug")

    request = script_request(tmp_path, "for i in range(1000):\n    print(i)\n")
    job = executor.launch(request, sink)
    assert job.wait(10)
    assert isinstance(seen[-1], JobExited) and seen[-1].exit_code == 0
    assert sum(isinstance(e, LogLine) for e in seen) == 1000
