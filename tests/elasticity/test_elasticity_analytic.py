"""The closed forms of pf_app.elasticity.analytic against independent derivations (numpy only):
Eshelby's tensor for a cylinder and a sphere, the radial-profile integrals, the biaxial laminate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pf_app.elasticity import analytic
from pf_app.elasticity.stiffness import isotropic, to_tensor

E, NU, MISFIT = 100.0, 0.3, 0.01
ROUNDING = 1e-12  # sums of a few dozen terms of size |C| e: a few hundred eps relative


def _eshelby_interior_stress(S: np.ndarray) -> np.ndarray:
    """sigma = C : (S : eps* - eps*) for eps* = e I (Eshelby 1957: the constrained strain is S : eps*)."""
    C = to_tensor(isotropic(E, NU))
    eps_star = MISFIT * np.eye(3)
    return np.einsum("ijkl,kl->ij", C, np.einsum("ijkl,kl->ij", S, eps_star) - eps_star)


def test_circular_inclusion_matches_the_eshelby_tensor_of_a_cylinder():
    """Mura, Micromechanics of Defects in Solids, eq. 11.22 with a1 = a2, a3 -> inf."""
    d = 8.0 * (1.0 - NU)
    S = np.zeros((3, 3, 3, 3))
    for i in (0, 1):
        S[i, i, i, i] = (5.0 - 4.0 * NU) / d
        S[i, i, 1 - i, 1 - i] = (4.0 * NU - 1.0) / d
        S[i, i, 2, 2] = NU / (2.0 * (1.0 - NU))
        S[i, 2, i, 2] = S[i, 2, 2, i] = S[2, i, i, 2] = S[2, i, 2, i] = 0.25
    S[0, 1, 0, 1] = S[0, 1, 1, 0] = S[1, 0, 0, 1] = S[1, 0, 1, 0] = (3.0 - 4.0 * NU) / d
    sigma = _eshelby_interior_stress(S)
    s, s_zz = analytic.disk_interior_stress(E, NU, MISFIT, 0.3)
    assert sigma[0, 0] == pytest.approx(s, rel=ROUNDING) and sigma[1, 1] == pytest.approx(s, rel=ROUNDING)
    assert sigma[2, 2] == pytest.approx(s_zz, rel=ROUNDING)
    assert s == pytest.approx(-E * MISFIT / (2 * (1 - NU)), rel=ROUNDING)


def test_spherical_inclusion_matches_the_eshelby_tensor_of_a_sphere():
    """S_ijkl = (5 nu - 1)/(15 (1 - nu)) d_ij d_kl + (4 - 5 nu)/(15 (1 - nu)) (d_ik d_jl + d_il d_jk)."""
    d = np.eye(3)
    S = ((5 * NU - 1) * np.einsum("ij,kl->ijkl", d, d)
         + (4 - 5 * NU) * (np.einsum("ik,jl->ijkl", d, d) + np.einsum("il,jk->ijkl", d, d))) / (15 * (1 - NU))
    sigma = _eshelby_interior_stress(S)
    np.testing.assert_allclose(sigma, analytic.sphere_interior_stress(E, NU, MISFIT, 0.4) * d, atol=ROUNDING * E * MISFIT)


def test_radial_profile_formulas_reduce_to_the_sharp_inclusion_in_a_finite_body():
    """The quadrature of a step profile (tolerance: quad's default 1.5e-8 relative) equals the finite-body
    closed forms, inside (uniform) and outside (sigma_rr = -sigma_tt + 2 x the outer term)."""
    a, R = 0.3, 1.0

    def step(r):
        return (1 + NU) * MISFIT * (r < a)

    rr, tt = analytic.disk_radial_stress(E, NU, step, 0.1, R)
    s, _ = analytic.disk_interior_stress(E, NU, MISFIT, a, R)
    assert rr == pytest.approx(s, rel=1e-7) and tt == pytest.approx(s, rel=1e-7)
    assert analytic.sphere_radial_stress(E, NU, lambda r: MISFIT * (r < 0.4), 0.2, R) == pytest.approx(
        analytic.sphere_interior_stress(E, NU, MISFIT, 0.4, R), rel=1e-7)
    rr_out, _ = analytic.disk_radial_stress(E, NU, step, R, R)
    assert abs(rr_out) < 1e-7 * abs(s)  # traction-free rim


def test_laminate_of_one_isotropic_material_has_the_biaxial_stress():
    """Layers with dilatations e_k, free mean stress: the in-plane strain is <e>, so each layer holds the
    biaxial stress sigma_yy = sigma_zz = -E (e_k - <e>) / (1 - nu), sigma_xx = 0."""
    C = isotropic(E, NU)
    e, f = [0.01, -0.004, 0.002], [0.2, 0.5, 0.3]
    _, stress = analytic.laminate([C] * 3, [ek * np.eye(3) for ek in e], f)
    mean = float(np.dot(e, f))
    for k in range(3):
        expected = -E * (e[k] - mean) / (1 - NU)
        np.testing.assert_allclose(stress[k], [0.0, expected, expected, 0.0, 0.0, 0.0], atol=ROUNDING * E * 0.01)
    assert math.isclose(float(np.dot(f, stress[:, 1])), 0.0, abs_tol=ROUNDING * E * 0.01)
