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

from pf_app.elasticity.verification import laminate


@pytest.mark.parametrize("dim", [2, 3])
def test_periodic_two_phase_laminate_has_the_exact_layer_stresses(dim):
    solver, measured, exact = laminate(dim, "lu")
    np.testing.assert_allclose(measured, exact, atol=1e-9 * np.max(np.abs(exact)))
    # the stress is uniform in each layer, not only right on average: the cell-wise stresses agree too
    integral, volume = solver.cell_stress_integrals()
    per_cell = integral / volume[:, None]
    assert np.ptp(per_cell[:, 0]) < 1e-9 * np.max(np.abs(exact))  # sigma_xx continuous across layers


def test_gamg_solves_the_periodic_laminate_to_its_tolerance():
    """CG + GAMG on the periodic-reduced system (near-nullspace: the rigid modes restricted to periodic
    unknowns) reaches rtol 1e-10; with the condition number ~1e3 the stresses are exact to ~1e-7."""
    solver, measured, exact = laminate(2, "iterative")
    assert solver.linear == "iterative"
    np.testing.assert_allclose(measured, exact, atol=1e-6 * np.max(np.abs(exact)))
