"""Apply every ``MetricDefinition`` regex to each log line, as SageMaker does to the log stream.

The first capture group is the value. A capture that is not a finite number (``nan``, ``inf``,
garbage) is still reported, flagged, so the store keeps what was printed and the job can be
marked with a reason instead of ranked on a bad number. Lines are searched only up to
``max_chars`` so a 1 MB line cannot stall the controller on a backtracking regex.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_MAX_CHARS = 16_384
MAX_RAW_CHARS = 256


@dataclass(frozen=True)
class MetricMatch:
    name: str
    value: float | None  # None when the capture is not a finite number
    raw: str  # the captured text (at most MAX_RAW_CHARS characters)

    @property
    def is_finite(self) -> bool:
        return self.value is not None


class MetricParser:
    """Compiled metric definitions; ``parse(line)`` returns every metric the line yields."""

    def __init__(
        self, definitions: Iterable[tuple[str, str]], max_chars: int = DEFAULT_MAX_CHARS
    ) -> None:
        self._patterns = [(name, re.compile(regex)) for name, regex in definitions]
        self._max_chars = max_chars

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._patterns]

    def parse(self, line: str) -> list[MetricMatch]:
        text = line[: self._max_chars]
        matches = []
        for name, pattern in self._patterns:
            found = pattern.search(text)
            if found is None:
                continue
            raw = found.group(1) if pattern.groups else found.group(0)
            if raw is None:
                continue
            matches.append(MetricMatch(name, parse_number(raw), raw[:MAX_RAW_CHARS]))
        return matches


def parse_number(raw: str) -> float | None:
    """A finite float from captured text, or None (nan, inf and garbage are not values)."""
    text = raw.strip().rstrip(",;")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
