"""Elasticity (issue 22): Eshelby's inclusion solved on the shipped meshes against the closed form.

Prints one JSON object per figure:

* ``eshelby_interior_stress_rel_error``: 2D plane strain, a sharp circular inclusion (radius 0.3) with
  the dilatational misfit 0.01 in a traction-free disk (radius 1), meshes/eshelby_disk.xdmf, P1 (the
  phase field's default degree); the core-mean stress against the closed form
  (pf_app.elasticity.analytic.disk_interior_stress).  Baseline: the issue's goal 0.02.
* without ``--quick``: the same with P2, with the phase-field interface (tanh profile of width 0.02,
  against the exact stress of that profile), the 3D spherical inclusion (P2, octant of a ball) (these in
  %), and the CPU seconds of the 2D P1 case with LU and with CG + GAMG (CPU, not wall: the figure should
  not depend on the machine's other load).

    .venv/bin/python benchmarks/elasticity.py [--quick]
    .venv/bin/mpirun -n 2 .venv/bin/python benchmarks/elasticity.py --quick
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import dolfinx_solver  # noqa: F401
from mpi4py import MPI

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pf_step_cost import emit  # noqa: E402

from pf_app.elasticity import verification  # noqa: E402

GOAL = 0.02


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the 2D P1 figure")
    args = ap.parse_args()
    quiet = MPI.COMM_WORLD.rank != 0

    def report(*a, **k):
        if not quiet:
            emit(*a, **k)

    report("eshelby_interior_stress_rel_error", verification.circular_inclusion(degree=1).rel_error, "1", GOAL)
    if args.quick:
        return 0
    report("eshelby_interior_stress_rel_error_p2", 100 * verification.circular_inclusion(degree=2).rel_error, "%")
    report("eshelby_smeared_interface_rel_error", 100 * verification.circular_inclusion(degree=1, width=0.02).rel_error, "%")
    report("eshelby_sphere_interior_stress_rel_error_p2", 100 * verification.spherical_inclusion(degree=2).rel_error, "%")
    seconds = {}
    for linear in ("lu", "iterative"):
        verification.circular_inclusion(degree=1, linear=linear)  # compile and warm up
        start = time.process_time()
        result = verification.circular_inclusion(degree=1, linear=linear)
        seconds[linear] = time.process_time() - start
        report(f"eshelby_2d_p1_cpu_seconds_{linear}", seconds[linear], "s CPU (read, assemble, solve, diagnostics)",
               seconds["lu"] if linear == "iterative" else None)
        if linear == "iterative":
            report("eshelby_2d_p1_cg_iterations", result.solver.linear_iterations, "iterations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
