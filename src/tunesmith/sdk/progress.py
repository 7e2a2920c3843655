"""A notebook-friendly progress display for ``fit()`` and ``wait()``.

In a running IPython kernel (a Jupyter notebook) one display updates in place: a progress
bar and a summary line. Anywhere else (scripts, logs, CI) it prints a plain line each time a
training job finishes or the tuning job's status changes. IPython is never required.
"""

from __future__ import annotations

import html
import sys
import time
from typing import Any, TextIO

from tunesmith.orchestrator.progress import Progress

MIN_REFRESH_SECONDS = 0.25  # notebook updates are throttled to this rate


def summary(p: Progress) -> str:
    """One line: counts and the best objective so far."""
    return p.summary(with_name=True)


def _ipython_kernel() -> Any | None:
    """The running IPython kernel shell, or None (no IPython, or a plain terminal IPython)."""
    module = sys.modules.get("IPython")
    if module is None:
        try:
            import IPython as module  # type: ignore[no-redef]
        except ImportError:
            return None
    get_ipython = getattr(module, "get_ipython", None)
    shell = get_ipython() if get_ipython is not None else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    return shell


class ProgressDisplay:
    """Shows :class:`Progress` snapshots; call :meth:`update` with each, :meth:`close` at the end.

    ``mode`` is "auto" (notebook display in a kernel, else text), "text" or "off".
    """

    def __init__(self, mode: str = "auto", stream: TextIO | None = None) -> None:
        if mode not in ("auto", "text", "off"):
            raise ValueError(f"progress mode must be 'auto', 'text' or 'off', not {mode!r}")
        self.mode = mode
        self.stream = stream
        self._handle: Any | None = None
        self._html: Any | None = None
        self._last_key: tuple[object, ...] | None = None
        self._last_refresh = 0.0
        self._pending: Progress | None = None
        if mode == "auto" and _ipython_kernel() is not None:
            from IPython.display import HTML, display

            self._html = HTML
            self._handle = display(HTML("<i>starting...</i>"), display_id=True)

    @property
    def is_notebook(self) -> bool:
        return self._handle is not None

    def update(self, progress: Progress) -> None:
        if self.mode == "off":
            return
        if self._handle is not None:
            self._pending = progress
            now = time.monotonic()
            if now - self._last_refresh >= MIN_REFRESH_SECONDS or progress.status.is_terminal:
                self._render(progress)
                self._last_refresh = now
            return
        key = (progress.status, progress.finished)
        if key != self._last_key and (progress.finished or progress.status.is_terminal):
            print(summary(progress), file=self.stream or sys.stdout, flush=True)
        self._last_key = key

    def close(self) -> None:
        """Show the last snapshot a throttled notebook display may have skipped."""
        if self._handle is not None and self._pending is not None:
            self._render(self._pending)

    def _render(self, p: Progress) -> None:
        assert self._handle is not None and self._html is not None
        total = max(p.max_jobs, 1)
        body = (
            f'<progress value="{p.finished}" max="{total}" style="width:40ex"></progress> '
            f"<code>{html.escape(summary(p))}</code>"
        )
        self._handle.update(self._html(body))
        self._pending = None
