"""How a byte stream becomes log lines, fed in every possible chunking, with exact offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunesmith.execution.logtail import LineSplitter, LogTail, iter_lines, recent_lines

STREAM = b"epoch 1\r\n10%\r20%\r\rdone\nlast"
EXPECTED = [b"epoch 1", b"10%", b"20%", b"", b"done", b"last"]


def _split(data: bytes, size: int, cap: int = 1024) -> list[tuple[bytes, int]]:
    lines = LineSplitter(cap=cap)
    found: list[tuple[bytes, int]] = []
    for start in range(0, len(data), size):
        found.extend((line.raw, line.end) for line in lines.feed(data[start : start + size]))
    last = lines.finish()
    if last is not None:
        found.append((last.raw, last.end))
    return found


@pytest.mark.parametrize("size", [1, 2, 3, 7, len(STREAM)])
def test_any_chunking_gives_the_same_lines(size: int) -> None:
    found = _split(STREAM, size)
    assert [raw for raw, _ in found] == EXPECTED
    ends = [end for _, end in found]
    assert ends[-1] == len(STREAM)
    assert ends[0] in (8, 9)  # after "epoch 1\r" (the \n may come in the next read) or "\r\n"


def test_long_lines_are_capped() -> None:
    data = b"x" * 5000 + b"\nok\n"
    found = _split(data, 64, cap=100)
    assert found == [(b"x" * 100, 5001), (b"ok", 5004)]


def test_carriage_return_flag() -> None:
    lines = LineSplitter()
    complete = lines.feed(b"50%\r100%\n")
    assert [(line.raw, line.ended_cr) for line in complete] == [(b"50%", True), (b"100%", False)]


def test_a_tail_started_at_any_line_end_reads_the_rest(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_bytes(STREAM)
    everything = list(iter_lines(log, 0))
    assert [line.raw for line in everything] == EXPECTED
    for i, line in enumerate(everything):
        rest = [later.raw for later in iter_lines(log, line.end)]
        assert rest == EXPECTED[i + 1 :]
    # Right after the \r of a \r\n, the \n is not an empty line.
    assert [line.raw for line in iter_lines(log, 8)] == EXPECTED[1:]


def test_a_tail_follows_a_growing_file(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_bytes(b"")
    tail = LogTail(log, 0)
    with open(log, "ab", buffering=0) as out:
        out.write(b"a\npart")
        assert [line.raw for line in tail.read()] == [b"a"]
        out.write(b"ial\n")
        assert [line.raw for line in tail.read()] == [b"partial"]
    assert tail.finish() is None
    tail.close()


def test_recent_lines(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_bytes(b"".join(b"line %d\n" % i for i in range(100)))
    size = log.stat().st_size
    assert [line.text for line in recent_lines(log, 0, size, 3)] == [
        "line 97",
        "line 98",
        "line 99",
    ]
    assert [line.text for line in recent_lines(log, 0, size, 2, max_bytes=20)] == [
        "line 98",
        "line 99",
    ]
    assert recent_lines(log, 10, 10, 5) == []
