"""Shared fixtures: paths to the real data in ../shared (tests skip, with the reason, when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PF_APP_SHARED", REPO.parent / "shared")) / "data"

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _shared(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real data {path} is absent (../shared/data is not beside this checkout)")
    return path


@pytest.fixture(scope="session")
def published_idnn_dir() -> Path:
    """The published B2 IDNN weights of Teichert et al. (2019), mechanoChemIGA text format."""
    return _shared("mechanoChemIGA_B2_IDNN")


@pytest.fixture(scope="session")
def lsms_cuau_dir() -> Path:
    """The seed's LSMS DFT data for 32-atom CuAu (npz and raw output files)."""
    return _shared("lsms_CuAu_32atoms")


@pytest.fixture(scope="session")
def lsms_fept_dir() -> Path:
    """The seed's second LSMS DFT set: 32-atom FePt on a BCT cell (npz and raw output files)."""
    return _shared("lsms_FePt_32atoms")
