"""Prescribed displacements on box faces: a plane-strain bar pulled by u_x = delta on xmax, u_x = 0 on
xmin, its sides free.  The exact field is linear (sigma_xx = E delta / ((1 - nu^2) L), sigma_yy = 0,
sigma_zz = nu sigma_xx), which P1 represents exactly: the error is rounding x the condition number
(~(L/h)^2 = 1e3), tolerance 1e-9.  The faces fix u_x and the rotation but not the y translation, which
is found free and removed (zero mean u_y)."""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

import dolfinx
from dolfinx import fem

from pf_app.config import build
from pf_app.elasticity.config import ElasticityConfig, build_law
from pf_app.elasticity.solver import MechanicalSolver


def test_bar_pulled_by_prescribed_face_displacements_has_the_uniaxial_plane_strain_stress():
    E, nu, delta, L = 100.0, 0.3, 0.002, 2.0
    mesh = dolfinx.mesh.create_rectangle(MPI.COMM_WORLD, [[0.0, 0.0], [L, 0.5]], [16, 4])
    cfg = build(ElasticityConfig, {"stiffness": [{"kind": "isotropic", "E": E, "nu": nu}], "parameters": {"delta": delta},
                                   "boundary": {"kind": "displacement",
                                                "displacement": [{"boundary": "xmin", "x": 0.0},
                                                                 {"boundary": "xmax", "x": "delta*(1 + 0*y)"}]}})
    solver = MechanicalSolver(mesh, cfg, build_law(cfg, ("c",), 2), [fem.Constant(mesh, 0.0)], quadrature_degree=2)
    assert len(solver.free_modes) == 1 and abs(solver.free_modes[0][1]) > 1 - 1e-12  # the y translation
    solver.solve()
    s = E * delta / ((1 - nu * nu) * L)
    expected = np.array([s, 0.0, nu * s, 0.0, 0.0, 0.0])
    integral, volume = solver.cell_stress_integrals()
    np.testing.assert_allclose(integral / volume[:, None], np.tile(expected, (len(volume), 1)), atol=1e-9 * s)
    assert abs(solver.rigid_mode_moments()[1]) < 1e-15  # mean u_y removed (u ~ 1e-3 on an area of 1)
