"""Bragg-Williams (sublattice mean-field) free energy of the cluster expansion: starting states and mu guesses.

With m_s = 2 x_s - 1 on every sublattice s of the ordering cell, the mean-field energy per site replaces
every cluster product by the product of its sites' sublattice averages (same counting as
hamiltonian.py)::

    e(m) = V0 + (1/M) sum_(clusters a) V_a prod_(i in a) m_(s(i))

and g = e + (kT/S) sum_s [x_s ln x_s + (1 - x_s) ln(1 - x_s)] per site (S equal sublattices).  For the
nearest-neighbour BCC model on the B2 map this is e = 4 V1 m1 m2 (kT_c = 8 V1 instead of 6.35 V1):
mean field ignores correlations but, unlike the ideal solution, knows the ordering energy, so it is a
better aim for umbrella targets and a better starting state for semi-grand-canonical runs.
"""

from __future__ import annotations

import itertools

import numpy as np

from pf_app.montecarlo.hamiltonian import ClusterTables
from pf_app.montecarlo.order_parameters import OrderParameterMap

_EDGE = 1e-6
GRID_POINTS = 200_000  # upper bound on the grid of sublattice fractions searched by mean_field_state


class MeanField:
    """The mean-field free energy per site g(x) of a model on a supercell, x shape (..., S)."""

    def __init__(self, tables: ClusterTables, order_map: OrderParameterMap):
        sc = tables.supercell
        self.order_map, self.n_sub, self.V0 = order_map, sc.n_sublattices, tables.model.V0
        terms: dict[tuple[int, ...], float] = {}
        for a, c in tables.clusters.items():
            subs, counts = np.unique(np.sort(sc.sublattice[c], axis=1), axis=0, return_counts=True)
            for key, k in zip(map(tuple, subs), counts):
                terms[key] = terms.get(key, 0.0) + tables.model.ecis[a] * k / sc.n_sites
        self.terms = terms

    def energy(self, x) -> np.ndarray:
        m = 2 * np.asarray(x, float) - 1
        e = np.full(m.shape[:-1], self.V0)
        for subs, coef in self.terms.items():
            e = e + coef * np.prod(m[..., list(subs)], axis=-1)
        return e

    def free_energy(self, x, kT: float) -> np.ndarray:
        x = np.clip(np.asarray(x, float), _EDGE, 1 - _EDGE)
        ent = np.sum(x * np.log(x) + (1 - x) * np.log(1 - x), axis=-1)
        return self.energy(x) + kT / self.n_sub * ent

    def grad_x(self, x, kT: float) -> np.ndarray:
        """dg/dx_s, shape (..., S)."""
        x = np.clip(np.asarray(x, float), _EDGE, 1 - _EDGE)
        m = 2 * x - 1
        de = np.zeros_like(m)
        for subs, coef in self.terms.items():
            for p, s in enumerate(subs):
                rest = [t for q, t in enumerate(subs) if q != p]
                de[..., s] += coef * np.prod(m[..., rest], axis=-1)
        return 2 * de + kT / self.n_sub * np.log(x / (1 - x))

    def mu(self, eta, kT: float) -> np.ndarray:
        """dg/deta = Q^-T dg/dx at order parameters eta, shape (n, K)."""
        x = self.order_map.fractions(eta)
        return self.grad_x(x, kT) @ self.order_map.Q_inv

    def state(self, kT: float, mu, ordered: bool = True) -> tuple[float, ...]:
        """x minimising g - mu . eta on a grid: over x_1 >= x_2 >= ... (ordered) or x_1 = ... = x_S (not)."""
        s = self.n_sub
        n = 201 if (s <= 2 or not ordered) else max(5, int(GRID_POINTS ** (1 / s)))
        grid = np.linspace(0.5 / n, 1 - 0.5 / n, n)
        if ordered and s > 1:
            x = np.array(list(itertools.product(grid, repeat=s)))
            x = x[np.all(x[:, :-1] >= x[:, 1:], axis=1)]
        else:
            x = np.repeat(grid[:, None], s, axis=1)
        omega = self.free_energy(x, kT) - self.order_map.eta(x) @ np.asarray(mu, float)
        return tuple(float(v) for v in x[int(np.argmin(omega))])
