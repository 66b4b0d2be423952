"""Observed orders of accuracy from PFHub benchmark 7's manufactured solution (issue 25, item 4):
the source term is exact, and on small meshes the L2 error of eta falls as h^2 (P1) and h^3 (P2) in
space and as dt (backward Euler) and dt^2 (BDF2, also on non-uniform steps) in time.

The small meshes use a gentler version of inputs/pfhub_7a.yaml (the same formulas): a wider interface
(kappa = 4e-3) with longer waves along it (B1 = 2, B2 = 4, times pi), so that 8 to 32 cells per unit
length are already in the asymptotic range.  The goals are those of benchmarks/mms_convergence.py,
which measures the same on the benchmark's own parameters: 1.9 and 2.8 in space, 0.95, 1.9 and 1.8 in
time; an order that drops below them means a lost term or a wrong time level."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

import dolfinx_solver  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
CASE = REPO / "inputs" / "pfhub_7a.yaml"


def test_the_source_term_makes_the_manufactured_solution_exact():
    """S = d eta/dt + 4 eta (eta - 1)(eta - 1/2) - kappa lap eta for eta the exact solution, with the
    derivatives from the formula parser's exact symbolic differentiation, at 2,000 random points of
    the domain and of [0, 8]: equal to rounding (terms up to ~1e3, eps 2.2e-16)."""
    from pf_app.config import load_yaml
    from pf_app.formula import Formula

    case = load_yaml(CASE)
    par = case["source"]["parameters"]
    eta = Formula.from_text(case["boundaries"]["top"]["dirichlet"]["eta"], ("x", "y", "t"), par)
    source = Formula.from_text(case["source"]["terms"]["eta"], ("x", "y", "z", "t"), par)
    rng = np.random.default_rng(0)
    x, y, t = rng.uniform(0, 1, 2000), rng.uniform(0, 0.5, 2000), rng.uniform(0, 8, 2000)
    e, grad, hess = eta.numpy(np.column_stack([x, y, t]), order=2)
    residual = grad[:, 2] + 4 * e * (e - 1) * (e - 0.5) - par["kappa"] * (hess[:, 0, 0] + hess[:, 1, 1])
    np.testing.assert_allclose(source.numpy(np.column_stack([x, y, 0 * x, t]), order=0), residual, rtol=0, atol=1e-12)


def test_space_orders_p1_and_p2_on_small_meshes():
    """The solution frozen in time (A1 = C2 = 0), so the error left is spatial: P1 and P2 on 16, 32 and
    64 cells per unit length."""
    from pf_app.phasefield.mms import GENTLE, space_order

    assert space_order(CASE, degree=1, cells=(16, 32, 64), parameters=GENTLE).order >= 1.9  # 1.93 measured
    assert space_order(CASE, degree=2, cells=(16, 32, 64), parameters=GENTLE).order >= 2.8  # 2.99


def test_time_orders_backward_euler_bdf2_and_variable_steps_on_a_small_mesh():
    """16 cells per unit length, t = 1, 8 to 64 steps (and the non-uniform pattern repeated 2 to 16
    times); each run's error is its difference from the run with half the steps (the spatial error
    cancels)."""
    from pf_app.phasefield.mms import GENTLE, time_order

    steps = (8, 16, 32, 64)
    assert time_order(CASE, "backward_euler", 16, steps, GENTLE).order >= 0.95  # 0.97 measured
    assert time_order(CASE, "bdf2", 16, steps, GENTLE).order >= 1.9  # 2.15
    assert time_order(CASE, "bdf2", 16, (10, 20, 40, 80), GENTLE, variable=True).order >= 1.8  # 2.13


SCRIPT = """
import sys
sys.path.insert(0, {repo!r})
import dolfinx_solver
from mpi4py import MPI
from pf_app.phasefield.mms import GENTLE, time_order
study = time_order({case!r}, "bdf2", 16, (4, 8), GENTLE)
if MPI.COMM_WORLD.rank == 0:
    print(repr(study.errors[0]))
"""


@pytest.mark.mpi
def test_two_ranks_give_the_serial_solution():
    """Sources, time-dependent Dirichlet values and the periodic axis under mpirun -n 2: the
    difference between the 4- and 8-step BDF2 runs is the serial one to the Newton tolerance (both
    runs converge to 1e-12 of their residuals; the difference is ~1e-5)."""
    from pfcase import mpirun

    from pf_app.phasefield.mms import GENTLE, time_order

    serial = time_order(CASE, "bdf2", 16, (4, 8), GENTLE).errors[0]
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "mms.py"
        script.write_text(SCRIPT.format(repo=str(REPO), case=str(CASE)))
        out = mpirun([str(script)])
    assert out.returncode == 0, out.stderr
    assert float(out.stdout.strip().splitlines()[-1]) == pytest.approx(serial, rel=1e-6)
