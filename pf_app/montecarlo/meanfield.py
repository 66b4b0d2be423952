"""Bragg-Williams (sublattice mean-field) free energy of the cluster expansion: starting states and mu guesses.

With m_s = 2 x_s - 1 the mean-field energy per site (same counting as hamiltonian.py) is

    e = V0 + V_point (m1 + m2)/2 + 4 V1 m1 m2 + (3 V2 + 6 V3)(m1^2 + m2^2)/2 + 6 V_triplet m1 m2 (m1 + m2)

and g = e + kT/2 sum_s [x_s ln x_s + (1 - x_s) ln(1 - x_s)] per site.  Mean field ignores
correlations (it puts the B2 transition of the nearest-neighbour model at kT = 8 V1 instead of 6.35 V1)
but, unlike the ideal solution, knows the ordering energy: a better aim for umbrella targets and a
better starting composition for semi-grand-canonical runs.
"""

from __future__ import annotations

import math

import numpy as np

from pf_app.montecarlo.hamiltonian import ClusterExpansion

SQRT2 = math.sqrt(2.0)
_EDGE = 1e-6


def _grad_x(model: ClusterExpansion, x1, x2, kT: float):
    """dg/dx1, dg/dx2 per site."""
    m1, m2 = 2 * x1 - 1, 2 * x2 - 1
    v1, v2, v3 = model.pairs
    quad, vt = 3 * v2 + 6 * v3, model.triplet

    def de_dm(a, b):
        return model.point / 2 + 4 * v1 * b + quad * a + 6 * vt * (2 * a * b + b * b)

    return (2 * de_dm(m1, m2) + 0.5 * kT * np.log(x1 / (1 - x1)),
            2 * de_dm(m2, m1) + 0.5 * kT * np.log(x2 / (1 - x2)))


def free_energy(model: ClusterExpansion, x1, x2, kT: float):
    """g per site at sublattice fractions (x1, x2)."""
    x1, x2 = np.clip(x1, _EDGE, 1 - _EDGE), np.clip(x2, _EDGE, 1 - _EDGE)
    m1, m2 = 2 * x1 - 1, 2 * x2 - 1
    v1, v2, v3 = model.pairs
    e = (model.V0 + model.point * (m1 + m2) / 2 + 4 * v1 * m1 * m2 + (3 * v2 + 6 * v3) * (m1 ** 2 + m2 ** 2) / 2
         + 6 * model.triplet * m1 * m2 * (m1 + m2))
    ent = sum(x * np.log(x) + (1 - x) * np.log(1 - x) for x in (x1, x2))
    return e + 0.5 * kT * ent


def mean_field_mu(model: ClusterExpansion, c, eta, kT: float) -> np.ndarray:
    """dg/dc, dg/deta of the mean-field free energy, shape (n, 2)."""
    x1 = np.clip((np.asarray(c, float) + eta) / SQRT2, _EDGE, 1 - _EDGE)
    x2 = np.clip((np.asarray(c, float) - eta) / SQRT2, _EDGE, 1 - _EDGE)
    g1, g2 = _grad_x(model, x1, x2, kT)
    return np.column_stack([(g1 + g2) / SQRT2, (g1 - g2) / SQRT2])


def mean_field_state(model: ClusterExpansion, kT: float, mu_c: float, mu_eta: float = 0.0,
                     ordered: bool = True, n: int = 201) -> tuple[float, float]:
    """(x1, x2) minimising g - mu_c c - mu_eta eta on a grid (x1 >= x2 if ordered, x1 = x2 if not)."""
    x = np.linspace(0.5 / n, 1 - 0.5 / n, n)
    if ordered:
        x1, x2 = np.meshgrid(x, x, indexing="ij")
        keep = x1 >= x2
        x1, x2 = x1[keep], x2[keep]
    else:
        x1 = x2 = x
    omega = free_energy(model, x1, x2, kT) - (mu_c * (x1 + x2) + mu_eta * (x1 - x2)) / SQRT2
    i = int(np.argmin(omega))
    return float(x1[i]), float(x2[i])
