"""Observed orders of accuracy from PFHub benchmark 7's manufactured solution (inputs/pfhub_7a.yaml).

Prints one JSON object per figure: the least-squares slope of log(L2 error of eta) against log(h) for
Lagrange degree 1 and 2 (mms_space_order_p1, _p2; baselines 2 and 3, the goals 1.9 and 2.8), and
against log(dt) for backward Euler and BDF2 with uniform steps and BDF2 on a non-uniform sequence that
repeats the relative steps (1, 1.8, 0.9, 1.5, 0.8) (mms_time_order_*; baselines 1 and 2, goals 0.95,
1.9 and 1.8); then the errors themselves (mms_space_error_p1_h<h>, mms_time_error_bdf2_dt<dt>, ..., times 1e6).

* Space: the solution frozen in time (A1 = C2 = 0, alpha = 1/4 + A2 sin(B2 pi x)), 4 BDF2 steps to
  t = 1: the schemes are exact for a steady solution, so the error is the spatial one.
* Time: the full time-dependent solution on one mesh; the error of a run is measured as its
  difference from the run with half the steps (the spatial error cancels; for an error C dt^p the
  differences are C (1 - 2^-p) dt^p, with the same slope).

Full: the benchmark's parameters (kappa = 4e-4: an interface 0.028 wide), meshes of 128-512 (P1) and
64-256 (P2) cells per unit length, time to t = 8 (16 to 128 steps) on 128 cells per unit length.  ``--quick``: the
gentler parameters of the tests (pf_app.phasefield.mms.GENTLE: kappa = 4e-3, B1 = 2, B2 = 4) on
meshes of 16-64 cells, time to t = 1 on 16 cells (a few seconds).

    .venv/bin/python benchmarks/mms_convergence.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import dolfinx_solver  # noqa: F401

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pf_step_cost import emit  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CASE = REPO / "inputs" / "pfhub_7a.yaml"

FULL = {"parameters": {}, "p1": (128, 256, 512), "p2": (64, 128, 256), "time_cells": 128, "t_end": 8.0,
        "steps": (16, 32, 64, 128), "variable_steps": (20, 40, 80, 160)}
QUICK = {"parameters": None, "p1": (16, 32, 64), "p2": (16, 32, 64), "time_cells": 16, "t_end": 1.0,
         "steps": (8, 16, 32, 64), "variable_steps": (10, 20, 40, 80)}


def main() -> int:
    from mpi4py import MPI

    from pf_app.phasefield.mms import GENTLE, space_order, time_order

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the tests' gentler parameters on small meshes")
    args = ap.parse_args()
    plan = QUICK if args.quick else FULL
    parameters = GENTLE if args.quick else plan["parameters"]
    studies = {
        "mms_space_order_p1": (space_order(CASE, 1, plan["p1"], parameters), 2.0, "h"),
        "mms_space_order_p2": (space_order(CASE, 2, plan["p2"], parameters), 3.0, "h"),
    }
    for name, scheme, steps, variable in (("backward_euler", "backward_euler", plan["steps"], False),
                                          ("bdf2", "bdf2", plan["steps"], False),
                                          ("bdf2_variable_steps", "bdf2", plan["variable_steps"], True)):
        study = time_order(CASE, scheme, plan["time_cells"], steps, parameters, variable, plan["t_end"])
        studies[f"mms_time_order_{name}"] = (study, 1.0 if scheme == "backward_euler" else 2.0, "dt")
    if MPI.COMM_WORLD.rank == 0:
        for name, (study, expected, _) in studies.items():
            emit(name, study.order, "order", expected)
        for name, (study, _, size) in studies.items():
            for h, e in zip(study.sizes, study.errors):
                emit(f"{name.replace('order', 'error')}_{size}{h:.4g}", e * 1e6, "L2 error x 1e6")
    return 0


if __name__ == "__main__":
    sys.exit(main())
