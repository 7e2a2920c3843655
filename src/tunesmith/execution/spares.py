"""Empty job-folder skeletons made ahead of time.

A job folder is ten sub-folders (the container contract), and creating them is the largest
file-system cost of a launch, paid between one job's exit and the next one's start, while its
slot stands idle. The local executor makes one skeleton for the next job right after starting a
process (while the process runs), with the config files the next job will most likely have
(and an empty one for those that differ, so their inode exists already); the next launch
renames it into place, one system call, and rewrites only the files that differ.

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
        self._ready: dict[str, tuple[str, dict[str, bytes]]] = {}  # parent -> skeleton, files
        self._swept: set[str] = set()  # parents already cleared of dead controllers' skeletons
        self._numbers = itertools.count()

    def take(self, root: Path) -> dict[str, bytes] | None:
        """Move the skeleton of ``root``'s parent to ``root`` (which must not exist) and return
        the files it holds (relative path: content); None when there is none or the move
        fails, and the caller makes the folders itself."""
        with self._lock:
            ready = self._ready.pop(str(root.parent), None)
        if ready is None:
            return None
        spare, files = ready
        try:
            os.rename(spare, root)  # fails if root exists and is not an empty folder
        except OSError:
            shutil.rmtree(spare, ignore_errors=True)
            return None
        return files

    def make(self, parent: Path, files: dict[str, bytes] | None = None) -> None:
        """Make a skeleton in ``parent``, holding ``files`` (relative path: content), unless
        one is ready; errors only mean no skeleton."""
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
            for name, content in (files or {}).items():
                _write(os.path.join(spare, name), content)
        except OSError:
            shutil.rmtree(spare, ignore_errors=True)
            return
        with self._lock:
            if key in self._ready:  # another thread made one meanwhile
                extra = spare
            else:
                self._ready[key], extra = (spare, dict(files or {})), None
        if extra is not None:
            shutil.rmtree(extra, ignore_errors=True)

    def discard(self) -> None:
        """Remove every skeleton not yet used."""
        with self._lock:
            spares, self._ready = [spare for spare, _ in self._ready.values()], {}
        for spare in spares:
            shutil.rmtree(spare, ignore_errors=True)


def _write(path: str, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, content)
    finally:
        os.close(fd)


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
