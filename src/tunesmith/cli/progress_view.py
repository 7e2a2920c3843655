"""Live progress of a tuning job: a Rich live panel on a terminal, plain lines otherwise."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.text import Text

from tunesmith.orchestrator.progress import Progress


class ProgressView:
    def __init__(self, console: Console) -> None:
        self.console = console
        self._live: Live | None = None
        self._last_key: tuple[object, ...] | None = None

    def __enter__(self) -> ProgressView:
        if self.console.is_terminal:
            self._live = Live(console=self.console, refresh_per_second=8, transient=False)
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)

    def update(self, progress: Progress) -> None:
        line = progress.summary()
        if self._live is not None:
            bar = ProgressBar(
                total=max(progress.max_jobs, 1), completed=progress.finished, width=40
            )
            self._live.update(Group(bar, Text(line)))
        else:
            # Plain output (logs, CI): one line per finished job or status change.
            key = (progress.status, progress.finished)
            if key != self._last_key and (progress.finished or progress.status.is_terminal):
                self.console.print(line, highlight=False)
            self._last_key = key
