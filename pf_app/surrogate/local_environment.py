"""The periodic neighbourhood of every site, as the input of the local-environment network.

Site i's environment is the species on the sites within its first ``n_shells`` neighbour shells
(shells = distances on the lattice, from the neighbour list of the periodic cell, images included:
:mod:`.neighbours`).  The features are invariant under the site's point group by construction,
because each is a sum over a set of neighbours (or neighbour pairs) that every symmetry operation
fixing the site maps onto itself:

* the site's own species (one-hot, S values);
* per shell k, the fraction of its z_k neighbours holding each species but the first
  ((S - 1) K values);
* with ``pair_shells = P > 0``, the symmetry-adapted pair functions of the neighbourhood: the
  neighbour pairs (j, l) of site i with both j and l in the first P shells are classed by
  (shell of j, shell of l, |r_j - r_l|), an invariant triple, and per class the fraction of its
  pairs whose two sites both hold the last species (binary: B-B pairs among the neighbours, the
  three-body clusters through i).

Sums over a cell's site energies are then unchanged by any symmetry of the lattice and, since the
environments of an n x n x n replica are those of the cell, n^3 times larger on the replica (exact
size consistency).  One coordination per shell for every site is required (Bravais lattices and
other lattices whose sites are all alike).  Binary alloys: :meth:`table_index` maps a site's own
species and B counts per shell to an integer, for the Monte Carlo's table of site energies (which
needs ``pair_shells = 0``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pf_app.surrogate.neighbours import first_shells
from pf_app.surrogate.structures import Lattice


@dataclasses.dataclass(frozen=True)
class LocalEnvironment:
    """Neighbour tables of a lattice for ``n_shells`` shells: ``neighbours`` (M, Z) site indices
    (images repeated), columns ``shell_of_column`` (Z,), shell distances [angstrom] and
    coordinations; pair classes (``pair_ends`` (M, Q, 2) columns into ``neighbours``,
    ``pair_class`` (Q,)) when ``pair_shells`` > 0."""

    n_shells: int
    shell_distances: np.ndarray
    coordination: np.ndarray
    neighbours: np.ndarray
    shell_of_column: np.ndarray
    pair_shells: int = 0
    pair_ends: np.ndarray | None = None
    pair_class: np.ndarray | None = None
    pair_class_keys: tuple = ()

    @classmethod
    def of(cls, lattice: Lattice, n_shells: int, pair_shells: int = 0, tol: float = 1e-4) -> "LocalEnvironment":
        if pair_shells > n_shells:
            raise ValueError(f"pair_shells {pair_shells} exceeds n_shells {n_shells}")
        pairs = first_shells(lattice.cell, lattice.positions, n_shells, tol)
        counts = pairs.coordination()
        if (counts != counts[0]).any():
            raise ValueError(f"{lattice.name}: sites with different neighbour counts per shell "
                             f"({np.unique(counts, axis=0).tolist()}): the local model needs one coordination per shell")
        m, z = lattice.n_sites, int(counts[0].sum())
        neighbours = pairs.neighbour.reshape(m, z)  # pairs are sorted by centre, then by distance
        shell_of_column = pairs.shell[:z].copy()
        if (pairs.shell.reshape(m, z) != shell_of_column).any():
            raise ValueError(f"{lattice.name}: neighbour shells not in the same order on every site")
        env = cls(n_shells, pairs.shell_distances, counts[0], neighbours, shell_of_column)
        if not pair_shells:
            return env
        vectors = pairs.vector.reshape(m, z, 3)
        inner = np.flatnonzero(shell_of_column < pair_shells)
        a, b = np.triu_indices(len(inner), k=1)
        a, b = inner[a], inner[b]
        # the class of a pair: the shells of its ends and their distance, the same triple on every
        # site (checked), so one class list serves all sites
        keys = [(int(shell_of_column[p]), int(shell_of_column[q])) for p, q in zip(a, b)]
        dist = np.round(np.linalg.norm(vectors[:, a] - vectors[:, b], axis=-1) / tol).astype(np.int64)
        if (dist != dist[0]).any():
            raise ValueError(f"{lattice.name}: neighbour pairs differ between sites (not all sites alike)")
        triples = [(*k, int(d)) for k, d in zip(keys, dist[0])]
        class_keys = tuple(sorted(set(triples)))
        pair_class = np.array([class_keys.index(t) for t in triples], dtype=np.int64)
        return dataclasses.replace(env, pair_shells=pair_shells, pair_ends=np.stack([a, b], axis=1),
                                   pair_class=pair_class,
                                   pair_class_keys=tuple((s1, s2, d * tol) for s1, s2, d in class_keys))

    def to_dict(self) -> dict:
        """What a model file records (to rebuild the features on another cell of the lattice)."""
        return {"shells": self.n_shells, "shell_distances_angstrom": self.shell_distances.tolist(),
                "coordination": self.coordination.tolist(), "pair_shells": self.pair_shells,
                "pair_classes": [list(k) for k in self.pair_class_keys]}

    @property
    def n_sites(self) -> int:
        return len(self.neighbours)

    def n_features(self, n_species: int) -> int:
        return n_species + (n_species - 1) * self.n_shells + len(self.pair_class_keys)

    def features(self, codes: np.ndarray, n_species: int, chunk: int = 4096) -> np.ndarray:
        """(N, M) species indices (0 .. S-1) -> (N, M, F) float32 site features (module docstring)."""
        codes = np.asarray(codes)
        out = np.empty(codes.shape + (self.n_features(n_species),), dtype=np.float32)
        shell_columns = [np.flatnonzero(self.shell_of_column == k) for k in range(self.n_shells)]
        if self.pair_class is not None:
            class_size = np.bincount(self.pair_class)
        for start in range(0, len(codes), chunk):
            c = codes[start:start + chunk]
            block = [np.eye(n_species, dtype=np.float32)[c]]
            around = c[:, self.neighbours]  # (n, M, Z) species of every neighbour
            for s in range(1, n_species):
                hit = (around == s)
                block.append(np.stack([hit[..., cols].mean(axis=-1) for cols in shell_columns], axis=-1))
            if self.pair_class is not None:
                last = (around == n_species - 1).astype(np.float32)
                both = last[..., self.pair_ends[:, 0]] * last[..., self.pair_ends[:, 1]]  # (n, M, Q)
                per_class = np.zeros(both.shape[:2] + (len(class_size),), dtype=np.float32)
                for q, k in enumerate(self.pair_class):  # few columns: a loop over the pairs is fine
                    per_class[..., k] += both[..., q]
                block.append(per_class / class_size)
            out[start:start + chunk] = np.concatenate(block, axis=-1)
        return out

    def table_size(self) -> int:
        """Number of distinct (own species, B counts per shell) of a binary alloy."""
        return 2 * int(np.prod(self.coordination + 1))

    def table_strides(self) -> tuple[int, np.ndarray]:
        """(stride of the own species, (K,) strides of the B counts per shell) of :meth:`table_index`."""
        strides = np.cumprod(np.concatenate([[1], self.coordination[:-1] + 1])).astype(np.int64)
        return int(np.prod(self.coordination + 1)), strides

    def table_index(self, occ: np.ndarray) -> np.ndarray:
        """(N, M) 0/1 occupations -> (N, M) index = own * prod(z + 1) + sum_k n_k stride_k of every
        site (n_k: B neighbours in shell k)."""
        own_stride, strides = self.table_strides()
        occ = np.asarray(occ, dtype=np.int64)
        around = occ[:, self.neighbours]
        index = occ * own_stride
        for k in range(self.n_shells):
            index = index + around[..., self.shell_of_column == k].sum(axis=-1) * strides[k]
        return index

    def table_features(self) -> np.ndarray:
        """(table_size, 2 + K) float32 features of every table index (binary, no pair classes), so
        that ``table_features()[table_index(occ)] == features(occ, 2)``."""
        if self.pair_class is not None:
            raise ValueError("a table of site energies needs pair_shells = 0 (counts per shell only)")
        own_stride, strides = self.table_strides()
        index = np.arange(self.table_size())
        own = index // own_stride
        counts = (index % own_stride)[:, None] // strides % (self.coordination + 1)
        return np.concatenate([np.eye(2, dtype=np.float32)[own], (counts / self.coordination).astype(np.float32)],
                              axis=1)
