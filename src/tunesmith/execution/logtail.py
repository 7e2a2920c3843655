"""Read a training job's log file as lines, from any byte offset, while the job still writes it.

The training process writes stdout and stderr straight into its log file, so the file, not a
pipe, is the record of what it printed: a supervisor that starts late (a resumed controller
adopting a running job) reads the same lines, at the same byte offsets, as one that watched from
the start. Lines end at ``\\n``, ``\\r`` or ``\\r\\n`` and are capped at ``MAX_LINE_BYTES``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: A line longer than this many bytes is truncated in its LogLine (the log file keeps it all).
MAX_LINE_BYTES = 64 * 1024
_READ_SIZE = 64 * 1024


@dataclass(frozen=True)
class Line:
    """One line: its bytes (without terminator, capped), whether it ended with ``\\r``, and
    the absolute offset just past it in the file."""

    raw: bytes
    ended_cr: bool
    end: int

    @property
    def text(self) -> str:
        return decode(self.raw)


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


class LineSplitter:
    """Split a byte stream into lines on ``\\n``, ``\\r`` and ``\\r\\n``, memory-bounded.

    ``base`` is the absolute offset of the first byte fed; every :class:`Line` carries the
    offset just past its terminator, so a later reader can start exactly after it.
    """

    def __init__(self, base: int = 0, cap: int = MAX_LINE_BYTES, after_cr: bool = False):
        self.cap = cap
        self.position = base  # absolute offset of the next byte to be fed
        self.partial = bytearray()  # start of the current line, at most ``cap`` bytes
        self.after_cr = after_cr  # the previous piece ended with \r (a \n may follow)

    def feed(self, chunk: bytes) -> list[Line]:
        lines: list[Line] = []
        pieces = chunk.splitlines(keepends=True)  # bytes split only on \n, \r, \r\n
        position = self.position
        if self.after_cr and pieces and pieces[0] == b"\n":
            pieces = pieces[1:]  # the \n of a \r\n split across two reads
            position += 1
            self.after_cr = False
        for piece in pieces:
            position += len(piece)
            if piece.endswith((b"\n", b"\r")):
                self._add(piece.rstrip(b"\r\n"))
                ended_cr = piece.endswith(b"\r")
                lines.append(Line(bytes(self.partial), ended_cr, position))
                self.partial.clear()
                self.after_cr = ended_cr
            else:
                self._add(piece)
                self.after_cr = False
        self.position = position
        return lines

    def finish(self) -> Line | None:
        """At end of stream: the unterminated last line, if any."""
        last = Line(bytes(self.partial), False, self.position) if self.partial else None
        self.partial.clear()
        return last

    def _add(self, data: bytes) -> None:
        room = self.cap - len(self.partial)
        if room > 0:
            self.partial += data[:room]


class LogTail:
    """A read cursor on a growing log file, starting at ``offset`` (a line boundary).

    When the byte before ``offset`` is ``\\r``, a ``\\n`` right at ``offset`` is the end of
    that ``\\r\\n``, not an empty line.
    """

    def __init__(self, path: Path, offset: int = 0, cap: int = MAX_LINE_BYTES):
        self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        after_cr = offset > 0 and os.pread(self.fd, 1, offset - 1) == b"\r"
        os.lseek(self.fd, offset, os.SEEK_SET)
        self.splitter = LineSplitter(offset, cap, after_cr)

    def read(self) -> list[Line]:
        """Every complete line written since the last call (reads to the current end)."""
        lines: list[Line] = []
        while True:
            try:
                chunk = os.read(self.fd, _READ_SIZE)
            except OSError:
                return lines
            if not chunk:
                return lines
            lines += self.splitter.feed(chunk)

    def finish(self) -> Line | None:
        return self.splitter.finish()

    def close(self) -> None:
        os.close(self.fd)


def iter_lines(path: Path, start: int) -> Iterator[Line]:
    """Every line of ``path`` from ``start`` to its current end, the last unterminated one too."""
    tail = LogTail(path, start)
    try:
        yield from tail.read()
        last = tail.finish()
        if last is not None:
            yield last
    finally:
        tail.close()


def recent_lines(
    path: Path, start: int, end: int, count: int, max_bytes: int = 256 * 1024
) -> list[Line]:
    """The last ``count`` lines between ``start`` and ``end`` (reads at most ``max_bytes``)."""
    begin = max(start, end - max_bytes)
    if end <= begin:
        return []
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return []
    try:
        data = os.pread(fd, end - begin, begin)
    finally:
        os.close(fd)
    splitter = LineSplitter(begin)
    lines = splitter.feed(data)
    last = splitter.finish()
    if last is not None:
        lines.append(last)
    if begin > start and lines:
        lines = lines[1:]  # the first one may be cut
    return lines[-count:]
