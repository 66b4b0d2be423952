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
* without ``--quick``: the 3D solver on a periodic unit box of n^3 x 6 tetrahedra (P1, two phases, the
  rotated cubic crystal and an isotropic one, c a smooth field with interfaces of width ~0.1, misfit 0.01):
  CG iterations at n = 16, 24, 32 and their growth, CPU seconds and peak memory of LU against CG + GAMG.

    .venv/bin/python benchmarks/elasticity.py [--quick]
    .venv/bin/mpirun -n 2 .venv/bin/python benchmarks/elasticity.py --quick
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import dolfinx_solver  # noqa: F401
import numpy as np
from mpi4py import MPI

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pf_step_cost import emit  # noqa: E402

from pf_app.elasticity import verification  # noqa: E402

GOAL = 0.02


def periodic_box(n: int, linear: str) -> dict:
    """One solve on the periodic box of the module doc (after a first solve that sets everything up)."""
    import dolfinx
    from dolfinx import fem

    from pf_app.config import build
    from pf_app.elasticity.config import ElasticityConfig, build_law
    from pf_app.elasticity.solver import MechanicalSolver

    mesh = dolfinx.mesh.create_box(MPI.COMM_WORLD, [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], [n, n, n])
    cfg = build(ElasticityConfig, {
        "stiffness": [{"kind": "cubic", "C11": 250.0, "C12": 150.0, "C44": 100.0, "euler_bunge_deg": [30.0, 20.0, 10.0],
                       "weight": "c"}, {"kind": "isotropic", "E": 100.0, "nu": 0.25, "weight": "1 - c"}],
        "eigenstrain": {k: "0.01*c" for k in ("xx", "yy", "zz")}, "solver": {"linear": linear},
        "boundary": {"kind": "periodic", "mean_strain": {k: 0.0 for k in ("xx", "yy", "zz", "yz", "xz", "xy")}}})
    c = fem.Function(fem.functionspace(mesh, ("Lagrange", 1)))
    c.interpolate(lambda x: 0.5 * (1 + np.tanh(np.prod(np.sin(2 * np.pi * x), axis=0) / 0.1)))
    solver = MechanicalSolver(mesh, cfg, build_law(cfg, ("c",), 3), [c], quadrature_degree=2)
    solver.solve()
    start = time.process_time()
    solver.solve()
    return {"cpu_seconds": time.process_time() - start, "iterations": solver.linear_iterations,
            "peak_memory_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}


def box_in_a_fresh_process(n: int, linear: str) -> dict:
    """:func:`periodic_box` in its own process, so that its peak memory is its own."""
    code = (f"import json, sys; sys.path[:0] = {[str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]}; "
            f"import elasticity; print(json.dumps(elasticity.periodic_box({n}, {linear!r})))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return __import__("json").loads(out.stdout.strip().splitlines()[-1])


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
    if MPI.COMM_WORLD.size > 1:
        return 0
    iterations = {n: box_in_a_fresh_process(n, "iterative") for n in (16, 24, 32)}
    for n, r in iterations.items():
        report(f"elastic_cg_iterations_3d_{n}", r["iterations"], "iterations (rtol 1e-10)")
    report("elastic_cg_iterations_growth_3d", iterations[32]["iterations"] / iterations[16]["iterations"], "x (16^3 -> 32^3)")
    lu = box_in_a_fresh_process(32, "lu")
    report("elastic_3d_32_cpu_seconds_iterative", iterations[32]["cpu_seconds"], "s CPU", lu["cpu_seconds"])
    report("elastic_3d_32_peak_memory_iterative", iterations[32]["peak_memory_gb"], "GB", lu["peak_memory_gb"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
