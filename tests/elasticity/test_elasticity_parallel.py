"""On 2 MPI ranks the mechanical solver solves the same discrete problems as in serial: the pinned
rigid-body modes of a traction-free disk and the periodic map of a laminate cross rank boundaries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pf_app.elasticity import verification

REPO = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, dolfinx_solver
from mpi4py import MPI
from pf_app.elasticity import verification
disk = verification.circular_inclusion(degree=1)
_, laminate, _ = verification.laminate(2)
moments = disk.solver.rigid_mode_moments()
if MPI.COMM_WORLD.rank == 0:
    print(json.dumps({"disk": disk.measured.tolist(), "laminate": laminate.tolist(), "moments": moments.tolist()}))
"""


@pytest.mark.mpi
def test_two_ranks_give_the_serial_stresses():
    """Same mesh, same equations, another partition: the LU solutions agree to rounding amplified by the
    condition number (~(R/h)^2 ~ 2.5e3 for the disk): 1e-10 of the stress scale."""
    mpirun = Path(sys.executable).parent / "mpirun"
    if not mpirun.exists():
        pytest.skip(f"{mpirun} not found")
    out = subprocess.run([str(mpirun), "-n", "2", sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         timeout=600, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    parallel = json.loads(out.stdout.strip().splitlines()[-1])
    disk = verification.circular_inclusion(degree=1)
    _, laminate, _ = verification.laminate(2)
    scale = np.max(np.abs(disk.exact))
    np.testing.assert_allclose(parallel["disk"], disk.measured, atol=1e-10 * scale)
    np.testing.assert_allclose(parallel["laminate"], laminate, atol=1e-10 * np.max(np.abs(laminate)))
    assert np.max(np.abs(parallel["moments"])) < 1e-13  # rigid modes removed on 2 ranks too
