"""Gradient-energy coefficients kappa of the order parameters from a cluster expansion (mean field).

The derivation, its assumptions and worked examples are in ``docs/scale_bridging.md``; in short:

In the sublattice mean-field (Bragg-Williams) picture every site i carries the average occupation
m_i = 2 x_(s(i))(r_i) - 1 of its sublattice s at its position, and the energy is the cluster sum of
:mod:`pf_app.montecarlo.hamiltonian` with sigma replaced by m (each cluster once).  Let the fields
x_s(r) vary slowly and expand every cluster product to second order in the gradients.  After an
integration by parts (lattice sums -> integrals, surface terms dropped) a cluster a with sites
p, q, ... at positions r_p contributes, for each pair of its sites p < q,

    -(1/2) V_a F_pq (Delta_pq . grad m_p) (Delta_pq . grad m_q),    Delta_pq = r_q - r_p,
    F_pq = product of the other sites' m (1 for a pair),

independent of the point about which the cluster is expanded.  Per site, with m = 2x - 1::

    e_grad = (1/2) sum_(s,t) grad x_s . K_st grad x_t,
    K_st = -(2/S) sum_(clusters in one ordering cell) V_a sum_(p<q on s, t or t, s) F_pq Delta_pq (x) Delta_pq

(S sites in the ordering cell; a 3 x 3 tensor per sublattice pair), and with x = Q^-1 eta
(A = Q^-1) the coefficients of the order parameters are kappa = A^T K A:
e_grad = (1/2) sum_(k,l) grad eta_k . kappa_kl grad eta_l.  On a cubic lattice the tensors are
isotropic: kappa_kl = (tensor trace)/3.

Units: energy_unit per site times (length unit of the lattice cell)^2 (the inputs' a = 1 cells give
kappa in V_NN a^2 or eV a^2 per site); the phase-field g is per site too, so kappa goes with it.
To J/m multiply by the energy in J and a^2 in m^2 and divide by the volume per site in m^3.

Temperature enters only through the state: with pairs alone K is a constant (F = 1); triplets and
quadruplets make it depend on the sublattice fractions x at which it is evaluated (the mean-field or
learned equilibrium state of the case's composition and temperature, :func:`mean_field_state`).

Closed forms (tests/montecarlo/test_mc_gradient_coefficients.py): simple cubic, one site, pair V at
distance a: kappa_x = -4 V a^2 (the Cahn-Hilliard coefficient -(2/3) sum_j V_j r_j^2); BCC B2 map
with V_1, V_2, V_3: kappa_c = -(2 V_1 + 2 V_2 + 8 V_3) a^2, kappa_eta = (2 V_1 - 2 V_2 - 8 V_3) a^2,
no cross term.  An ordering alloy (V_1 > 0) has kappa_c < 0 from the nearest neighbours alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pf_app.montecarlo.hamiltonian import ClusterExpansion
from pf_app.montecarlo.lattice import Supercell
from pf_app.montecarlo.order_parameters import OrderParameterMap

ISOTROPY_TOLERANCE = 1e-9  # relative: anisotropic parts below this (round-off of the lattice sums) are zero


@dataclass(frozen=True)
class GradientCoefficients:
    """e_grad = (1/2) sum_kl grad eta_k . kappa_kl grad eta_l per site (mean field).

    ``kappa`` (K, K) is the isotropic part (a third of the trace of ``tensor`` (K, K, 3, 3)), in
    ``energy_unit`` per site x (length unit of the lattice cell)^2; ``fractions`` the sublattice
    state (S,) at which multi-body clusters were evaluated."""

    names: tuple[str, ...]
    kappa: np.ndarray
    tensor: np.ndarray
    fractions: np.ndarray
    energy_unit: str

    @property
    def isotropic(self) -> bool:
        """True when every tensor is kappa times the unit matrix (cubic lattices)."""
        iso = self.kappa[:, :, None, None] * np.eye(3)
        scale = max(float(np.abs(self.tensor).max()), np.finfo(float).tiny)
        return bool(np.abs(self.tensor - iso).max() <= ISOTROPY_TOLERANCE * scale)

    def of(self, name: str) -> float:
        """The diagonal coefficient of one order parameter, e.g. ``of('eta')``."""
        k = self.names.index(name)
        return float(self.kappa[k, k])

    def __str__(self) -> str:
        rows = [f"Gradient coefficients (mean field; {self.energy_unit} per site x length^2; at x = "
                f"{np.round(self.fractions, 6).tolist()}{'' if self.isotropic else '; anisotropic: see tensor'}):"]
        width = max(len(n) for n in self.names) + 2
        rows.append(" " * width + "".join(f"{n:>16s}" for n in self.names))
        for n, row in zip(self.names, self.kappa):
            rows.append(f"{n:>{width}s}" + "".join(f"{v:16.8g}" for v in row))
        return "\n".join(rows)


def sublattice_gradient_tensors(expansion: ClusterExpansion, ordering_cell, fractions) -> np.ndarray:
    """K_st (S, S, 3, 3) of the module docstring at sublattice fractions ``fractions`` (S,)."""
    space = expansion.space
    lattice = space.lattice
    cell = Supercell(lattice, ordering_cell, (1, 1, 1))  # maps any crystal site to its sublattice
    n_sub = cell.n_sublattices
    m = 2.0 * np.asarray(fractions, float).reshape(n_sub) - 1.0
    K = np.zeros((n_sub, n_sub, 3, 3))
    for orbit, eci in zip(space.orbits, expansion.ecis):
        if orbit.order < 2 or eci == 0.0:
            continue
        for cls in orbit.classes:  # one translation class per primitive cell ...
            for t in cell.sub_cells:  # ... repeated over the primitive cells of the ordering cell
                b, n = cls[:, 0], cls[:, 1:] + t
                r = lattice.cartesian(b, n)
                s = cell.index(b, n) % n_sub
                for p in range(orbit.order):
                    for q in range(p + 1, orbit.order):
                        others = [i for i in range(orbit.order) if i not in (p, q)]
                        f = float(np.prod(m[s[others]]))
                        d = r[q] - r[p]
                        term = -(2.0 / n_sub) * eci * f * np.outer(d, d)
                        K[s[p], s[q]] += term
                        K[s[q], s[p]] += term
    return K


def gradient_coefficients(expansion: ClusterExpansion, order_map: OrderParameterMap,
                          fractions=None) -> GradientCoefficients:
    """kappa of the order parameters ``order_map`` (eta = Q x) of ``expansion``, at the sublattice
    fractions ``fractions`` (S,; default all 1/2; only triplets and quadruplets depend on it)."""
    n_sub = order_map.Q.shape[0]
    x = np.full(n_sub, 0.5) if fractions is None else np.asarray(fractions, float).reshape(n_sub)
    K = sublattice_gradient_tensors(expansion, order_map.cell, x)
    A = order_map.Q_inv
    tensor = np.einsum("sk,stab,tl->klab", A, K, A)
    kappa = np.trace(tensor, axis1=2, axis2=3) / 3.0
    return GradientCoefficients(order_map.names, kappa, tensor, x, expansion.energy_unit)


def mean_field_state(model, kT: float, composition: float, starts: int = 8) -> np.ndarray:
    """Sublattice fractions (S,) minimising the mean-field free energy per site at ``kT`` and a fixed
    composition (the first order parameter of ``model.order_map``; x_s in [1e-6, 1 - 1e-6]): the state
    at which the multi-body terms of :func:`gradient_coefficients` belong at the case's temperature.
    The lowest of the local minima found from the disordered state and ``starts`` random states."""
    from scipy.optimize import minimize

    from pf_app.montecarlo.meanfield import MeanField
    from pf_app.montecarlo.sampler import cluster_tables

    omap = model.order_map
    mf = MeanField(cluster_tables(model), omap)
    q0 = omap.Q[0]
    edge = 1e-6
    constraint = {"type": "eq", "fun": lambda x: q0 @ x - composition, "jac": lambda x: q0}
    rng = np.random.default_rng(0)
    disordered = np.full(len(q0), composition / q0.sum())
    best = None
    for x0 in [disordered] + [rng.uniform(0.05, 0.95, len(q0)) for _ in range(starts)]:
        res = minimize(lambda x: float(mf.free_energy(x, kT)), x0, jac=lambda x: mf.grad_x(x, kT), method="SLSQP",
                       bounds=[(edge, 1 - edge)] * len(q0), constraints=[constraint],
                       options={"ftol": 1e-14, "maxiter": 500})
        if res.success and abs(q0 @ res.x - composition) < 1e-9 and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        raise ValueError(f"no mean-field state found at kT = {kT}, composition = {composition}")
    return best.x
