"""``tunesmith.report(**metrics)``: print metrics in one documented line format.

Format (one line, flushed at once)::

    [tunesmith] val_loss=0.4123 epoch=3

Each ``name=value`` pair is separated by a space; names may hold letters, digits and ``_.:-/``.
A metric definition that captures it: ``{"Name": "val_loss", "Regex": "val_loss=([^ ]+)"}``
(``tunesmith.metric_regex("val_loss")`` returns exactly that regex). Imports nothing heavy.
"""

from __future__ import annotations

import re
import sys

_NAME = re.compile(r"^[A-Za-z0-9_.:/-]+$")
PREFIX = "[tunesmith]"


def report(**metrics: float) -> None:
    """Print ``metrics`` on one line that the regexes of ``metric_regex`` capture."""
    if not metrics:
        return
    parts = []
    for name, value in metrics.items():
        if not _NAME.match(name):
            raise ValueError(f"metric name {name!r} may only hold letters, digits and _.:/-")
        parts.append(f"{name}={float(value)!r}")
    sys.stdout.write(f"{PREFIX} {' '.join(parts)}\n")
    sys.stdout.flush()


def metric_regex(name: str) -> str:
    """The MetricDefinition regex that captures ``name`` from a :func:`report` line."""
    return re.escape(f"{name}=") + r"([^\s]+)"
