"""icet's ClusterExpansion.predict against our energies (icet is optional: the check runs in an
interpreter that has it, ``ICET_PYTHON`` or this one, and skips with the reason otherwise)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def _icet_python() -> str:
    candidate = os.environ.get("ICET_PYTHON", sys.executable)
    probe = subprocess.run([candidate, "-c", "import icet"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"icet is not importable by {candidate} (it is optional; set ICET_PYTHON to an interpreter "
                    "with icet and this project's requirements)")
    return candidate


def test_energies_of_random_configurations_equal_icet_predict_and_other_lattices_are_refused():
    out = subprocess.run([_icet_python(), str(HERE / "icet_check.py")], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=HERE)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # total energies of 256 (FCC) and 96 (HCP) sites, ECIs of size ~1: round-off ~1e-13, so 1e-10 is exact
    assert result["fcc"] < 1e-10 and result["hcp"] < 1e-10
    assert "cluster_expansion.icet_file: expected a cluster expansion of the lattice" in result["other_lattice"]
