"""The progress display: plain lines anywhere, one updating display in a notebook kernel."""

from __future__ import annotations

import io
import sys
import types
from typing import Any

import pytest

from tunesmith.domain.enums import TuningJobStatus
from tunesmith.orchestrator.progress import Progress
from tunesmith.sdk.progress import ProgressDisplay, summary


def snapshot(finished: int, status: TuningJobStatus = TuningJobStatus.IN_PROGRESS) -> Progress:
    return Progress(
        tuning_job_name="job",
        status=status,
        max_jobs=4,
        launched=min(finished + 2, 4),
        running=2,
        completed=finished,
        stopped=0,
        failed=0,
        objective_name="loss",
        best_job="job-001-abcd" if finished else None,
        best_value=0.5 if finished else None,
        jobs_since_improvement=0,
    )


def test_text_mode_prints_a_line_per_finished_job() -> None:
    stream = io.StringIO()
    display = ProgressDisplay("text", stream=stream)
    for finished in (0, 0, 1, 1, 2):
        display.update(snapshot(finished))
    display.update(snapshot(4, TuningJobStatus.COMPLETED))
    display.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("job [InProgress] 1/4 done")
    assert "best loss: 0.5 (job-001-abcd)" in lines[0]
    assert lines[-1].startswith("job [Completed] 4/4 done")


def test_off_mode_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    display = ProgressDisplay("off")
    display.update(snapshot(1))
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="progress mode"):
        ProgressDisplay("fancy")


def test_auto_mode_without_ipython_is_text(capsys: pytest.CaptureFixture[str]) -> None:
    display = ProgressDisplay("auto")
    assert not display.is_notebook
    display.update(snapshot(1))
    assert "1/4 done" in capsys.readouterr().out


class _Handle:
    def __init__(self) -> None:
        self.updates: list[str] = []

    def update(self, obj: Any) -> None:
        self.updates.append(obj.data)


def _fake_ipython(monkeypatch: pytest.MonkeyPatch, kernel: object | None) -> _Handle:
    handle = _Handle()
    shell = types.SimpleNamespace(kernel=kernel)
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell  # type: ignore[attr-defined]
    display_module = types.ModuleType("IPython.display")

    class HTML:
        def __init__(self, data: str) -> None:
            self.data = data

    def display(obj: Any, display_id: bool = False) -> _Handle:
        handle.updates.append(obj.data)
        return handle

    display_module.HTML = HTML  # type: ignore[attr-defined]
    display_module.display = display  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    return handle


def test_notebook_kernel_updates_one_display(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = _fake_ipython(monkeypatch, kernel=object())
    display = ProgressDisplay("auto")
    assert display.is_notebook
    display.update(snapshot(1))
    display.update(snapshot(2))  # throttled: shown by close()
    display.close()
    assert capsys.readouterr().out == ""
    assert len(handle.updates) == 3
    assert '<progress value="2" max="4"' in handle.updates[-1]
    assert "2/4 done" in handle.updates[-1]


def test_terminal_ipython_without_a_kernel_is_text(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_ipython(monkeypatch, kernel=None)
    assert not ProgressDisplay("auto").is_notebook


def test_summary_says_when_the_best_is_stale() -> None:
    stale = Progress(**{**snapshot(2).__dict__, "jobs_since_improvement": 12})
    assert "no improvement in the last 12 jobs" in summary(stale)
