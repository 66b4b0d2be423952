"""The eigenstrain (stress-free strain) eps0(c, eta): a symmetric tensor whose components are formulas.

Components are named xx, yy, zz, yz, xz, xy and are *tensor* components (eps0_xy, not the
engineering shear 2 eps0_xy); unnamed components are zero.  Each is a formula of the one parser
(:mod:`pf_app.formula`) in the phase-field variables x = (c, eta_1, ..., eta_N) and parameters, so
that the UFL form, its numpy twin and the exact derivatives d eps0 / d x_k come from one text.
Examples: Vegard's law on the diagonal, ``xx = yy = zz = "delta*(c - c0)"``; one tetragonal
(L1_0-like) strain per variant, ``xx = "e_a*(eta2^2 + eta3^2) + e_c*eta1^2"``, ...
"""

from __future__ import annotations

import numpy as np
import ufl

from pf_app.elasticity.stiffness import VOIGT, VOIGT_PAIRS
from pf_app.formula import Formula


class Eigenstrain:
    """eps0(x) from ``components`` {name in VOIGT: Formula in the same variables}."""

    def __init__(self, components: dict[str, Formula], variables: tuple[str, ...]):
        unknown = set(components) - set(VOIGT)
        if unknown:
            raise ValueError(f"eigenstrain components must be among {VOIGT}, got {sorted(unknown)}")
        self.components = dict(components)
        self.variables = tuple(variables)

    @classmethod
    def from_text(cls, texts: dict[str, str], variables, parameters=None) -> "Eigenstrain":
        return cls({k: Formula.from_text(str(v), variables, parameters) for k, v in texts.items()}, tuple(variables))

    def _tensor(self, entry) -> ufl.core.expr.Expr:
        """3x3 UFL tensor from ``entry(name) -> UFL scalar or 0``."""
        rows = [[0.0] * 3 for _ in range(3)]
        for name, (i, j) in zip(VOIGT, VOIGT_PAIRS):
            rows[i][j] = rows[j][i] = entry(name)
        return ufl.as_matrix(rows)

    def ufl(self, fields):
        """eps0 as a 3x3 UFL tensor of the UFL ``fields`` (c, eta_1, ...)."""
        values = {k: f.ufl(fields) for k, f in self.components.items()}
        return self._tensor(lambda name: values.get(name, 0.0))

    def ufl_gradient(self, fields) -> list:
        """[d eps0 / d x_k for each variable] as 3x3 UFL tensors (exact derivatives of the formulas)."""
        grads = {k: f.ufl_gradient(fields) for k, f in self.components.items()}
        return [self._tensor(lambda name: grads[name][k] if name in grads else 0.0)
                for k in range(len(self.variables))]

    def numpy(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """eps0 and d eps0 / d x at the rows of x: shapes (rows, 3, 3) and (rows, variables, 3, 3)."""
        x = np.atleast_2d(np.asarray(x, float))
        eps = np.zeros((len(x), 3, 3))
        deps = np.zeros((len(x), len(self.variables), 3, 3))
        for name, f in self.components.items():
            i, j = VOIGT_PAIRS[VOIGT.index(name)]
            value, grad = f.numpy(x, order=1)
            eps[:, i, j] = eps[:, j, i] = value
            deps[:, :, i, j] = deps[:, :, j, i] = grad
        return eps, deps
