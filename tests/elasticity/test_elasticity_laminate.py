"""A periodic laminate of two anisotropic phases: the finite-element solution is exact.

Layers normal to x (c = 1 for x < 3/8, else 0, a cell-wise field) of a rotated cubic crystal and an
isotropic phase, C = c C_cubic + (1 - c) C_iso, every eigenstrain component a formula in c, some mean
strains prescribed and the mean stress of the others (zero where not given).  The exact solution
(pf_app.elasticity.analytic.laminate) is uniform in each layer with a displacement piecewise linear in x,
which P1 on a mesh with nodes on the interfaces represents exactly, and the energy's integrand is
piecewise polynomial, integrated exactly: the only error is rounding, amplified by the condition number
of the stiffness matrix, ~(L/h)^2 x the stiffness contrast ~ 16^2 x 5 ~ 1e3, so ~1e-12 relative; the
tolerance 1e-9 leaves room for the superposition of the mean-stress solves.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

import dolfinx
from dolfinx import fem

from pf_app.config import build
from pf_app.elasticity import analytic
from pf_app.elasticity.config import ElasticityConfig, build_law
from pf_app.elasticity.solver import MechanicalSolver

FRACTION = 0.375
EIGENSTRAIN_2D = {"xx": "0.01*c", "yy": "0.005*c + 0.002", "zz": "0.004*c", "xy": "0.003*c"}
EIGENSTRAIN_3D = {**EIGENSTRAIN_2D, "yz": "-0.002*c", "xz": "0.001*(1 - c)"}


def laminate_case(dim: int, linear: str, comm=MPI.COMM_WORLD):
    """The FE solver and the exact layer stresses for the laminate of the module doc."""
    if dim == 2:
        mesh = dolfinx.mesh.create_rectangle(comm, [[0.0, 0.0], [1.0, 0.5]], [16, 4])
        mean_strain, eigenstrain = {"yy": 0.001}, EIGENSTRAIN_2D
    else:
        mesh = dolfinx.mesh.create_box(comm, [[0.0, 0.0, 0.0], [1.0, 0.5, 0.5]], [16, 2, 2])
        mean_strain, eigenstrain = {"yy": 0.001, "xz": 0.0005}, EIGENSTRAIN_3D
    mean_stress = {"xx": 0.5}
    cfg = build(ElasticityConfig, {
        "stiffness": [{"kind": "cubic", "C11": 250.0, "C12": 150.0, "C44": 100.0, "euler_bunge_deg": [30.0, 20.0, 10.0],
                       "weight": "c"},
                      {"kind": "isotropic", "E": 100.0, "nu": 0.25, "weight": "1 - c"}],
        "eigenstrain": eigenstrain, "solver": {"linear": linear},
        "boundary": {"kind": "periodic", "mean_strain": mean_strain, "mean_stress": mean_stress}})
    law = build_law(cfg, ("c",), dim)
    c = fem.Function(fem.functionspace(mesh, ("DG", 0)))
    c.interpolate(lambda x: (x[0] < FRACTION).astype(float))
    solver = MechanicalSolver(mesh, cfg, law, [c], quadrature_degree=2)
    solver.solve()
    eps0 = [law.eigenstrain.numpy(np.array([[v]]))[0][0] for v in (1.0, 0.0)]
    plane_strain = {"zz": 0.0, "yz": 0.0, "xz": 0.0} if dim == 2 else {}
    _, exact = analytic.laminate([p.voigt() for p in cfg.stiffness], eps0, [FRACTION, 1 - FRACTION],
                                 mean_strain=mean_strain, mean_stress=mean_stress, fixed_strain=plane_strain)
    n_cells = mesh.topology.index_map(dim).size_local
    x_mid = dolfinx.mesh.compute_midpoints(mesh, dim, np.arange(n_cells, dtype=np.int32))[:, 0]
    measured = np.array([solver.mean_stress(layer) for layer in (x_mid < FRACTION, x_mid > FRACTION)])
    return solver, measured, exact


@pytest.mark.parametrize("dim", [2, 3])
def test_periodic_two_phase_laminate_has_the_exact_layer_stresses(dim):
    solver, measured, exact = laminate_case(dim, "lu")
    np.testing.assert_allclose(measured, exact, atol=1e-9 * np.max(np.abs(exact)))
    # the stress is uniform in each layer, not only right on average: the cell-wise stresses agree too
    integral, volume = solver.cell_stress_integrals()
    per_cell = integral / volume[:, None]
    assert np.ptp(per_cell[:, 0]) < 1e-9 * np.max(np.abs(exact))  # sigma_xx continuous across layers


def test_gamg_solves_the_periodic_laminate_to_its_tolerance():
    """CG + GAMG on the periodic-reduced system (near-nullspace: the rigid modes restricted to periodic
    unknowns) reaches rtol 1e-10; with the condition number ~1e3 the stresses are exact to ~1e-7."""
    solver, measured, exact = laminate_case(2, "iterative")
    assert solver.linear == "iterative"
    np.testing.assert_allclose(measured, exact, atol=1e-6 * np.max(np.abs(exact)))
