"""Atomic writes land with the permissions a plain open() would give (0o666 & ~umask), not mkstemp's 0600."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from pf_app.atomic_files import atomic_path, write_text_atomic


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    """Set the process umask for one test and restore it afterwards."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writes_respect_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    write_text_atomic(tmp_path / "config.yaml", "a: 1\n")
    with atomic_path(tmp_path / "checkpoint.npz") as tmp:  # a third-party writer given the temporary path
        np.savez(tmp, x=np.arange(3))
    with open(tmp_path / "plain.txt", "w") as fh:
        fh.write("reference")
    assert _mode(tmp_path / "plain.txt") == expected
    assert _mode(tmp_path / "config.yaml") == expected
    assert _mode(tmp_path / "checkpoint.npz") == expected
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_replacing_a_file_keeps_its_mode_like_open_does(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "energy.csv"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    write_text_atomic(target, "new\n")
    assert target.read_text() == "new\n" and _mode(target) == 0o640


def test_failed_write_leaves_neither_target_nor_temporary(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "report.json") as tmp:
            tmp.write_text("partial")
            raise RuntimeError("writer failed")
    assert list(tmp_path.iterdir()) == []
