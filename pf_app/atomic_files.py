"""Atomic file writes: a temporary file beside the target, renamed onto it on success.

The file that lands on the target gets the permissions a plain ``open(path, "w")`` would give it:
``0o666 & ~umask`` for a new file, the existing file's mode when it replaces one (``mkstemp`` alone
would leave every result 0600, unreadable to the rest of a group on a shared cluster).
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path


def current_umask() -> int:
    """The process umask (read by setting and restoring it: POSIX offers no read-only call)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_like_open(path: Path) -> int:
    """Permission bits ``open(path, "w")`` would leave: the existing file's, else 0o666 & ~umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~current_umask()


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path next to ``path``; on success rename it onto ``path`` (atomic on POSIX).

    The suffix is kept so that writers that pick a format from it (numpy, h5py, matplotlib) work.
    Whatever the writer did to the temporary file's mode, the result has the mode of a plain
    ``open()`` (see the module docstring).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _mode_like_open(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json_atomic(path: str | Path, obj) -> None:
    write_text_atomic(path, json.dumps(obj, indent=1) + "\n")
