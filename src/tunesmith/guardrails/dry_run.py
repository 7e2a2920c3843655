"""The dry run: ONE standalone training job through a real executor, before any tuning.

It runs the training job with midpoint (or user-given) hyperparameters, applies every metric
definition to every log line, and reports what each regex matched, the values captured, how
often the objective was printed, lines that look like metrics but matched nothing, and how
long the job took - the standalone test run every tuning user should do by hand.

Guardrails sit below the orchestrator, so the request is built by a caller-supplied
:data:`RequestFactory` (the CLI passes one built on the orchestrator's ``build_request``).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tunesmith.domain.spec import TuningJobSpec
from tunesmith.errors import TunesmithError
from tunesmith.execution.base import (
    Executor,
    JobEvent,
    JobExited,
    LogLine,
    TrainingJobRequest,
)
from tunesmith.metrics.parser import MetricParser, parse_number
from tunesmith.space import SearchSpace

#: (tuned hyperparameters, training job name, job folder, max runtime or None) -> request.
RequestFactory = Callable[[dict[str, str], str, Path, int | None], TrainingJobRequest]

MAX_SHOWN_MATCHES = 20
MAX_LOOKALIKES = 20
#: "name = number", "name: number", "name=number": a line that reports a metric.
LOOKALIKE = re.compile(
    r"(?P<name>[A-Za-z][\w .:/@-]{0,60}?)\s*[:=]\s*"
    r"(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?%?)(?![\w.])"
)
_LABEL_TAIL = re.compile(r"[A-Za-z][\w.:/@-]*(?: [A-Za-z][\w.:/@-]*){0,2}$")
_IGNORED_NAMES = frozenset({"epoch", "step", "iter", "iteration", "batch", "time", "seed"})


@dataclass(frozen=True)
class LineMatch:
    line_number: int  # 1-based, in the order lines were read
    text: str
    raw: str
    value: float | None


@dataclass(frozen=True)
class MetricReport:
    name: str
    regex: str
    matches: list[LineMatch]  # the first MAX_SHOWN_MATCHES
    count: int  # every match

    @property
    def values(self) -> list[float | None]:
        return [m.value for m in self.matches]


@dataclass(frozen=True)
class Lookalike:
    """A log line that looks like it reports a metric but matched no definition."""

    line_number: int
    text: str
    name: str
    value: str
    suggested_regex: str


@dataclass(frozen=True)
class DryRunResult:
    training_job_name: str
    job_dir: Path
    hyperparameters: dict[str, str]  # the tuned (or user-given) values
    duration_seconds: float
    exit_code: int | None
    timed_out: bool
    failure: str | None  # why it did not complete, if it did not
    line_count: int
    objective_name: str
    metrics: list[MetricReport]
    lookalikes: list[Lookalike]
    stderr_tail: str = ""

    @property
    def completed(self) -> bool:
        """The job ran to a clean exit (a shortened run that timed out still counts as run)."""
        return self.failure is None

    @property
    def objective(self) -> MetricReport | None:
        for report in self.metrics:
            if report.name == self.objective_name:
                return report
        return None

    @property
    def objective_count(self) -> int:
        report = self.objective
        return report.count if report else 0

    def to_dict(self) -> dict[str, object]:
        return {
            "TrainingJobName": self.training_job_name,
            "JobDir": str(self.job_dir),
            "HyperParameters": self.hyperparameters,
            "DurationSeconds": round(self.duration_seconds, 3),
            "ExitCode": self.exit_code,
            "TimedOut": self.timed_out,
            "Failure": self.failure,
            "LineCount": self.line_count,
            "Objective": {"MetricName": self.objective_name, "Count": self.objective_count},
            "Metrics": [
                {
                    "Name": r.name,
                    "Regex": r.regex,
                    "Count": r.count,
                    "Matches": [
                        {"Line": m.line_number, "Text": m.text, "Raw": m.raw, "Value": m.value}
                        for m in r.matches
                    ],
                }
                for r in self.metrics
            ],
            "Lookalikes": [
                {"Line": k.line_number, "Text": k.text, "SuggestedRegex": k.suggested_regex}
                for k in self.lookalikes
            ],
        }


def midpoint_hyperparameters(spec: TuningJobSpec) -> dict[str, str]:
    """The middle of every range in its scaled space (the geometric middle of a log range,
    the middle value of a categorical list), as the strings a training job receives."""
    space = SearchSpace.from_ranges(spec.ranges)
    return {p.name: p.format(p.from_unit(0.5)) for p in space.parameters}


def run_dry_run(
    spec: TuningJobSpec,
    executor: Executor,
    request_factory: RequestFactory,
    dry_runs_dir: Path,
    hyperparameters: Mapping[str, str] | None = None,
    max_seconds: int | None = None,
) -> DryRunResult:
    """Run one training job and analyse its log. ``hyperparameters`` override the midpoint
    values; ``max_seconds`` shortens the run (a run stopped there still counts as run)."""
    tuned = midpoint_hyperparameters(spec)
    tuned.update(hyperparameters or {})
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    name = f"{spec.hyper_parameter_tuning_job_name}-dry-run"
    job_dir = dry_runs_dir / f"{spec.hyper_parameter_tuning_job_name}-{stamp}"
    job_dir.mkdir(parents=True, exist_ok=True)
    request = request_factory(tuned, name, job_dir, max_seconds)
    lines, exited, duration = _run(executor, request)
    return analyse(spec, name, job_dir, tuned, lines, exited, duration, max_seconds)


def _run(executor: Executor, request: TrainingJobRequest) -> tuple[list[str], JobExited, float]:
    lines: list[str] = []
    done = threading.Event()
    box: list[JobExited] = []
    lock = threading.Lock()

    def sink(event: JobEvent) -> None:
        with lock:
            if isinstance(event, LogLine):
                lines.append(event.text)
            elif isinstance(event, JobExited):
                box.append(event)
                done.set()

    start = time.monotonic()
    handle = executor.launch(request, sink)
    if not done.wait(request.max_runtime_seconds + 300):
        executor.stop(handle)
        if not done.wait(300):
            raise TunesmithError(f"The dry run {request.training_job_name} did not end")
    duration = time.monotonic() - start
    with lock:
        return list(lines), box[0], duration


def analyse(
    spec: TuningJobSpec,
    name: str,
    job_dir: Path,
    tuned: dict[str, str],
    lines: list[str],
    exited: JobExited,
    duration: float,
    max_seconds: int | None = None,
) -> DryRunResult:
    """Apply the metric definitions to the captured lines (pure; exposed for tests)."""
    definitions = spec.definition.algorithm_specification.metric_definitions
    usable = [(d.name, d.regex) for d in definitions if _compiles(d.regex)]
    parser = MetricParser(usable)
    found: dict[str, list[LineMatch]] = {n: [] for n, _ in usable}
    counts: dict[str, int] = {n: 0 for n, _ in usable}
    lookalikes: list[Lookalike] = []
    for number, text in enumerate(lines, start=1):
        matches = parser.parse(text)
        for match in matches:
            counts[match.name] += 1
            if len(found[match.name]) < MAX_SHOWN_MATCHES:
                found[match.name].append(LineMatch(number, text, match.raw, match.value))
        if not matches and len(lookalikes) < MAX_LOOKALIKES:
            lookalikes += _lookalikes(number, text)[: MAX_LOOKALIKES - len(lookalikes)]
    reports = [MetricReport(n, r, found[n], counts[n]) for n, r in usable]
    return DryRunResult(
        training_job_name=name,
        job_dir=job_dir,
        hyperparameters=tuned,
        duration_seconds=duration,
        exit_code=exited.exit_code,
        timed_out=exited.timed_out,
        failure=_failure(exited, max_seconds),
        line_count=len(lines),
        objective_name=spec.objective.metric_name,
        metrics=reports,
        lookalikes=lookalikes,
        stderr_tail=exited.stderr_tail,
    )


def _failure(exited: JobExited, max_seconds: int | None) -> str | None:
    if exited.launch_error:
        return f"could not start: {exited.launch_error}"
    if exited.internal_error:
        return f"lost by the executor: {exited.internal_error}"
    if exited.timed_out:
        return None if max_seconds else "exceeded its MaxRuntimeInSeconds"
    if exited.exit_code == 0:
        return None
    reason = exited.failure_text or exited.stderr_tail.strip().splitlines()[-1:] or [""]
    text = reason if isinstance(reason, str) else reason[0]
    code = f"exit code {exited.exit_code}" if exited.exit_code is not None else "a signal"
    return f"ended with {code}" + (f": {text}" if text else "")


def _lookalikes(number: int, text: str) -> list[Lookalike]:
    out = []
    for match in LOOKALIKE.finditer(text):
        tail = _LABEL_TAIL.search(match.group("name").strip())
        if tail is None:
            continue
        label = tail.group(0)
        words = label.lower().split()
        if not words or words[-1] in _IGNORED_NAMES or parse_number(label) is not None:
            continue
        regex = re.escape(label) + r"\s*[:=]\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)"
        out.append(Lookalike(number, text, label, match.group("value"), regex))
    return out


def _compiles(regex: str) -> bool:
    try:
        re.compile(regex)
    except re.error:
        return False
    return True
