"""Phase-field linear solvers at scale: Krylov iterations, memory and time of LU against the block
preconditioner (``solver.linear: lu | iterative``) on the B2 case, 2D and 3D.

The case is inputs/b2.yaml's physics (our IDNN, lumped, degenerate mobility, periodic box) at two
states: ``early`` (the seed's start: c = 1/sqrt2, eta uniform in +-0.01) at dt = 1, and ``domains``
(closed antiphase domains of eta = +-0.646 with tanh walls of the equilibrium width, relaxed by
steps of growing dt) at the largest dt the adaptive B2 run reaches (45).  Meshes refine a fixed box (2D: 2 x 2, the seed's;
3D: 0.64^3), so h shrinks.  Each configuration runs in its own process (peak memory is that
process's, summed over ranks) for ``--steps`` fixed steps after a first, excluded one (form
compilation, symbolic factorisation or AMG set-up).

Figures (one JSON line each): krylov_per_newton_<dim>_<n>_<state> for every mesh,
krylov_iterations_growth (finest / coarsest, 2D and 3D), peak_memory_ratio_iterative_vs_lu (3D 40^3),
s_per_step_<solver>_<mesh> with LU as the baseline, parallel speed-up on 2 ranks, and the 1- vs
2-rank Newton / Krylov counts.

    .venv/bin/python benchmarks/pf_solver_scaling.py --quick     # < 3 minutes on 2 cores
    .venv/bin/python benchmarks/pf_solver_scaling.py             # the issue's full set (an hour or more)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SQRT2 = 2.0 ** 0.5
# 'domains' state: eta = ETA0 tanh(pattern / (k WALL)), pattern = sum of cos(k x_i) - 1/2 (closed walls
# around its maxima, no wall crossings) of wavenumber k = 2 pi / WAVELENGTH, so that the walls have the
# equilibrium amplitude and width of the IDNN's double well
# (ETA0 = 0.646, WALL = sqrt(2 kappa / |g_etaeta(0)|) = sqrt(2 * 1.6e-5 / 0.041) = 0.028).
WAVELENGTH, WALL, ETA0 = 0.64, 0.028, 0.646
LARGEST_DT = 45.0  # the adaptive inputs/b2.yaml run's largest step (docs/b2.md)


def case_overrides(dim: int, n: int, linear: str, state: str, dt: float, steps: int, reuse: int = 0,
                   petsc: dict | None = None, qdegree: int | None = None) -> list[str]:
    box = 2.0 if dim == 2 else 0.64
    lengths = [box] * dim
    k = 2 * 3.141592653589793 / WAVELENGTH
    pattern = "(" + "+".join(f"cos({k:.12g}*{x})" for x in "xyz"[:dim]) + "-0.5)"
    eta = ({"kind": "random_uniform", "low": -0.01, "high": 0.01, "seed": 7} if state == "early" else
           {"kind": "formula", "formula": f"{ETA0}*tanh({pattern}/{k * WALL:.12g})"})
    sets = {"mesh": {"lengths": lengths, "cells": [n] * dim}, "periodic": list("xyz"[:dim]),
            "initial": {"c": {"kind": "constant", "value": 1 / SQRT2}, "eta": eta},
            "time": {"scheme": "backward_euler", "t_end": dt * (steps + 1), "dt": dt, "adapt": "fixed"},
            "solver": {"linear": linear, "reuse_factorization": reuse, "petsc_options": petsc or {}},
            "quadrature_degree": qdegree}
    return [f"{key}={json.dumps(value)}" for key, value in sets.items()]


def worker(spec: dict) -> None:
    """One configuration in this process: fixed steps, counts, time and peak memory."""
    import dolfinx_solver  # noqa: F401
    from mpi4py import MPI

    from pf_app.phasefield.case import load_case
    from pf_app.phasefield.simulation import Simulation

    comm = MPI.COMM_WORLD
    sim = Simulation(load_case(REPO / "inputs" / "b2.yaml", case_overrides(**spec), output="/tmp/unused"))
    m, solver = sim.model, sim.solver
    sim.set_initial_state()

    def step(dt):
        m.set_step(dt, None, "backward_euler")
        m.u.x.array[:] = m.u_n.x.array
        comm.barrier()
        t0 = time.perf_counter()
        converged, its = solver.solve()
        wall = comm.allreduce(time.perf_counter() - t0, op=MPI.MAX)
        if converged:
            m.u_n.x.array[:] = m.u.x.array
        return converged, its, wall

    dt = 1.0  # 'domains': relax the walls with growing steps (x2, halved on failure), as the adaptive run does
    while spec["state"] == "domains" and dt < spec["dt"]:
        dt = 2 * dt if step(dt)[0] else dt / 2
        if dt < 1e-3:
            raise SystemExit(f"{spec}: relaxation failed ({solver.failure()})")
    newton, krylov, walls = [], [], []
    for _ in range(spec["steps"] + 1):
        converged, its, wall = step(spec["dt"])
        if not converged:
            raise SystemExit(f"{spec}: {solver.failure()}")
        newton.append(its)
        krylov.append(solver.linear_iterations)
        walls.append(wall)
    peak_gb = comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, op=MPI.SUM) / 1024 ** 2
    if comm.rank == 0:
        n, k = sum(newton[1:]), sum(krylov[1:])
        print("RESULT " + json.dumps({"dofs": solver.x.getSize(), "newton_per_step": n / spec["steps"],
                                      "krylov_per_newton": k / max(n, 1), "s_per_step": sum(walls[1:]) / spec["steps"],
                                      "s_per_newton": sum(walls[1:]) / max(n, 1),
                                      "peak_memory_gb": peak_gb, "solver": solver.linear}), flush=True)


def measure(dim, n, linear, state="early", dt=1.0, steps=2, ranks=1, reuse=0, qdegree=None) -> dict | None:
    """``reuse``: Newton iterations between rebuilds of the preconditioner (0 for iteration counts of
    a fresh preconditioner; the default 10 of solver.reuse_factorization for the cost of a real run)."""
    spec = {"dim": dim, "n": n, "linear": linear, "state": state, "dt": dt, "steps": steps, "reuse": reuse,
            "qdegree": qdegree}
    cmd = [str(Path(sys.executable).parent / "mpirun"), "-n", str(ranks), sys.executable, __file__,
           "--worker", json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        print(json.dumps({"note": f"{spec} on {ranks} rank(s) failed: {tail}"}), flush=True)
        return None
    return json.loads(line[len("RESULT "):])


def emit(name, value, unit, baseline=None):
    ratio = value / baseline if baseline else None
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit,
                      "baseline": None if baseline is None else round(baseline, 4),
                      "ratio": None if ratio is None else round(ratio, 3)}), flush=True)


def iteration_study(dim: int, meshes: list[int], states: list[tuple[str, float]]) -> None:
    for state, dt in states:
        counts = []
        for n in meshes:
            r = measure(dim, n, "iterative", state, dt)
            if r is None:
                return
            counts.append(r["krylov_per_newton"])
            emit(f"krylov_per_newton_{dim}d_{n}_{state}_dt{dt:g}", r["krylov_per_newton"], "iterations")
        emit(f"krylov_iterations_growth_{dim}d_{state}_dt{dt:g}", counts[-1] / counts[0],
             f"finest/coarsest ({meshes[0]}^{dim} -> {meshes[-1]}^{dim})")
        if state == "early" and dt == 1.0:
            emit("krylov_iterations_growth" + ("" if dim == 2 else "_3d"), counts[-1] / counts[0],
                 f"finest/coarsest ({meshes[0]}^{dim} -> {meshes[-1]}^{dim})")


B2_3D_QDEGREE = 2  # inputs/b2_3d.yaml's quadrature degree (the large 3D figures run that case)
COST_STEPS = 10  # steps per cost measurement: with the default reuse (10 Newton iterations) both rebuild ~twice


def cost_comparison(dim: int, n: int, ranks: int = 1) -> dict:
    """Seconds per step and peak memory of LU and iterative as a user runs them (default reuse)."""
    lu, it = (measure(dim, n, linear, steps=COST_STEPS, ranks=ranks, reuse=10) for linear in ("lu", "iterative"))
    mesh = f"{dim}d_{n}" + ("" if ranks == 1 else f"_{ranks}ranks")
    if lu and it:
        emit(f"s_per_step_iterative_{mesh}", it["s_per_step"], "s", lu["s_per_step"])
        emit(f"peak_memory_iterative_{mesh}", it["peak_memory_gb"], "GB", lu["peak_memory_gb"])
    return {"lu": lu, "iterative": it}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small meshes only (< 3 minutes on 2 cores)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return 0
    if args.quick:
        iteration_study(2, [50, 100, 200], [("early", 1.0), ("domains", LARGEST_DT)])
        iteration_study(3, [8, 16], [("early", 1.0)])
        res = cost_comparison(3, 16)
        if res["lu"] and res["iterative"]:
            emit("peak_memory_ratio_iterative_vs_lu", res["iterative"]["peak_memory_gb"],
                 "GB (3D 16^3; the full run measures 40^3)", res["lu"]["peak_memory_gb"])
        return 0
    iteration_study(2, [100, 200, 400, 800], [("early", 1.0), ("domains", LARGEST_DT)])
    iteration_study(3, [16, 32, 64], [("early", 1.0), ("domains", LARGEST_DT)])
    cost_comparison(2, 400)
    res = cost_comparison(3, 40)
    if res["lu"] and res["iterative"]:
        emit("peak_memory_ratio_iterative_vs_lu", res["iterative"]["peak_memory_gb"], "GB (3D 40^3)",
             res["lu"]["peak_memory_gb"])
    big = measure(3, 64, "iterative", ranks=2, steps=COST_STEPS, reuse=10, qdegree=B2_3D_QDEGREE)
    if big:
        emit("s_per_step_iterative_3d_64_2ranks", big["s_per_step"],
             f"s ({big['newton_per_step']:.2f} Newton iterations per step; goal <= 10 s at 2)")
    for dim, n in ((2, 400), (3, 48)):
        one, two = (measure(dim, n, "iterative", steps=COST_STEPS, ranks=r, reuse=10) for r in (1, 2))
        if one and two:
            emit(f"parallel_speedup_{dim}d_{n}", one["s_per_step"] / two["s_per_step"], "x (goal >= 1.7)")
            emit(f"newton_per_step_2ranks_vs_1_{dim}d_{n}", two["newton_per_step"], "iterations", one["newton_per_step"])
            emit(f"krylov_per_newton_2ranks_vs_1_{dim}d_{n}", two["krylov_per_newton"], "iterations",
                 one["krylov_per_newton"])
    big96 = measure(3, 96, "iterative", ranks=2, steps=2, reuse=10, qdegree=B2_3D_QDEGREE)
    if big96:
        emit("peak_memory_iterative_3d_96_2ranks", big96["peak_memory_gb"], f"GB ({big96['dofs']} unknowns; goal <= 16)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
