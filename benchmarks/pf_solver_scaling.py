"""Phase-field linear solvers at scale: Krylov iterations against dt and mesh, memory per unknown and
time per Newton iteration of the iterative solver (``solver.linear: iterative``), and PFHub 1a run
with it against LU.

States (each configuration runs in its own process, so peak memory is that process's, summed over ranks):

* ``pfhub_disc``: PFHub 1a's free energy, mobility and gradient energy on its 200 x 200 periodic mesh,
  in the state its coarsening ends in: a disc of c = 0.7 (radius 80, mean c = 0.5) in c = 0.3 with the
  equilibrium tanh profile, relaxed by steps of growing dt.  From that one state, Newton is solved at
  each dt (backward Euler): GMRES iterations per Newton iteration at dt = 1 and 1e4 give
  ``krylov_iterations_dt_growth`` (the issue's goal <= 2).
* ``early`` / ``domains``: inputs/b2.yaml's physics (our IDNN, lumped, degenerate mobility, periodic)
  at the seed's start (c = 1/sqrt2, eta in +-0.01), or with closed antiphase domains of tanh walls
  relaxed to dt, on meshes that refine a fixed box (2D: 2 x 2; 3D: 0.64^3, or 0.01 per cell for the
  96^3 figure, the case of inputs/b2_3d.yaml).

Figures (one JSON line each): krylov_per_newton_<state>_dt<dt>, krylov_iterations_dt_growth,
krylov_iterations_growth (mesh refinement, 2D early state; goal <= 1.5), bytes_per_unknown_3d (64^3,
2 ranks; goal <= 2000), seconds_per_newton_96 (96^3, 2 ranks; goal <= 10), peak_memory_3d_96, and
pfhub_1a_iterative_vs_lu_wall (the whole inputs/pfhub_1a.yaml run, iterative over LU, the two at the same
time on one rank each; goal <= 1) with pfhub_1a_iterative_vs_lu_F_deviation (%, goal <= 0.1).

    .venv/bin/python benchmarks/pf_solver_scaling.py --quick     # a few minutes on 2 cores
    .venv/bin/python benchmarks/pf_solver_scaling.py             # the issue's full set (about 1.5 h)
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pf_step_cost import emit  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SQRT2 = 2.0 ** 0.5
# 'domains' state: eta = ETA0 tanh(pattern / (k WALL)), pattern = sum of cos(k x_i) - 1/2 (closed walls
# around its maxima, no wall crossings) of wavenumber k = 2 pi / WAVELENGTH, so that the walls have the
# equilibrium amplitude and width of the IDNN's double well
# (ETA0 = 0.646, WALL = sqrt(2 kappa / |g_etaeta(0)|) = sqrt(2 * 1.6e-5 / 0.041) = 0.028).
WAVELENGTH, WALL, ETA0 = 0.64, 0.028, 0.646
LARGEST_DT = 45.0  # the adaptive inputs/b2.yaml run's largest step (docs/b2.md)
# PFHub 1a disc: the 1D equilibrium profile of f = rho (c - a)^2 (b - c)^2 with gradient energy kappa,
# c = 0.5 - 0.2 tanh((r - R) / w), w = 2 / ((b - a) sqrt(2 rho / kappa)) = 2 / (0.4 sqrt(5)) = 2.236
DISC_RADIUS = 80.0  # area fraction 1/2: mean c = 0.5 as in PFHub 1a
DISC_DTS = (1.0, 1.0e2, 1.0e4)
B2_3D_QDEGREE = 2  # inputs/b2_3d.yaml's quadrature degree


def b2_overrides(dim: int, n: int, linear: str, state: str, h: float | None = None) -> list[str]:
    box = (2.0 if dim == 2 else 0.64) if h is None else h * n
    k = 2 * 3.141592653589793 / WAVELENGTH
    pattern = "(" + "+".join(f"cos({k:.12g}*{x})" for x in "xyz"[:dim]) + "-0.5)"
    eta = ({"kind": "random_uniform", "low": -0.01, "high": 0.01, "seed": 7} if state == "early" else
           {"kind": "formula", "formula": f"{ETA0}*tanh({pattern}/{k * WALL:.12g})"})
    sets = {"mesh": {"lengths": [box] * dim, "cells": [n] * dim}, "periodic": list("xyz"[:dim]),
            "initial": {"c": {"kind": "constant", "value": 1 / SQRT2}, "eta": eta},
            "solver": {"linear": linear, "reuse_factorization": 0},
            "quadrature_degree": B2_3D_QDEGREE if dim == 3 else None}
    return [f"{key}={json.dumps(value)}" for key, value in sets.items()]


def disc_overrides(linear: str) -> list[str]:
    width = 2.0 / (0.4 * (2 * 5.0 / 2.0) ** 0.5)  # rho = 5, kappa = 2, c_beta - c_alpha = 0.4
    formula = f"0.5 - 0.2*tanh((sqrt((x - 100)**2 + (y - 100)**2) - {DISC_RADIUS}) / {width:.12g})"
    sets = {"initial": {"c": {"kind": "formula", "formula": formula}}, "solver": {"linear": linear, "reuse_factorization": 0}}
    return [f"{key}={json.dumps(value)}" for key, value in sets.items()]


def worker(spec: dict) -> None:
    """One configuration in this process: Newton solves at the given dts from one state; counts, time
    and peak memory."""
    import dolfinx_solver  # noqa: F401
    from mpi4py import MPI

    from pf_app.phasefield.case import load_case
    from pf_app.phasefield.simulation import Simulation

    comm = MPI.COMM_WORLD
    if spec["state"] == "pfhub_disc":
        case = load_case(REPO / "inputs" / "pfhub_1a.yaml", disc_overrides(spec["linear"]), output="/tmp/unused")
        relax_to = 1.0e3
    else:
        case = load_case(REPO / "inputs" / "b2.yaml", b2_overrides(spec["dim"], spec["n"], spec["linear"], spec["state"],
                                                                   spec.get("h")), output="/tmp/unused")
        relax_to = LARGEST_DT if spec["state"] == "domains" else 0.0
    sim = Simulation(case)
    m, solver = sim.model, sim.solver
    sim.set_initial_state()

    def step(dt, accept=True):
        m.set_step(dt, None, "backward_euler")
        m.u.x.array[:] = m.u_n.x.array
        comm.barrier()
        t0 = time.perf_counter()
        converged, its = solver.solve()
        wall = comm.allreduce(time.perf_counter() - t0, op=MPI.MAX)
        if converged and accept:
            m.u_n.x.array[:] = m.u.x.array
        return converged, its, wall

    dt = 1.0  # relax with growing steps (x2, halved on failure), as an adaptive run does
    while dt < relax_to:
        dt = 2 * dt if step(dt)[0] else dt / 2
        if dt < 1e-3:
            raise SystemExit(f"{spec}: relaxation failed ({solver.failure()})")
    results = []
    for dt in spec["dts"]:
        runs = []
        for repeat in range(spec.get("repeats", 1) + 1):  # the first solve (form compilation, set-up) is excluded
            converged, its, wall = step(dt, accept=spec["state"] == "early")
            if not converged:
                raise SystemExit(f"{spec} dt = {dt}: {solver.failure()}")
            runs.append((its, solver.linear_iterations, wall))
        n = sum(r[0] for r in runs[1:])
        results.append({"dt": dt, "newton": n, "krylov_per_newton": sum(r[1] for r in runs[1:]) / max(n, 1),
                        "s_per_newton": sum(r[2] for r in runs[1:]) / max(n, 1)})
    peak = comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, op=MPI.SUM) * 1024.0
    if comm.rank == 0:
        print("RESULT " + json.dumps({"dofs": solver.x.getSize(), "peak_bytes": peak, "solver": solver.linear,
                                      "results": results}), flush=True)


def measure(spec: dict, ranks: int = 1) -> dict | None:
    cmd = [str(Path(sys.executable).parent / "mpirun"), "-n", str(ranks), sys.executable, __file__,
           "--worker", json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        print(json.dumps({"note": f"{spec} on {ranks} rank(s) failed: {tail}"}), flush=True)
        return None
    return json.loads(line[len("RESULT "):])


def dt_study() -> None:
    r = measure({"state": "pfhub_disc", "linear": "iterative", "dts": list(DISC_DTS)})
    if r is None:
        return
    counts = {x["dt"]: x["krylov_per_newton"] for x in r["results"]}
    for dt, count in counts.items():
        emit(f"krylov_per_newton_pfhub_disc_dt{dt:g}", count, "outer GMRES iterations per Newton iteration")
    emit("krylov_iterations_dt_growth", counts[1.0e4], "ratio (dt = 1e4 over dt = 1, PFHub 1a disc state; goal <= 2)",
         counts[1.0])


def refinement_study(dim: int, meshes: list[int], state: str, dt: float) -> None:
    counts = []
    for n in meshes:
        r = measure({"dim": dim, "n": n, "state": state, "linear": "iterative", "dts": [dt]})
        if r is None:
            return
        counts.append(r["results"][0]["krylov_per_newton"])
        emit(f"krylov_per_newton_{dim}d_{n}_{state}_dt{dt:g}", counts[-1], "iterations")
    emit("krylov_iterations_growth" + ("" if dim == 2 else "_3d") + ("" if state == "early" else f"_{state}"),
         counts[-1] / counts[0], f"finest/coarsest ({meshes[0]}^{dim} -> {meshes[-1]}^{dim}; goal <= 1.5)")


def memory_and_cost(n: int, name_memory: str | None, name_seconds: str | None, h: float | None = None) -> None:
    r = measure({"dim": 3, "n": n, "state": "early", "linear": "iterative", "dts": [1.0], "repeats": 2, "h": h}, ranks=2)
    if r is None:
        return
    if name_memory:
        emit(name_memory, r["peak_bytes"] / r["dofs"], f"bytes per unknown ({n}^3 B2, {r['dofs']} unknowns, "
             "peak resident memory of both ranks; goal <= 2000)")
    if name_seconds:
        emit(name_seconds, r["results"][0]["s_per_newton"], f"s per Newton iteration ({n}^3 B2, 2 ranks, dt = 1; goal <= 10)")
        emit(f"peak_memory_3d_{n}", r["peak_bytes"] / 1e9, "GB (both ranks)")


def pfhub_wall_ratio() -> None:
    """The whole inputs/pfhub_1a.yaml run with each linear solver, the two at the same time on one rank
    each, so that both see the same load (a busy machine slows them alike); F at the PFHub times and
    the largest relative difference of F between the two."""
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for linear in ("iterative", "lu"):
            cmd = [sys.executable, "-m", "pf_app", "run", str(REPO / "inputs" / "pfhub_1a.yaml"),
                   "--output", f"{tmp}/{linear}", "--set", f"solver.linear={linear}"]
            runs[linear] = (time.perf_counter(), subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                                                  stderr=subprocess.PIPE, text=True, cwd=REPO))
        walls, energies = {}, {}
        for linear, (t0, proc) in runs.items():
            stderr = proc.communicate()[1]
            walls[linear] = time.perf_counter() - t0
            if proc.returncode != 0:
                print(json.dumps({"note": f"pfhub_1a with {linear} failed: {stderr.strip().splitlines()[-1:]}"}))
                return
            with open(Path(tmp) / linear / "energy.csv") as f:
                energies[linear] = {float(r["t"]): float(r["energy"]) for r in csv.DictReader(f)}
            with open(Path(tmp) / linear / "rejected.csv") as f:
                failed = sum(r["reason"] not in ("error", "slow") for r in csv.DictReader(f))
            emit(f"pfhub_1a_{linear}_failed_solves", failed, "steps rejected for a failed solve (goal 0)")
            emit(f"pfhub_1a_{linear}_wall_seconds", walls[linear], "s (one rank, the two runs at the same time)")
    times = (1e2, 1e3, 1e4, 1e5, 1e6)
    for t in times:
        emit(f"pfhub_1a_F({t:g})", energies["iterative"][t], "energy (iterative; LU as baseline)", energies["lu"][t])
    deviation = max(abs(energies["iterative"][t] / energies["lu"][t] - 1) for t in times)
    emit("pfhub_1a_iterative_vs_lu_F_deviation", 100 * deviation, "% (largest relative difference of F at the PFHub times; goal <= 0.1)")
    emit("pfhub_1a_iterative_vs_lu_wall", walls["iterative"], "s (whole run, iterative over LU; goal <= 1)", walls["lu"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small meshes only (a few minutes on 2 cores)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return 0
    dt_study()
    if args.quick:
        refinement_study(2, [50, 100, 200], "early", 1.0)
        memory_and_cost(32, "bytes_per_unknown_3d_32", None)
        return 0
    refinement_study(2, [100, 200, 400, 800], "early", 1.0)
    refinement_study(2, [100, 200, 400, 800], "domains", LARGEST_DT)
    refinement_study(3, [16, 32, 64], "early", 1.0)
    memory_and_cost(64, "bytes_per_unknown_3d", None)
    memory_and_cost(96, None, "seconds_per_newton_96", h=0.01)
    pfhub_wall_ratio()
    return 0


if __name__ == "__main__":
    sys.exit(main())
