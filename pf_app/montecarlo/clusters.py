"""Clusters of a lattice from cutoffs, grouped into orbits by the crystal's space group (spglib).

A cluster of order k (pair, triplet, quadruplet) is a set of k active sites whose pairwise distances
are all <= the cutoff of that order (``cutoffs[k - 2]``, the icet convention); singlets are the active
basis sites.  Two clusters are in the same orbit when a space-group operation of the primitive
structure (spglib; the sites' allowed-species lists act as atom types) maps one onto the other.

Inside an orbit the clusters fall into translation classes; their number per primitive cell is the
orbit's *multiplicity*.  A translation class is stored canonically: its sites (b, n) as rows
``(b, n0, n1, n2)`` sorted lexicographically, shifted so the first site has n = 0.  In a supercell an
orbit has ``multiplicity x (primitive cells)`` clusters, each counted once (the energy convention).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from pf_app.spglib_call import spglib_call

from pf_app.montecarlo.lattice import Lattice, Supercell

ORDER_NAMES = {0: "zerolet", 1: "singlets", 2: "pairs", 3: "triplets", 4: "quadruplets"}
MAX_ORDER = 4
_DIST_DECIMALS = 6  # distances are compared after rounding (positions from floats)


@dataclass(frozen=True)
class Orbit:
    """Symmetry-equivalent clusters: order, sorted pair distances of the representative, translation classes."""

    order: int
    distances: tuple[float, ...]
    classes: tuple[np.ndarray, ...]  # canonical (order, 4) int arrays (b, n0, n1, n2)

    @property
    def multiplicity(self) -> int:
        """Clusters of this orbit per primitive cell."""
        return len(self.classes)

    @property
    def max_distance(self) -> float:
        return max(self.distances) if self.distances else 0.0


def canonical(cluster: np.ndarray) -> np.ndarray:
    """Rows (b, n0, n1, n2) sorted lexicographically, translated so the first row has n = 0."""
    c = cluster[np.lexsort(cluster.T[::-1])]
    c = c.copy()
    c[:, 1:] -= c[0, 1:]
    return c


class SymmetryOperations:
    """The primitive structure's space group acting on sites (b, n): (b, n) -> (perm[b], R n + shift[b])."""

    def __init__(self, lattice: Lattice, symprec: float = 1e-5):
        types = {s: i for i, s in enumerate(dict.fromkeys(lattice.species))}
        numbers = [types[s] for s in lattice.species]
        sym = spglib_call("get_symmetry", (lattice.cell, lattice.positions, numbers), symprec=symprec)
        self.rotations = np.asarray(sym["rotations"], np.int64)
        perm, shift = [], []
        pos = lattice.positions
        for rot, t in zip(self.rotations, sym["translations"]):
            image = pos @ rot.T + t  # (n_basis, 3)
            diff = image[:, None, :] - pos[None, :, :]
            match = np.all(np.abs(diff - np.rint(diff)) < 1e-4, axis=2)
            match &= np.array(numbers)[:, None] == np.array(numbers)[None, :]
            b_new = np.argmax(match, axis=1)
            if not np.all(match.any(axis=1)):
                raise ValueError("a symmetry operation does not map the basis onto itself")
            perm.append(b_new)
            shift.append(np.rint(diff[np.arange(len(pos)), b_new]).astype(np.int64))
        self.perm, self.shift = np.array(perm), np.array(shift)

    def __len__(self) -> int:
        return len(self.rotations)

    def apply(self, k: int, cluster: np.ndarray) -> np.ndarray:
        """Image of a cluster (rows b, n) under operation k."""
        b, n = cluster[:, 0], cluster[:, 1:]
        return np.column_stack([self.perm[k][b], n @ self.rotations[k].T + self.shift[k][b]])


class ClusterSpace:
    """Orbits of a lattice up to the given cutoffs (pairs, triplets, quadruplets; length unit of the cell)."""

    def __init__(self, lattice: Lattice, cutoffs: tuple[float, ...], symprec: float = 1e-5):
        if len(lattice.active) == 0:
            raise ValueError("no basis site has two allowed species")
        if len(cutoffs) > MAX_ORDER - 1:
            raise ValueError(f"at most {MAX_ORDER - 1} cutoffs (pairs, triplets, quadruplets)")
        self.lattice, self.cutoffs = lattice, tuple(float(c) for c in cutoffs)
        self.symmetry = SymmetryOperations(lattice, symprec)

    def _neighbours(self, b0: int, cutoff: float) -> np.ndarray:
        """Active sites (b, n) within ``cutoff`` of (b0, 0), itself excluded, rows (b, n0, n1, n2)."""
        lat = self.lattice
        reach = np.ceil(cutoff * np.linalg.norm(np.linalg.inv(lat.cell), axis=0)).astype(int) + 1
        n = np.array(list(itertools.product(*(range(-r, r + 1) for r in reach))))
        rows = []
        for b in lat.active:
            d = np.linalg.norm(lat.cartesian(np.full(len(n), b), n) - lat.cartesian(b0, np.zeros(3)), axis=1)
            keep = (d <= cutoff + 1e-8) & (d > 1e-8)
            rows.append(np.column_stack([np.full(keep.sum(), b), n[keep]]))
        return np.concatenate(rows)

    def _distances(self, cluster: np.ndarray) -> tuple[float, ...]:
        x = self.lattice.cartesian(cluster[:, 0], cluster[:, 1:])
        d = [np.linalg.norm(x[i] - x[j]) for i, j in itertools.combinations(range(len(x)), 2)]
        return tuple(sorted(round(float(v), _DIST_DECIMALS) for v in d))

    def orbit_key(self, cluster: np.ndarray) -> bytes:
        """The same bytes for every cluster of one orbit (the smallest canonical image under the space group)."""
        return min(canonical(self.symmetry.apply(k, cluster)).tobytes() for k in range(len(self.symmetry)))

    @cached_property
    def orbits(self) -> tuple[Orbit, ...]:
        """All orbits: the zerolet, singlets, then pairs, triplets, quadruplets; by order, then size."""
        lat = self.lattice
        found: dict[int, dict[bytes, np.ndarray]] = {1: {}}
        for b in lat.active:
            c = np.array([[b, 0, 0, 0]])
            found[1][canonical(c).tobytes()] = canonical(c)
        for order, cutoff in enumerate(self.cutoffs, start=2):
            found[order] = {}
            for b0 in lat.active:
                nbrs = self._neighbours(int(b0), cutoff)
                x = lat.cartesian(nbrs[:, 0], nbrs[:, 1:])
                close = np.linalg.norm(x[:, None] - x[None], axis=2) <= cutoff + 1e-8
                for combo in itertools.combinations(range(len(nbrs)), order - 1):
                    if all(close[i, j] for i, j in itertools.combinations(combo, 2)):
                        c = canonical(np.vstack([[b0, 0, 0, 0], nbrs[list(combo)]]))
                        found[order][c.tobytes()] = c
        orbits = [Orbit(0, (), ())]
        for order, classes in found.items():
            groups: dict[bytes, list[np.ndarray]] = {}
            for c in classes.values():
                groups.setdefault(self.orbit_key(c), []).append(c)
            members = sorted(groups.values(), key=lambda g: (self._distances(g[0]), g[0].tobytes()))
            for g in members:
                g = sorted(g, key=lambda c: c.tobytes())
                orbits.append(Orbit(order, self._distances(g[0]), tuple(g)))
        return tuple(orbits)

    def orbits_of_order(self, order: int) -> list[int]:
        """Indices (into ``orbits``) of the orbits of one order."""
        return [i for i, o in enumerate(self.orbits) if o.order == order]

    def supercell_clusters(self, supercell: Supercell, orbit: int) -> np.ndarray:
        """Site indices of every cluster of an orbit in the supercell, shape (clusters, order), each once."""
        o = self.orbits[orbit]
        t = supercell.cell_vectors.reshape(-1, 3)
        out = np.concatenate([supercell.index(c[None, :, 0], c[None, :, 1:] + t[:, None, :]) for c in o.classes])
        s = np.sort(out, axis=1)
        if o.order > 1 and (np.any(s[:, 1:] == s[:, :-1]) or len(np.unique(s, axis=0)) != len(s)):
            raise ValueError(f"supercell {supercell.repeats} too small for the {ORDER_NAMES[o.order]} of orbit "
                             f"{orbit} (distance {o.max_distance:g}): a cluster wraps onto itself or another")
        return out.astype(np.int32)

    def __str__(self) -> str:
        rows = [str(self.lattice), f"cutoffs {list(self.cutoffs)}; {len(self.symmetry)} symmetry operations",
                " index | order | max distance | multiplicity (per primitive cell)"]
        for i, o in enumerate(self.orbits):
            rows.append(f" {i:5d} | {o.order:5d} | {o.max_distance:12.6f} | {o.multiplicity}")
        return "\n".join(rows)
