"""How a byte stream becomes log lines and log-file writes, fed in every possible chunking."""

from __future__ import annotations

import pytest

from tunesmith.execution.process import _Lines

STREAM = b"epoch 1\r\n10%\r20%\r\rdone\nlast"
EXPECTED = [b"epoch 1", b"10%", b"20%", b"", b"done", b"last"]


def _split(data: bytes, size: int, cap: int = 1024) -> tuple[list[bytes], bytes]:
    lines = _Lines("stdout", cap=cap)
    found: list[bytes] = []
    logged = b""
    for start in range(0, len(data), size):
        out, complete = lines.feed(data[start : start + size])
        logged += out
        found.extend(raw for raw, _ in complete)
    rest, last = lines.finish()
    if last is not None:
        found.append(last)
    return found, logged + rest


@pytest.mark.parametrize("size", [1, 2, 3, 7, len(STREAM)])
def test_any_chunking_gives_the_same_lines_and_log(size: int) -> None:
    found, logged = _split(STREAM, size)
    assert found == EXPECTED
    assert logged == STREAM


def test_long_lines_are_capped_but_logged_whole() -> None:
    data = b"x" * 5000 + b"\nok\n"
    found, logged = _split(data, 64, cap=100)
    assert found == [b"x" * 100, b"ok"]
    assert logged == data


def test_carriage_return_flag() -> None:
    lines = _Lines("stderr")
    _, complete = lines.feed(b"50%\r100%\n")
    assert complete == [(b"50%", True), (b"100%", False)]
