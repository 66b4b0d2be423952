"""Cluster-expansion energy of a binary alloy on any lattice (reference numpy implementation).

Total energy of a supercell configuration sigma (+1 = second species, -1 = first), every cluster
counted once::

    E = M V0 + sum_(orbits a, order >= 1) V_a sum_(clusters of a in the supercell) prod_(i in cluster) sigma_i

with M the number of active sites.  ECIs ``V_a`` are energies per cluster in ``energy_unit`` (V0 per
site).  On the BCC conventional cell with pairs to the 3rd neighbour and the (1NN, 1NN, 2NN) triplet,
the energy per site is V0 + V_point <sigma> + 4 V_1 <ss>_1 + 3 V_2 <ss>_2 + 6 V_3 <ss>_3 + 12 V_t <sss>;
V_1 > 0 alone is the antiferromagnetic BCC Ising model with J = V_1 (kT_c = V_1 / 0.157373).

The local field h_i = dE/dsigma_i (E is multilinear in sigma) gives the exact flip cost
dE = -2 sigma_i h_i; the numba kernel keeps h up to date incrementally from :class:`ClusterTables`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from pf_app.montecarlo.clusters import ORDER_NAMES, ClusterSpace
from pf_app.montecarlo.lattice import Supercell
from pf_app.montecarlo.order_parameters import OrderParameterMap


@dataclass(frozen=True, eq=False)
class ClusterExpansion:
    """A cluster space and one ECI per orbit (``ecis[0]`` = V0 per site, the rest energy per cluster)."""

    space: ClusterSpace
    ecis: tuple[float, ...]
    energy_unit: str = "V_NN"

    def __post_init__(self):
        if len(self.ecis) != len(self.space.orbits):
            raise ValueError(f"{len(self.space.orbits)} orbits but {len(self.ecis)} ECIs")
        object.__setattr__(self, "ecis", tuple(float(v) for v in self.ecis))

    @property
    def V0(self) -> float:
        return self.ecis[0]

    def is_ab_symmetric(self) -> bool:
        """True when swapping the two species leaves E unchanged (no odd-order cluster has an ECI)."""
        return all(v == 0.0 for o, v in zip(self.space.orbits, self.ecis) if o.order % 2 == 1)

    @cached_property
    def fingerprint(self) -> str:
        """Hash of lattice, cutoffs and ECIs (caches supercell tables per process)."""
        lat = self.space.lattice
        data = repr((lat.cell.tolist(), lat.positions.tolist(), lat.species, self.space.cutoffs, self.ecis))
        return hashlib.sha1(data.encode()).hexdigest()

    def __str__(self) -> str:
        rows = [str(self.space.lattice), f"cutoffs {list(self.space.cutoffs)} (pairs, triplets, quadruplets)",
                f" index | {'kind':11s} | max distance | multiplicity (per primitive cell) | ECI ({self.energy_unit} per cluster)"]
        for i, (o, v) in enumerate(zip(self.space.orbits, self.ecis)):
            rows.append(f" {i:5d} | {ORDER_NAMES[o.order]:11s} | {o.max_distance:12.6f} | "
                        f"{max(o.multiplicity, 1):12d} | {v:+.8g}")
        return "\n".join(rows)


class ClusterTables:
    """The clusters of a model in one supercell and the per-site partner lists the kernel walks.

    For k = 2, 3, 4 (pairs, triplets, quadruplets) ``ptr[k]`` (M + 1), ``partners[k]`` (entries, k - 1)
    int32 and ``eci[k]`` (entries,): for site i the entries ptr[k][i]..ptr[k][i+1] are the clusters of
    order k containing i (non-zero ECI only), each given by its other sites.
    """

    def __init__(self, model: ClusterExpansion, order_map: OrderParameterMap, repeats: tuple[int, int, int]):
        self.model = model
        self.supercell = Supercell(model.space.lattice, order_map.cell, repeats)
        m = self.supercell.n_sites
        self.clusters = {}  # orbit index -> (n, order) int32, orbits with non-zero ECI only
        self.signs = {}  # orbit index -> (n,) factors of its clusters' ECIs (twisted boundaries); absent: 1
        parts: dict[int, tuple[list, list, list]] = {k: ([], [], []) for k in (2, 3, 4)}
        for a, (orbit, v) in enumerate(zip(model.space.orbits, model.ecis)):
            if orbit.order == 0 or v == 0.0:
                continue
            c = model.space.supercell_clusters(self.supercell, a)
            self.clusters[a] = c
            if orbit.order == 1:
                continue
            owners, others, ecis = parts[orbit.order]
            for p in range(orbit.order):
                owners.append(c[:, p])
                others.append(np.delete(c, p, axis=1))
                ecis.append(np.full(len(c), v))
        self.ptr, self.partners, self.eci = {}, {}, {}
        for k, (owners, others, ecis) in parts.items():
            if owners:
                owner = np.concatenate(owners)
                order = np.argsort(owner, kind="stable")
                self.partners[k] = np.ascontiguousarray(np.concatenate(others)[order], np.int32)
                self.eci[k] = np.concatenate(ecis)[order]
                self.ptr[k] = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=m))]).astype(np.int64)
            else:
                self.partners[k], self.eci[k] = np.zeros((0, k - 1), np.int32), np.zeros(0)
                self.ptr[k] = np.zeros(m + 1, np.int64)

    def kernel_arguments(self) -> tuple:
        """(ptr2, nb2, v2, ptr3, nb3, v3, ptr4, nb4, v4) for ``kernels.metropolis_blocks`` (nb2 flat)."""
        return (self.ptr[2], np.ascontiguousarray(self.partners[2][:, 0]), self.eci[2],
                *(x for k in (3, 4) for x in (self.ptr[k], self.partners[k], self.eci[k])))
    def total_energy(self, sigma: np.ndarray) -> float:
        """E of the whole supercell (not per site), every cluster counted once."""
        s = sigma.astype(np.float64)
        e = self.supercell.n_sites * self.model.V0
        for a, c in self.clusters.items():
            e += self.model.ecis[a] * np.sum(self.signs.get(a, 1.0) * np.prod(s[c], axis=1))
        return float(e)

    def local_fields(self, sigma: np.ndarray) -> np.ndarray:
        """h_i = dE/dsigma_i, shape (M,)."""
        s = sigma.astype(np.float64)
        m = self.supercell.n_sites
        h = np.zeros(m)
        for a, c in self.clusters.items():
            v = self.model.ecis[a]
            if c.shape[1] == 1:
                h += v * np.bincount(c[:, 0], minlength=m)
                continue
            for p in range(c.shape[1]):
                rest = self.signs.get(a, 1.0) * np.prod(s[np.delete(c, p, axis=1)], axis=1)
                h += v * np.bincount(c[:, p], weights=rest, minlength=m)
        return h
