"""Cluster-expansion energy on the BCC supercell (reference numpy implementation).

Total energy of a configuration sigma (+1 = B, -1 = A), every cluster counted once::

    E = M V0 + V_point sum_i sigma_i + sum_{s=1..3} V_s sum_{pairs <ij> in shell s} sigma_i sigma_j
          + V_triplet sum_{NN triplets <ijk>} sigma_i sigma_j sigma_k

so the energy per site is e = E / M = V0 + V_point <sigma> + sum_s V_s (z_s/2) <sigma sigma>_s
+ 12 V_triplet <sigma sigma sigma>, with z = (8, 6, 12).  ECIs are energies per cluster in the
model's energy unit.  With V_1 > 0 (and nothing else) this is the antiferromagnetic BCC Ising model
with coupling J = V_1, which orders into B2 below kT_c = V_1 / 0.157373.

The local field h_i = dE/dsigma_i (E is multilinear in sigma) gives the exact flip cost
dE = -2 sigma_i h_i; the numba kernel keeps h up to date incrementally.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pf_app.montecarlo.lattice import BCCLattice


@dataclass(frozen=True)
class ClusterExpansion:
    """ECIs in energy per cluster: V0 (per site), point term, pairs for shells 1-3, NN triplet."""

    V0: float = 0.0
    point: float = 0.0
    pairs: tuple[float, float, float] = (0.0, 0.0, 0.0)
    triplet: float = 0.0

    def coefficients(self) -> np.ndarray:
        """(point, V1, V2, V3, triplet) as the float64 array the kernel takes."""
        return np.array([self.point, *self.pairs, self.triplet], dtype=np.float64)

    def is_ab_symmetric(self) -> bool:
        """True when swapping A and B leaves E unchanged (no odd clusters)."""
        return self.point == 0.0 and self.triplet == 0.0


def total_energy(model: ClusterExpansion, lattice: BCCLattice, sigma: np.ndarray) -> float:
    """E of the whole supercell (not per site), every cluster counted once."""
    s = sigma.astype(np.float64)
    e = lattice.n_sites * model.V0 + model.point * s.sum()
    for shell, v in enumerate(model.pairs, start=1):
        if v:
            e += 0.5 * v * np.sum(s[:, None] * s[lattice.neighbours(shell)])
    if model.triplet:
        t = lattice.apex_triplets
        e += model.triplet * np.sum(s[t[:, 0]] * s[t[:, 1]] * s[t[:, 2]])
    return float(e)


def local_fields(model: ClusterExpansion, lattice: BCCLattice, sigma: np.ndarray) -> np.ndarray:
    """h_i = dE/dsigma_i, shape (M,)."""
    s = sigma.astype(np.float64)
    h = np.full(lattice.n_sites, model.point)
    for shell, v in enumerate(model.pairs, start=1):
        if v:
            h += v * s[lattice.neighbours(shell)].sum(axis=1)
    if model.triplet:
        tri = lattice.triangles
        h += model.triplet * (s[tri[:, :, 0]] * s[tri[:, :, 1]]).sum(axis=1)
    return h
