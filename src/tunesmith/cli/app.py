"""The ``tunesmith`` command line: tune, list, describe, leaderboard, logs, stop."""

from __future__ import annotations

import dataclasses
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from tunesmith.cli import render
from tunesmith.cli.guardrails_cmd import register as register_guardrails
from tunesmith.cli.progress_view import ProgressView
from tunesmith.domain.enums import TuningJobStatus
from tunesmith.domain.parse import load_document
from tunesmith.errors import ResourceNotFoundError, SpecValidationError, TunesmithError
from tunesmith.guardrails import CheckContext, diagnose, has_errors
from tunesmith.orchestrator.controller import TuningJobController
from tunesmith.orchestrator.service import TuningService
from tunesmith.settings import Settings

app = typer.Typer(
    name="tunesmith",
    help=(
        "Hyperparameter tuning jobs the SageMaker way, on your own machine.\n\n"
        "State (store, logs, artifacts) lives in $TUNESMITH_HOME (default ./.tunesmith)."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)
console = Console()
if not console.is_terminal:  # logs and CI: wide enough for the leaderboard
    console = Console(width=max(console.width, 160))
err_console = Console(stderr=True)

EXIT_FAILED = 1
EXIT_STOPPED = 2
EXIT_INVALID = 3
EXIT_LEFT_RUNNING = 4


class OnInterrupt(StrEnum):
    ask = "ask"
    stop = "stop"
    leave = "leave"


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


ExecutorOption = Annotated[
    str | None,
    typer.Option("--executor", help="local (default) or ray; default $TUNESMITH_EXECUTOR."),
]
RayAddressOption = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="auto, ray://host:10001 or host:6379; default $TUNESMITH_RAY_ADDRESS, else a "
        "local Ray instance.",
    ),
]

OnInterruptOption = Annotated[
    OnInterrupt,
    typer.Option(
        "--on-interrupt",
        help="What the first Ctrl-C does: stop the running training jobs, leave them running "
        "for a later `tunesmith resume`, or ask (the default; stop when stdin is not a "
        "terminal).",
    ),
]


@contextmanager
def _service(
    executor: str | None = None, ray_address: str | None = None
) -> Iterator[TuningService]:
    settings = Settings.from_env()
    if executor:
        settings = dataclasses.replace(settings, executor=executor)
    if ray_address:
        settings = dataclasses.replace(settings, ray_address=ray_address)
    service = TuningService(settings)
    try:
        yield service
    except SpecValidationError as exc:
        err_console.print(f"[bold red]Invalid spec[/]: {len(exc.problems)} problem(s)")
        for problem in exc.problems:
            err_console.print(f"  - {problem.render()}", markup=False, highlight=False)
        err_console.print("Nothing was created.")
        raise typer.Exit(EXIT_INVALID) from None
    except TunesmithError as exc:
        err_console.print(f"[bold red]Error[/]: {exc}", highlight=False)
        raise typer.Exit(EXIT_FAILED) from None
    finally:
        service.close()


@app.command(
    epilog=(
        "Examples:\n\n"
        "  tunesmith tune examples/quickstart/tuning.yaml\n\n"
        "  tunesmith tune request.json --name my-run-2\n\n"
        "  tunesmith tune spec.yaml --executor ray --ray-address auto\n\n"
        "  tunesmith tune spec.yaml --validate-only"
    )
)
def tune(
    spec: Annotated[
        Path, typer.Argument(help="Spec file: PascalCase request or snake_case form, YAML or JSON.")
    ],
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Tuning job name (overrides the spec).")
    ] = None,
    validate_only: Annotated[
        bool, typer.Option("--validate-only", help="Check the spec and exit; create nothing.")
    ] = False,
    ignore_findings: Annotated[
        bool,
        typer.Option(
            "--ignore-findings", help="Run even when the doctor's static checks find errors."
        ),
    ] = False,
    accept_changed_parents: Annotated[
        bool,
        typer.Option(
            "--accept-changed-parents",
            help="Warm start IdenticalDataAndAlgorithm even though the code or data changed.",
        ),
    ] = False,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
    on_interrupt: OnInterruptOption = OnInterrupt.ask,
) -> None:
    """Validate SPEC, create the tuning job and run it to the end with live progress.

    Blocks until the tuning job ends. Exit status: 0 Completed, 1 Failed, 2 Stopped,
    3 invalid spec, 4 left running (Ctrl-C, "leave"). The first Ctrl-C asks whether to stop
    the running training jobs cleanly or leave them running for `tunesmith resume`
    (see --on-interrupt); a second Ctrl-C interrupts at once.
    """
    with _service(executor, ray_address) as service:
        try:
            text = spec.read_text(encoding="utf-8")
        except OSError as exc:
            raise TunesmithError(f"Cannot read spec file {spec}: {exc.strerror}") from None
        document = load_document(text, source=str(spec))
        job_spec = service.validate(document, base_dir=spec.resolve().parent, name=name)
        if not _preflight(service, document, spec.resolve().parent, ignore_findings):
            raise typer.Exit(EXIT_INVALID)
        if validate_only:
            console.print(
                f"[green]Valid[/]: tuning job '{job_spec.hyper_parameter_tuning_job_name}'"
            )
            return
        record = service.create(
            job_spec,
            accept_changed_parents=accept_changed_parents,
            on_warning=lambda text: err_console.print(f"[yellow]warning[/] {text}"),
        )
        console.print(
            f"Created tuning job [bold]{record.name}[/] "
            f"({job_spec.hyper_parameter_tuning_job_config.strategy.value}, "
            f"objective {record.objective_type.value} {record.objective_metric})"
        )
        _run_with_progress(service, record.name, on_interrupt)


def _preflight(
    service: TuningService, document: dict, base_dir: Path, ignore_findings: bool
) -> bool:
    """The doctor's static checks before any compute: errors refuse, the rest is shown."""
    context = CheckContext(stored_jobs=service.list())
    findings = diagnose(document, base_dir, context).findings
    for finding in findings:
        style = {"error": "bold red", "warning": "yellow"}.get(finding.severity.value, "cyan")
        err_console.print(
            f"[{style}]{finding.severity.value}[/] {finding.code} ({finding.field}): "
            f"{finding.message} Fix: {finding.fix}",
            highlight=False,
        )
    if has_errors(findings) and not ignore_findings:
        err_console.print(
            "Refusing to start: fix the errors above (tunesmith doctor SPEC explains them) or "
            "pass --ignore-findings. Nothing was created."
        )
        return False
    return True


def _run_with_progress(
    service: TuningService, name: str, on_interrupt: OnInterrupt = OnInterrupt.ask
) -> None:
    """Drive the tuning job with a live view, then show the leaderboard and the outcome."""
    view = ProgressView(console)
    controller_box: list[TuningJobController] = []
    with _interrupts(controller_box, view, on_interrupt), view:
        final = service.run(name, on_progress=view.update, on_controller=controller_box.append)
    if not final.status.is_terminal and controller_box:
        left = getattr(controller_box[0], "left_running", [])
        err_console.print(
            f"[yellow]Left {len(left)} training job(s) running[/]; `tunesmith resume {name}` "
            "takes them over (their logs keep being parsed)."
        )
        raise typer.Exit(EXIT_LEFT_RUNNING)
    console.print(render.leaderboard_table(service, name, top=10))
    _finish_message(final.status, final.failure_reason, service.describe(name))


def _finish_message(status: TuningJobStatus, reason: str | None, description: dict) -> None:
    best = description.get("BestTrainingJob")
    if best:
        metric = best.get("FinalHyperParameterTuningJobObjectiveMetric", {})
        console.print(
            f"Best training job: [bold]{best['TrainingJobName']}[/] "
            f"{metric.get('MetricName')}={metric.get('Value')}"
        )
    if status == TuningJobStatus.COMPLETED:
        console.print(f"[green]Tuning job {status.value}[/]")
        return
    if status == TuningJobStatus.FAILED:
        err_console.print(f"[bold red]Tuning job Failed[/]: {reason}", highlight=False)
        raise typer.Exit(EXIT_FAILED)
    err_console.print(f"[yellow]Tuning job {status.value}[/]")
    raise typer.Exit(EXIT_STOPPED)


@contextmanager
def _interrupts(
    controller_box: list[TuningJobController], view: ProgressView, on_interrupt: OnInterrupt
) -> Iterator[None]:
    """First Ctrl-C: stop the training jobs cleanly or leave them running (asked, or per
    ``--on-interrupt``). Second: interrupt at once."""
    presses = 0

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal presses
        presses += 1
        if presses == 1 and controller_box:
            controller = controller_box[0]
            if _choose(on_interrupt, controller, view) == OnInterrupt.leave:
                err_console.print("\nLeaving the training jobs running...")
                controller.leave_jobs_running()  # at its next safe point
                return
            err_console.print("\nStopping the running training jobs (Ctrl-C again to abort)...")
            controller.request_stop("Stopped by Ctrl-C")
            return
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _choose(
    on_interrupt: OnInterrupt, controller: TuningJobController, view: ProgressView
) -> OnInterrupt:
    """stop or leave. Leaving needs an executor whose jobs outlive the controller (local)."""
    if not hasattr(controller.executor, "detach_all"):
        return OnInterrupt.stop
    if on_interrupt != OnInterrupt.ask:
        return on_interrupt
    if not sys.stdin.isatty():
        return OnInterrupt.stop
    with _paused(view):
        err_console.print(
            "\nStop the running training jobs, or leave them running for a later "
            f"`tunesmith resume {controller.name}`? [s]top / [l]eave (default stop): ",
            end="",
        )
        try:
            answer = sys.stdin.readline().strip().lower()
        except (OSError, ValueError):
            answer = ""
    return OnInterrupt.leave if answer in ("l", "leave") else OnInterrupt.stop


@contextmanager
def _paused(view: ProgressView) -> Iterator[None]:
    """Hold the live progress display while a question is asked."""
    live = getattr(view, "_live", None)
    if live is not None:
        live.stop()
    try:
        yield
    finally:
        if live is not None:
            live.start()


@app.command()
def resume(
    name: Annotated[str, typer.Argument(help="Tuning job name.")],
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
    on_interrupt: OnInterruptOption = OnInterrupt.ask,
) -> None:
    """Continue a tuning job whose controller stopped (killed, machine restarted, or left its
    jobs running on Ctrl-C).

    Finished training jobs are kept and never run again. Training processes still running are
    adopted: their logs keep being parsed from where the store stops, early stopping and
    their runtime limits carry on. Jobs whose process died are retried per RetryStrategy (else
    marked failed, RetryableError). Then the tuning job goes on to its budget. Refused while
    another controller is running it. See docs/resume.md.

    Example: tunesmith resume quickstart
    """
    with _service(executor, ray_address) as service:
        record = service.get(name)
        console.print(f"Resuming tuning job [bold]{record.name}[/]")
        _run_with_progress(service, record.name, on_interrupt)


@app.command("list")
def list_jobs() -> None:
    """List tuning jobs, newest first.

    Example: tunesmith list
    """
    with _service() as service:
        console.print(render.tuning_jobs_table(service))


@app.command()
def describe(
    name: Annotated[str, typer.Argument(help="Tuning job name.")],
) -> None:
    """Print DescribeHyperParameterTuningJob's response for NAME as JSON.

    Example: tunesmith describe quickstart
    """
    with _service() as service:
        print(json.dumps(service.describe(name), indent=2))


@app.command()
def leaderboard(
    name: Annotated[str, typer.Argument(help="Tuning job name.")],
    top: Annotated[int | None, typer.Option("--top", help="Show only the best N jobs.")] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, csv or json.")
    ] = OutputFormat.table,
) -> None:
    """Every training job of NAME ranked by its final objective, best first.

    json prints a list of HyperParameterTrainingJobSummary objects.

    Examples: tunesmith leaderboard quickstart --top 5;
    tunesmith leaderboard quickstart --format json
    """
    with _service() as service:
        if output == OutputFormat.json:
            print(json.dumps(service.leaderboard(name, top=top), indent=2))
        elif output == OutputFormat.csv:
            render.leaderboard_csv(service, name, top, sys.stdout)
        else:
            console.print(render.leaderboard_table(service, name, top=top))


@app.command()
def logs(
    name: Annotated[str, typer.Argument(help="Tuning job name.")],
    job: Annotated[
        str | None,
        typer.Argument(help="Training job: full name, ordinal (3) or unique prefix."),
    ] = None,
) -> None:
    """Print the log of one training job, or of every training job of NAME.

    Examples: tunesmith logs quickstart 3; tunesmith logs quickstart quickstart-003-1a2b3c4d
    """
    with _service() as service:
        records = [service.training_job(name, job)] if job else service.training_jobs(name)
        for record in records:
            if not job:
                console.print(f"[bold]==> {record.name} ({record.status.value}) <==[/]")
            path = Path(record.log_path or "")
            if path.is_file():
                sys.stdout.write(path.read_bytes().decode("utf-8", errors="replace"))
                sys.stdout.flush()
            else:
                err_console.print(f"(no log yet at {path})")


@app.command()
def stop(
    name: Annotated[str, typer.Argument(help="Tuning job name.")],
) -> None:
    """Stop NAME: its running training jobs get SIGTERM (SIGKILL after the grace period).

    Example: tunesmith stop quickstart
    """
    with _service() as service:
        record = service.stop(name)
        console.print(f"Tuning job {record.name}: {record.status.value}")


@app.command()
def delete(
    name: Annotated[str, typer.Argument(help="Tuning job name.")],
    missing_ok: Annotated[
        bool, typer.Option("--missing-ok", help="Succeed quietly when NAME does not exist.")
    ] = False,
) -> None:
    """Delete NAME (not while it runs): its records, training-job folders, logs and models.

    Example: tunesmith delete quickstart
    """
    with _service() as service:
        try:
            service.delete(name)
        except ResourceNotFoundError:
            if missing_ok:
                return
            raise
        console.print(f"Deleted tuning job {name}")


register_guardrails(app)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
