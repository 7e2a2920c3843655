"""Empty job-folder skeletons made ahead of time.

A job folder is ten sub-folders (the container contract), and creating them is the largest
file-system cost of a launch, paid between one job's exit and the next one's start, while its
slot stands idle. The local executor makes one skeleton for the next job right after starting a
process (while the process runs); the next launch renames it into place, one system call.

A skeleton is a hidden folder ``.spare-<pid>-<n>`` next to the job folders it is meant for, so
the rename never crosses a file system. The executor removes its own when it closes; one left
behind by a killed controller is removed by the next one that makes a skeleton there.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import threading
from pathlib import Path

_PREFIX = ".spare-"


class SpareFolders:
    """At most one ready skeleton per parent folder; thread-safe. ``subfolders``: relative
    paths, parents first."""

    def __init__(self, subfolders: tuple[str, ...]) -> None:
        self._subfolders = subfolders
        self._lock = threading.Lock()
        self._ready: dict[str, str] = {}  # parent folder -> its skeleton
        self._swept: set[str] = set()  # parents already cleared of dead controllers' skeletons
        self._numbers = itertools.count()

    def take(self, root: Path) -> bool:
        """Move the skeleton of ``root``'s parent to ``root`` (which must not exist); False
        when there is none or the move fails, and the caller makes the folders itself."""
        with self._lock:
            spare = self._ready.pop(str(root.parent), None)
        if spare is None:
            return False
        try:
            os.rename(spare, root)  # fails if root exists and is not an empty folder
        except OSError:
            shutil.rmtree(spare, ignore_errors=True)
            return False
        return True

    def make(self, parent: Path) -> None:
        """Make a skeleton in ``parent`` unless one is ready; errors only mean no skeleton."""
        key = str(parent)
        with self._lock:
            if key in self._ready:
                return
            first = key not in self._swept
            self._swept.add(key)
            spare = os.path.join(key, f"{_PREFIX}{os.getpid()}-{next(self._numbers)}")
        if first:
            _remove_abandoned(parent)
        try:
            os.mkdir(spare)
            for sub in self._subfolders:
                os.mkdir(os.path.join(spare, sub))
        except OSError:
            shutil.rmtree(spare, ignore_errors=True)
            return
        with self._lock:
            if key in self._ready:  # another thread made one meanwhile
                extra = spare
            else:
                self._ready[key], extra = spare, None
        if extra is not None:
            shutil.rmtree(extra, ignore_errors=True)

    def discard(self) -> None:
        """Remove every skeleton not yet used."""
        with self._lock:
            spares, self._ready = list(self._ready.values()), {}
        for spare in spares:
            shutil.rmtree(spare, ignore_errors=True)


def _remove_abandoned(parent: Path) -> None:
    """Remove skeletons whose controller process is gone."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(parent):
            if not entry.name.startswith(_PREFIX):
                continue
            pid = entry.name[len(_PREFIX) :].split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
