"""Phase-field mobilities from a diffusion coefficient: Arrhenius D(T), Cahn-Hilliard M_c, Allen-Cahn L.

The stated form (derivation and assumptions in ``docs/scale_bridging.md``):

* ``D(T) = D0 exp(-Q / kT)`` (D0 in m^2/s, the activation energy Q and kT in one energy unit);
* atoms exchange with nearest neighbours (distance r, z of them per site) at a frequency Gamma that
  does not depend on their surroundings (the lattice gas of independent exchanges, i.e. the
  symmetric exclusion process), so that ``D = z Gamma r^2 / 6``;
* linear (Onsager) kinetics around the mean composition x with the ideal-solution Onsager coefficient
  ``Gamma x (1 - x) / kT`` per exchanging pair; the thermodynamic factor comes from g.

For g per site and order parameters eta = Q x of sublattice fractions (Q with its scale):

* conserved composition c = q . x (q the first row of Q; s = sum_s q_s, c = s x in a uniform state):
  ``dc/dt = div(M_c grad dg/dc)`` with ``M_c = s^2 D x (1 - x) / kT`` (length^2 / (time x energy
  per site)); for the ideal solution M_c d2g/dc2 = D exactly;
* ordering parameters relax by exchanges between sublattices: ``d eta/dt = -L dg/d eta`` with
  ``L = Q Lambda Q^T``, ``Lambda_st = (S Gamma x (1 - x) / kT) (z_s delta_st - z_st)``, z_st the
  nearest neighbours on sublattice t of a site of sublattice s (S sublattices).  The composition row
  and column of L vanish (exchanges conserve c).  B2 on BCC (z_12 = z_21 = 8):
  ``L_eta = 4 z Gamma x (1 - x) / kT = 24 D x (1 - x) / (kT r^2)``.

Units: D and r as given (e.g. m^2/s and m give M_c in m^2/(s x energy), L in 1/(s x energy)); the
energy unit is that of kT (eV: ``K_B_EV * T``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pf_app.montecarlo.hamiltonian import ClusterExpansion
from pf_app.montecarlo.lattice import Supercell
from pf_app.montecarlo.order_parameters import OrderParameterMap

K_B_EV = 8.617333262e-5  # Boltzmann constant in eV/K (CODATA 2018, exact by the SI definition)


def arrhenius_diffusivity(D0: float, activation_energy: float, kT: float) -> float:
    """D = D0 exp(-Q/kT); ``activation_energy`` and ``kT`` in the same energy unit, D in D0's unit."""
    if D0 <= 0 or kT <= 0 or activation_energy < 0:
        raise ValueError(f"expected D0 > 0, kT > 0 and an activation energy >= 0, got {D0}, {kT}, {activation_energy}")
    return float(D0 * np.exp(-activation_energy / kT))


@dataclass(frozen=True)
class NearestNeighbours:
    """The exchange partners of the lattice: distance r (length unit of the cell), z per site, and
    z_st (S, S): neighbours on sublattice t of a site on sublattice s of the ordering cell."""

    distance: float
    z: int
    z_st: np.ndarray


def nearest_neighbours(expansion: ClusterExpansion, order_map: OrderParameterMap) -> NearestNeighbours:
    """The shortest pair orbit of ``expansion`` (the expansion must have pairs) counted by sublattice."""
    space = expansion.space
    pairs = space.orbits_of_order(2)
    if not pairs:
        raise ValueError("the cluster expansion has no pair orbit: the nearest neighbours are unknown")
    orbit = space.orbits[pairs[0]]
    cell = Supercell(space.lattice, order_map.cell, (1, 1, 1))
    n_sub = cell.n_sublattices
    z_st = np.zeros((n_sub, n_sub), int)
    for cls in orbit.classes:
        for t in cell.sub_cells:
            s = cell.index(cls[:, 0], cls[:, 1:] + t) % n_sub
            z_st[s[0], s[1]] += 1
            z_st[s[1], s[0]] += 1
    z = z_st.sum(axis=1)
    if np.any(z != z[0]):
        raise ValueError(f"sublattices with different numbers of nearest neighbours {z.tolist()}")
    ends = space.lattice.cartesian(orbit.classes[0][:, 0], orbit.classes[0][:, 1:])
    return NearestNeighbours(float(np.linalg.norm(ends[1] - ends[0])), int(z[0]), z_st)  # not the rounded orbit distance


def exchange_frequency(D: float, neighbours: NearestNeighbours, length_unit: float = 1.0) -> float:
    """Gamma = 6 D / (z r^2) per exchanging pair; r = neighbours.distance x ``length_unit`` (in D's length)."""
    r = neighbours.distance * length_unit
    return 6.0 * D / (neighbours.z * r * r)


@dataclass(frozen=True)
class Mobilities:
    """M_c (scalar) and L (K, K) of the order parameters; ``gamma`` the exchange frequency used."""

    names: tuple[str, ...]
    M_c: float
    L: np.ndarray
    gamma: float

    def of(self, name: str) -> float:
        k = self.names.index(name)
        return float(self.L[k, k])


def mobilities_from_diffusivity(D: float, kT: float, x_mean: float, expansion: ClusterExpansion,
                                order_map: OrderParameterMap, length_unit: float = 1.0) -> Mobilities:
    """M_c and L of the module docstring at the mean fraction ``x_mean`` of the second species.

    ``length_unit``: the lattice cell's length unit in D's length unit (e.g. a = 2.9e-10 m with the
    inputs' a = 1 cells and D in m^2/s); kT in the energy unit of g."""
    if not 0.0 < x_mean < 1.0 or kT <= 0 or D <= 0:
        raise ValueError(f"expected 0 < x_mean < 1, kT > 0 and D > 0, got {x_mean}, {kT}, {D}")
    nn = nearest_neighbours(expansion, order_map)
    gamma = exchange_frequency(D, nn, length_unit)
    Q = order_map.Q
    s = float(Q[0].sum())
    onsager = x_mean * (1.0 - x_mean) / kT
    n_sub = Q.shape[0]
    lam = n_sub * gamma * onsager * (np.diag(nn.z_st.sum(axis=1)) - nn.z_st)
    L = Q @ lam @ Q.T
    conserved = order_map.is_composition
    L[conserved, :] = 0.0  # exactly: Q's round-off leaves ~1e-18 relative
    L[:, conserved] = 0.0
    return Mobilities(order_map.names, s * s * D * onsager, 0.5 * (L + L.T), gamma)
