"""What runs inside the Ray cluster for the Ray executor; imported on the nodes.

* :func:`run_job` is the Ray *task* body: one training job on whichever node Ray placed it,
  through the same :mod:`~tunesmith.execution.jobdir` and :class:`ProcessJob` code as the local
  executor, so the container contract is identical. Tasks (not actors) let Ray reuse its idle
  worker processes, so a job costs a task submission, not a new Python interpreter.
* :class:`Mailbox` is one small async actor per executor: tasks push batches of job events to
  it, the controller long-polls it per job, and stop requests travel the other way. A batch is
  pushed as soon as the previous push returned, so lines reach the controller about one actor
  call (about a millisecond on a LAN) after the process wrote them, with no polling interval.

Nothing here imports Ray at module level except inside functions that only run on a node.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import shutil
import tarfile
import tempfile
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

from tunesmith.execution import jobdir
from tunesmith.execution.base import JobEvent, JobExited, TrainingJobRequest
from tunesmith.execution.process import LaunchPlan, ProcessJob

#: Sub-folders of a job folder that come back to the controller in copy mode.
ARTIFACT_FOLDERS = ("model", "output", "logs")
#: A marker file the controller writes into the job folder; a node that reads the same token
#: sees the controller's filesystem at the same path.
TOKEN_FILE = ".tunesmith-node-token"
_SETPRIV = shutil.which("setpriv")


@dataclasses.dataclass(frozen=True)
class Placed:
    """First message of every job: Ray started the task on this node."""

    node_id: str
    node_ip: str
    hostname: str


class Mailbox:
    """Per-job event queues and stop flags (an async Ray actor: every call is a coroutine)."""

    def __init__(self) -> None:
        self._events: dict[str, list[Any]] = defaultdict(list)
        self._arrived: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._stop: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._done: set[str] = set()

    async def push(self, job: str, events: list[Any]) -> None:
        self._events[job].extend(events)
        if any(isinstance(e, JobExited) for e in events):
            self._done.add(job)
            self._stop[job].set()  # releases the task's stop watcher
        self._arrived[job].set()

    async def pull(self, job: str, timeout: float) -> list[Any]:
        """Events pushed since the last pull; waits up to ``timeout`` for at least one."""
        arrived = self._arrived[job]
        if not self._events[job]:
            try:
                await asyncio.wait_for(arrived.wait(), timeout)
            except TimeoutError:
                return []
        arrived.clear()
        events, self._events[job] = self._events[job], []
        return events

    async def request_stop(self, job: str) -> None:
        self._stop[job].set()

    async def wait_stop(self, job: str, timeout: float) -> bool:
        """True once a stop was requested; False at timeout or when the job is over."""
        try:
            await asyncio.wait_for(self._stop[job].wait(), timeout)
        except TimeoutError:
            return False
        return job not in self._done

    async def forget(self, job: str) -> None:
        for table in (self._events, self._arrived, self._stop):
            table.pop(job, None)  # type: ignore[attr-defined]
        self._done.discard(job)


class _Pusher:
    """Buffers events from the job's threads and pushes them to the mailbox in batches."""

    def __init__(self, mailbox: Any, job: str):
        self._mailbox = mailbox
        self._job = job
        self._buffer: list[Any] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=f"push-{job}", daemon=True)
        self._thread.start()

    def __call__(self, event: Any) -> None:
        with self._cond:
            self._buffer.append(event)
            self._cond.notify()

    def _loop(self) -> None:
        import ray

        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._buffer or self._closed)
                batch, self._buffer = self._buffer, []
                closed = self._closed
            if batch:
                ray.get(self._mailbox.push.remote(self._job, batch))
            if closed and not batch:
                return

    def close(self) -> None:
        """Push what is left and wait for it: the last push carries JobExited."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()


def _pack(root: Path, names: tuple[str, ...]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in names:
            if (root / name).exists():
                tar.add(root / name, arcname=name)
    return buffer.getvalue()


def pack_folder(folder: Path) -> bytes:
    """A gzip'd tar of a folder's contents (the code shipped to nodes in copy mode)."""
    folder = Path(folder)
    return _pack(folder, tuple(sorted(p.name for p in folder.iterdir())))


def unpack(data: bytes, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(target, filter="data")


def run_job(
    request: TrainingJobRequest,
    mailbox: Any,
    stop_grace_seconds: float,
    shared: bool,
    token: str | None,
    code: bytes | None,
) -> bytes | None:
    """Run one training job on this node; returns the packed artifacts in copy mode."""
    import ray

    context = ray.get_runtime_context()
    node_id = context.get_node_id()
    node_ip = ray.util.get_node_ip_address()
    name = request.training_job_name
    pusher = _Pusher(mailbox, name)
    pusher(Placed(node_id, node_ip, os.uname().nodename))
    scratch: Path | None = None
    env = dict(request.environment)
    env["TUNESMITH_RAY_NODE_ID"] = node_id
    env["TUNESMITH_RAY_NODE_IP"] = node_ip
    gpu_ids = [str(g) for g in ray.get_gpu_ids()]
    if gpu_ids:
        env["CUDA_VISIBLE_DEVICES"] = ",".join(gpu_ids)
    local = dataclasses.replace(request, environment=env)
    if not shared:
        scratch = Path(tempfile.mkdtemp(prefix="tunesmith-job-"))
        submit = scratch / "code"
        if code is not None:
            unpack(code, submit)
        local = dataclasses.replace(
            local,
            job_dir=scratch / "job",
            submit_directory=submit if request.program is not None else None,
            checkpoint_local_path=None,
        )

    def plan() -> LaunchPlan:
        if shared and token is not None:
            seen = Path(request.job_dir) / TOKEN_FILE
            try:
                visible = seen.read_text(encoding="utf-8") == token
            except OSError:
                visible = False
            if not visible:
                raise ValueError(
                    f"the job folder {request.job_dir} is not shared with Ray node {node_ip}: "
                    "mount it at the same path on every node, or set TUNESMITH_RAY_SHARED_FS=0 "
                    "to copy code and artifacts through Ray"
                )
        spec = jobdir.prepare(local, None)
        argv = spec.argv
        if _SETPRIV is not None:
            # The training process dies with this worker (a node that dies takes its jobs).
            argv = [_SETPRIV, "--pdeathsig", "KILL", "--", *argv]
        return LaunchPlan(
            argv=argv,
            cwd=spec.cwd,
            env=spec.env,
            log_file=spec.layout.log_file,
            failure_file=spec.layout.failure_file,
        )

    events: list[JobEvent] = []

    def sink(event: JobEvent) -> None:
        events.append(event) if isinstance(event, JobExited) else None
        pusher(event)

    job = ProcessJob(
        name,
        plan,
        sink,
        max_runtime_seconds=request.max_runtime_seconds,
        stop_grace_seconds=stop_grace_seconds,
    )
    watcher = threading.Thread(
        target=_watch_stop, args=(mailbox, job), name=f"stop-{name}", daemon=True
    )
    job.start()
    watcher.start()
    while True:
        try:
            job.wait()
            break
        except KeyboardInterrupt:  # ray.cancel() raced with placement: treat it as a stop
            job.stop()
    pusher.close()
    if scratch is None:
        return None
    try:
        return _pack(scratch / "job", ARTIFACT_FOLDERS)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _watch_stop(mailbox: Any, job: ProcessJob) -> None:
    import ray

    while not job.done:
        try:
            if ray.get(mailbox.wait_stop.remote(job.training_job_name, 30.0)):
                job.stop()
                return
        except Exception:  # the mailbox is gone: the controller went away, stop the job
            job.stop()
            return
