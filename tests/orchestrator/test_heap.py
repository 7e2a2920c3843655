"""The heap freeze around a run: nested and concurrent runs share it, and it is always undone."""

from __future__ import annotations

import gc
import threading

import pytest

from tunesmith.orchestrator.heap import frozen_heap


def test_freeze_is_held_while_any_run_is_inside_and_undone_after() -> None:
    assert gc.get_freeze_count() == 0
    with frozen_heap():
        first = gc.get_freeze_count()
        assert first > 0
        with frozen_heap():  # a second run in the same process
            # Still frozen (frozen objects may be freed meanwhile, by threads ending).
            assert gc.get_freeze_count() > first // 2
        assert gc.get_freeze_count() > 0  # the outer run still holds it
    assert gc.get_freeze_count() == 0


def test_freeze_is_undone_when_the_run_raises() -> None:
    with pytest.raises(RuntimeError), frozen_heap():
        raise RuntimeError("the loop failed")
    assert gc.get_freeze_count() == 0


def test_cyclic_garbage_made_during_a_run_is_still_collected() -> None:
    class Node:
        pass

    with frozen_heap():
        a, b = Node(), Node()
        a.other, b.other = b, a  # type: ignore[attr-defined]
        ref = id(a)
        del a, b
        gc.collect()
        assert not any(id(o) == ref for o in gc.get_objects())


def test_concurrent_runs_share_one_freeze() -> None:
    entered = [threading.Event(), threading.Event()]
    leave = [threading.Event(), threading.Event()]

    def run(i: int) -> None:
        with frozen_heap():
            entered[i].set()
            leave[i].wait(10)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    try:
        for i, t in enumerate(threads):
            t.start()
            assert entered[i].wait(10)
        assert gc.get_freeze_count() > 0
        leave[0].set()
        threads[0].join(10)
        assert gc.get_freeze_count() > 0  # the other run is still inside
    finally:
        for event in leave:
            event.set()
        for t in threads:
            t.join(10)
    assert gc.get_freeze_count() == 0
