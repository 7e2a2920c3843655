"""Keep Python's full garbage collections off the controller's path while a tuning job runs.

A controller process holds a large heap that is never garbage: the modules it imported (numpy,
scipy, SQLAlchemy) and their objects, about 140 000 tracked objects. Every full (generation 2)
collection walks all of them: about 70 ms on this project's benchmark machine, a pause in which
no job is started or recorded, once every few hundred training jobs. :func:`frozen_heap` moves
the heap that exists when a run starts into the collector's permanent generation
(``gc.freeze``) and hands it back when the run ends (``gc.unfreeze``), so objects created
during the run are collected as usual and a process that outlives the run (a notebook using
the SDK) gets its frozen objects collected again. Runs in several threads share one freeze.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_active = 0


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze the heap for the duration of the block (nested and concurrent blocks nest)."""
    global _active
    with _lock:
        _active += 1
        if _active == 1:
            gc.freeze()
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                gc.unfreeze()
