"""The IDNN free energy as UFL against its numpy twin, and the two solver evaluation paths."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import ufl
from mpi4py import MPI

import dolfinx
from dolfinx import fem

from pf_app.freeenergy.network import NetworkFreeEnergy
from pf_app.idnn.mechanochem import load_mechanochem
from pfcase import read_energy, run_case, write_case

REPO = Path(__file__).resolve().parents[2]


def test_ufl_network_equals_numpy_twin(published_idnn_dir, network_rounding):
    """g, g_c, g_eta from the compiled UFL (forward-mode derivatives) and from numpy agree at random
    points of the physical domain within twice the rounding bound of one evaluation (both are exact;
    only round-off differs; tests/conftest.py: fan-ins x eps x the terms in absolute value)."""
    weights = load_mechanochem(published_idnn_dir)
    fe = NetworkFreeEnergy(weights, ("c", "eta"))
    mesh = dolfinx.mesh.create_unit_square(MPI.COMM_SELF, 10, 10)
    V0 = fem.functionspace(mesh, ("DG", 0))
    n = V0.dofmap.index_map.size_local
    rng = np.random.default_rng(0)
    cvals = rng.uniform(0.05, math.sqrt(2) - 0.05, n)
    evals = rng.uniform(-1, 1, n) * np.minimum(cvals, math.sqrt(2) - cvals)
    c, eta = fem.Function(V0), fem.Function(V0)
    c.x.array[:], eta.x.array[:] = cvals, evals
    expr = fem.Expression(ufl.as_vector([fe.ufl([c, eta]), *fe.ufl_gradient([c, eta])]), np.array([[1 / 3, 1 / 3]]))
    got = expr.eval(mesh, np.arange(n, dtype=np.int32)).reshape(n, 3)
    g, grad = fe.numpy(np.column_stack([cvals, evals]), 1)
    x = np.column_stack([cvals, evals])
    eps = network_rounding.eps_factor(weights)
    assert np.all(np.abs(got[:, 0] - g) <= 2 * eps * network_rounding.value_terms(weights, x))
    assert np.all(np.abs(got[:, 1:] - grad) <= 2 * eps * network_rounding.gradient_terms(weights, x))


@pytest.mark.parametrize("integration", ["consistent", "lumped"])
def test_symbolic_and_quadrature_paths_give_the_same_run(tmp_path, published_idnn_dir, integration):
    """UFL network vs numpy network at the integration points (with its exact Hessian in the
    Jacobian): the same discrete equations, so the same trajectory and Newton counts.  Lumped, the
    numpy side runs once per vertex (nodal values) and UFL at the vertex points of every cell."""
    energies = {}
    for mode in ("symbolic", "quadrature"):
        path = write_case(tmp_path, mode, mesh={"lengths": [1.0, 1.0], "cells": [12, 12]},
                          free_energy={"kind": "mechanochem", "path": str(published_idnn_dir), "evaluation": mode,
                                       "integration": integration},
                          time={"t_end": 6.0, "dt": 1.0, "adapt": "fixed"}, quadrature_degree=4)
        case, _ = run_case(path)
        energies[mode] = read_energy(case.output_dir)
    # The same discrete equations, evaluated with different rounding: each step's Newton solve is exact to
    # the relative residual solver.rtol, so the energies agree to that times the energy's scale.
    from pf_app.phasefield.case import SolverConfig

    scale = np.max(np.abs(energies["symbolic"]["energy"]))
    np.testing.assert_allclose(energies["quadrature"]["energy"], energies["symbolic"]["energy"], rtol=0,
                               atol=SolverConfig().rtol * scale)
    np.testing.assert_array_equal(energies["quadrature"]["newton_iterations"], energies["symbolic"]["newton_iterations"])


def test_lumped_and_consistent_free_energies_differ_by_order_h_squared(tmp_path):
    """The vertex rule of the lumped g terms is exact for linear integrands, so on a smooth state
    the lumped and consistent discrete energies of the shipped B2 IDNN differ by O(h^2): halving h
    divides the gap by 4 (measured 3.87 from 16 to 32 cells, 3.97 from 32 to 64)."""
    from pf_app.phasefield.case import load_case
    from pf_app.phasefield.simulation import Simulation

    def energy(cells, integration):
        path = write_case(tmp_path, f"{integration}{cells}", mesh={"lengths": [1.0, 1.0], "cells": [cells, cells]},
                          free_energy={"kind": "idnn", "path": str(REPO / "models" / "b2_idnn.json"),
                                       "integration": integration})
        model = Simulation(load_case(path)).model
        model.u.interpolate(lambda x: np.vstack([
            math.sqrt(0.5) + 0.1 * np.sin(2 * np.pi * x[0]) * np.cos(2 * np.pi * x[1]), 0 * x[0],
            0.2 * np.cos(2 * np.pi * x[0]) + 0.1 * np.sin(2 * np.pi * x[1])]))
        return model.energy()

    gap = {n: abs(energy(n, "lumped") - energy(n, "consistent")) for n in (16, 32)}
    assert gap[32] < 1e-5 and 3.6 < gap[16] / gap[32] < 4.4, gap


@pytest.mark.parametrize("activation", ["softplus", "tanh", "logistic"])
def test_compiled_kernel_equals_numpy_reference(activation):
    """The chunked compiled kernel and the vectorised numpy evaluator compute the same exact derivatives:
    agreement to round-off (1e-12) for a random 3-order-parameter network with polynomial
    invariants, feature scaling and an output offset."""
    from pf_app.idnn.compiled_network import CompiledIDNN
    from pf_app.idnn.weights import IDNNWeights, Layer

    rng = np.random.default_rng(5)
    feats = [[(1.0, (1, 0, 0))], [(1.0, (0, 2, 0)), (1.0, (0, 0, 2))], [(0.5, (0, 2, 2)), (-1.0, (1, 1, 1))]]
    sizes = [3, 7, 5, 1]
    layers = [Layer(rng.normal(size=(a, b)), rng.normal(size=b) if i < 2 else None,
                    activation if i < 2 else "linear") for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]
    w = IDNNWeights(("c", "e1", "e2"), feats, layers, rng.normal(size=3), rng.uniform(0.5, 2, 3), 0.3, -1.2)
    x = rng.uniform(-1, 1, (1300, 3))  # two full chunks of 512 points and a partial one
    for got, ref in zip(CompiledIDNN(w).evaluate(x), w.evaluate(x, 2)):
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * max(1.0, np.max(np.abs(ref))))


def test_bspline_free_energy_runs_like_the_polynomial_it_represents(tmp_path):
    """A cubic B-spline in (c, eta^2) fitted to the exact derivatives of the B2 Landau polynomial
    contains that polynomial, so it is recovered to round-off; the phase-field run with the spline
    (quadrature path) then follows the polynomial run (symbolic path) to solver tolerance."""
    from pf_app.bspline.evaluate import BSplineFreeEnergy, clamped_uniform_knots
    from pf_app.bspline.fit import fit
    from pf_app.freeenergy.base import landau_formula, PolynomialTerm
    from pfcase import LANDAU

    poly = landau_formula([PolynomialTerm(t["coef"], tuple(t["powers"])) for t in LANDAU["terms"]],
                          ("c", "eta"), LANDAU["c_ref"])
    rng = np.random.default_rng(2)
    c = rng.uniform(0, math.sqrt(2), 4000)
    eta = rng.uniform(-1, 1, 4000) * np.minimum(c, math.sqrt(2) - c)
    x = np.column_stack([c, eta])
    _, mu = poly.numpy(x, 1)
    kc, kv = clamped_uniform_knots(0, math.sqrt(2), 3, 3), clamped_uniform_knots(0, 0.5, 2, 3)
    spline = BSplineFreeEnergy(kc, kv, fit(kc, kv, 3, x, mu, np.ones_like(mu), 0.0), 3)
    g0 = poly.numpy(np.array([[0.5, 0.1]]), 0)[0] - spline.evaluate(np.array([[0.5, 0.1]]), 0)[0]
    spline.coefficients = spline.coefficients + g0  # fix the free constant (partition of unity)
    dg = np.max(np.abs(spline.evaluate(x, 0) - poly.numpy(x, 0)))  # the fit's round-off (~1e-15 of |g| <= 1)
    assert dg < 1e-10
    spline.save(tmp_path / "b2.bspline.json")
    runs = {}
    for name, fe in (("poly", LANDAU), ("spline", {"kind": "bspline", "path": str(tmp_path / "b2.bspline.json")})):
        case, _ = run_case(write_case(tmp_path, name, free_energy=fe, time={"t_end": 8.0, "dt": 1.0}))
        runs[name] = read_energy(case.output_dir)
    # Each step is a Newton solve to a relative residual solver.rtol, so the two runs' energies agree to
    # rtol x the energy's scale (max |E|, at t = 0) -- an absolute bound, since E crosses zero in this run.
    # On top: |domain| x dg (the spline is the polynomial up to dg) and the rounding of the energy's sum
    # over n_q quadrature points of terms no larger than the scale, n_q eps scale.
    from pf_app.phasefield.case import SolverConfig

    scale = np.max(np.abs(runs["poly"]["energy"]))
    n_q = 2 * 16 * 16 * 6  # triangles of the 16 x 16 mesh x points of the degree-4 rule
    atol = SolverConfig().rtol * scale + 1.0 * dg + n_q * np.finfo(float).eps * scale
    np.testing.assert_allclose(runs["spline"]["energy"], runs["poly"]["energy"], rtol=0, atol=atol)
