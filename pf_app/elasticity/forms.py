"""The elastic energy, stress, displacement residual and driving forces in UFL.

With x = (c, eta_1, ..., eta_N) the phase-field variables, u the displacement and E a mean strain
(periodic boxes; zero otherwise), the small strain and the elastic strain are

    eps(u) = sym grad u + E,        e = eps(u) - eps0(x),

in 3x3 form in 2D and 3D alike (2D is plane strain: u_z = 0, so eps_zz = eps_xz = eps_yz = 0 while
eps0_zz may be nonzero and stresses the body).  With C(x) = sum_p w_p(x) C_p (Voigt, module
:mod:`pf_app.elasticity.stiffness`):

    W(u, x)      = 1/2 e : C(x) : e                               (energy per volume)
    sigma        = C(x) : e = dW/d eps
    residual     (sigma, eps(v)) = 0  for all test displacements v (mechanical equilibrium,
                 traction-free where u is not prescribed)
    dW/dx_k      = -sigma : d eps0/dx_k + 1/2 e : dC/dx_k : e      (at fixed u: the elastic driving
                 force that enters mu = g_c + W_c - ... and the Allen-Cahn equations' g_eta + W_eta)

The coupled model adds W to the free-energy density; these functions take the caller's fields and
test functions so that the phase-field model builds its residual from the same expressions.
"""

from __future__ import annotations

import numpy as np
import ufl

from pf_app.elasticity.eigenstrain import Eigenstrain
from pf_app.elasticity.stiffness import VOIGT_PAIRS, InterpolatedStiffness


def strain(u, dim: int):
    """sym grad u as a 3x3 UFL tensor (2D: plane strain, zero out-of-plane row and column)."""
    g = ufl.sym(ufl.grad(u))
    if dim == 3:
        return g
    return ufl.as_matrix([[g[0, 0], g[0, 1], 0.0], [g[1, 0], g[1, 1], 0.0], [0.0, 0.0, 0.0]])


def voigt_strain(e):
    """(e_xx, e_yy, e_zz, 2 e_yz, 2 e_xz, 2 e_xy) of a 3x3 UFL strain (engineering shears)."""
    return [e[i, j] if i == j else 2 * e[i, j] for i, j in VOIGT_PAIRS]


def tensor_from_voigt(s) -> ufl.core.expr.Expr:
    """The symmetric 3x3 tensor of a Voigt stress vector (tensor components)."""
    rows = [[None] * 3 for _ in range(3)]
    for a, (i, j) in enumerate(VOIGT_PAIRS):
        rows[i][j] = rows[j][i] = s[a]
    return ufl.as_matrix(rows)


def _times(C: np.ndarray, e: list) -> list:
    """C e for a constant 6x6 C, skipping its zero entries (smaller generated kernels)."""
    return [sum((float(C[a, b]) * e[b] for b in range(6) if C[a, b] != 0.0), ufl.as_ufl(0.0)) for a in range(6)]


class ElasticLaw:
    """The constitutive law of one case: eigenstrain eps0(x) and stiffness C(x) (module doc)."""

    def __init__(self, eigenstrain: Eigenstrain, stiffness: InterpolatedStiffness, dim: int):
        if eigenstrain.variables != stiffness.variables:
            raise ValueError(f"eigenstrain in {eigenstrain.variables}, stiffness in {stiffness.variables}")
        self.eigenstrain, self.stiffness, self.dim = eigenstrain, stiffness, dim
        self.variables = eigenstrain.variables

    def elastic_strain(self, total_strain, fields):
        return total_strain - self.eigenstrain.ufl(fields)

    def _phase_terms(self, total_strain, fields):
        """Voigt elastic strain e and the phases' C_p e."""
        e = voigt_strain(self.elastic_strain(total_strain, fields))
        return e, [_times(C, e) for C in self.stiffness.matrices]

    def stress(self, total_strain, fields):
        """sigma = C(x) : (eps - eps0(x)) as a 3x3 UFL tensor."""
        _, Ce = self._phase_terms(total_strain, fields)
        w = self.stiffness.ufl_weights(fields)
        return tensor_from_voigt([sum(w[p] * Ce[p][a] for p in range(len(w))) for a in range(6)])

    def tangent_stress(self, strain_increment, fields):
        """C(x) : d eps as a 3x3 UFL tensor: the stress's derivative in the direction of a strain
        increment (no eigenstrain), the integrand of the elastic operator."""
        d = voigt_strain(strain_increment)
        w = self.stiffness.ufl_weights(fields)
        Cd = [_times(C, d) for C in self.stiffness.matrices]
        return tensor_from_voigt([sum(w[p] * Cd[p][a] for p in range(len(w))) for a in range(6)])

    def energy_density(self, total_strain, fields):
        """W = 1/2 e : C(x) : e."""
        e, Ce = self._phase_terms(total_strain, fields)
        w = self.stiffness.ufl_weights(fields)
        return 0.5 * sum(w[p] * _dot(e, Ce[p]) for p in range(len(w)))

    def driving_forces(self, total_strain, fields) -> list:
        """[dW/dx_k at fixed u for each variable] (module doc), exact through the formulas' derivatives."""
        e, Ce = self._phase_terms(total_strain, fields)
        sigma = self.stress(total_strain, fields)
        deps0 = self.eigenstrain.ufl_gradient(fields)
        dw = self.stiffness.ufl_weight_gradients(fields)
        quadratic = [_dot(e, Ce[p]) for p in range(len(Ce))]
        return [-ufl.inner(sigma, deps0[k]) + 0.5 * sum(dw[p][k] * quadratic[p] for p in range(len(Ce)))
                for k in range(len(self.variables))]

    def residual(self, total_strain, fields, v, dx):
        """The displacement equation's residual (sigma, eps(v)) dx for the test displacement v."""
        return ufl.inner(self.stress(total_strain, fields), strain(v, self.dim)) * dx


def _dot(a: list, b: list):
    return sum((ai * bi for ai, bi in zip(a, b)), ufl.as_ufl(0.0))
