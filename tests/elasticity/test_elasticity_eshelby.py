"""Eshelby's inclusion: a dilatational misfit e I in an isotropic body has a uniform interior stress
known in closed form (pf_app.elasticity.analytic).  Solved on the shipped meshes (meshes/eshelby_*,
interfaces on element edges) through the formula, stiffness and solver path of a phase-field case.

Tolerances.  The measured value is the mean stress over the core r < a/2, a linear functional of the
stress, whose finite-element error is O(h^(2p)) for degree-p elements on a mesh that resolves the
interface (Aubin-Nitsche): (h/a)^4 = 2e-5 for P2 in the disk (h = 0.02, a = 0.3) and 9e-4 in the ball
(h = 0.07, a = 0.4).  The polygonal interface misses an area fraction (2 pi h / a)^2 / 24, but the
interior stress of an inclusion does not depend on its size (only through the finite body's term a^2/R^2,
a 10 % correction): 1e-5.  The tolerances allow 10x these bounds for the unknown constants and stay far
below the errors they must catch (no zz eigenstrain in plane strain: 23 %; the finite body: 10 %).
"""

from __future__ import annotations

import numpy as np
import pytest

from pf_app.elasticity import verification


def test_circular_inclusion_in_plane_strain_has_the_closed_form_interior_stress():
    result = verification.circular_inclusion(degree=2)
    assert result.rel_error < 1e-3, (result.measured, result.exact)
    # traction-free body: the rigid-body modes are removed from u (zero mean displacement and rotation),
    # to the rounding of the L2 projection (displacements ~ e a = 3e-3 over a unit area: 1e-15)
    assert np.max(np.abs(result.solver.rigid_mode_moments())) < 1e-13


def test_spherical_inclusion_on_the_symmetric_octant_has_the_closed_form_interior_stress():
    result = verification.spherical_inclusion(degree=2)
    assert result.rel_error < 1e-2, (result.measured, result.exact)


def test_smeared_inclusion_matches_the_exact_stress_of_its_profile_and_the_sharp_one_to_its_width_squared():
    """The phase-field interface: c = (1 - tanh((r - a)/w))/2 in P1, w = 0.02 = h.  Against the exact
    stress of that profile the error is the P1 functional error, (h/a)^2 = 4.4e-3; the smeared profile's core
    stress differs from the sharp inclusion's only through the finite body's term, by
    f (pi^2/12) (w/a)^2 / (1 - f) = 4e-4 relative (f = a^2/R^2; docs/elasticity.md)."""
    smeared = verification.circular_inclusion(degree=1, width=0.02)
    assert smeared.rel_error < 1e-2, (smeared.measured, smeared.exact)
    sharp = verification.circular_inclusion(degree=1, width=0.0)
    f, w, a = 0.09, 0.02, 0.3
    shift = f * np.pi ** 2 / 12 * (w / a) ** 2 / (1 - f)
    assert abs(smeared.exact[0] / sharp.exact[0] - 1 + shift) < 1e-3 * shift  # the closed forms agree on the shift


@pytest.mark.parametrize("dim", [2, 3])
def test_gamg_with_the_rigid_body_near_nullspace_gives_the_lu_solution(dim):
    """CG + smoothed aggregation to rtol 1e-10 against MUMPS: the core stresses agree to ~1e-8 (the CG
    residual times the condition number of the core average, ~(R/h)^2 = 2.5e3)."""
    run = verification.circular_inclusion if dim == 2 else verification.spherical_inclusion
    lu, cg = run(degree=1, linear="lu"), run(degree=1, linear="iterative")
    assert cg.solver.linear == "iterative" and cg.solver.linear_iterations > 0
    np.testing.assert_allclose(cg.measured, lu.measured, atol=1e-6 * np.max(np.abs(lu.exact)))
