"""Periodic neighbour lists of a supercell: every (site, neighbour image) pair within a cutoff.

A neighbour of site i is a site j seen through a supercell translation T, at the vector
``r_j + T - r_i`` (angstrom); in a small cell the same j appears once per image within the cutoff
(the 32-site LSMS cells: several images of a site in one shell), so the neighbour counts of a cell
and of any n x n x n replica of it are the same.  Built with a k-d tree over the sites and the
images of the cell that the cutoff reaches: O(M log M) for M sites, no M x M matrix.

Shells group the pairs by distance (rounded to ``tol``); the first shell is the nearest one.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np


@dataclasses.dataclass(frozen=True)
class NeighbourList:
    """Pairs sorted by centre site, then by distance, then by vector: site i's pairs are
    ``ptr[i]:ptr[i + 1]``;
    ``neighbour`` (P,) the site index j, ``vector`` (P, 3) ``r_j + T - r_i`` [angstrom],
    ``shell`` (P,) index into ``shell_distances`` (ascending, angstrom)."""

    ptr: np.ndarray
    neighbour: np.ndarray
    vector: np.ndarray
    shell: np.ndarray
    shell_distances: np.ndarray

    @property
    def n_sites(self) -> int:
        return len(self.ptr) - 1

    @property
    def centre(self) -> np.ndarray:
        """(P,) the centre site i of every pair."""
        return np.repeat(np.arange(self.n_sites), np.diff(self.ptr))

    def restricted(self, n_shells: int) -> "NeighbourList":
        """The pairs of the first ``n_shells`` shells only."""
        keep = self.shell < n_shells
        counts = np.bincount(self.centre[keep], minlength=self.n_sites)
        return NeighbourList(np.concatenate([[0], np.cumsum(counts)]), self.neighbour[keep], self.vector[keep],
                             self.shell[keep], self.shell_distances[:n_shells])

    def coordination(self) -> np.ndarray:
        """(M, K) number of neighbours (images counted) of every site in every shell."""
        out = np.zeros((self.n_sites, len(self.shell_distances)), dtype=np.int64)
        np.add.at(out, (self.centre, self.shell), 1)
        return out


def neighbour_list(cell: np.ndarray, positions: np.ndarray, cutoff: float, tol: float = 1e-4) -> NeighbourList:
    """All pairs at distance ``0 < d <= cutoff + tol`` [angstrom] in the periodic ``cell`` (3, 3,
    rows are vectors) with sites at ``positions`` (M, 3)."""
    from scipy.spatial import cKDTree

    cell = np.asarray(cell, dtype=float)
    positions = np.asarray(positions, dtype=float)
    m = len(positions)
    # images along vector a needed to reach the cutoff: the spacing of the lattice planes is
    # 1 / |column a of cell^-1|, plus one for sites anywhere inside the cell
    reach = np.ceil((cutoff + tol) * np.linalg.norm(np.linalg.inv(cell), axis=0)).astype(int) + 1
    shifts = np.array(list(itertools.product(*(range(-r, r + 1) for r in reach))), dtype=float) @ cell
    tiled = (positions[None, :, :] + shifts[:, None, :]).reshape(-1, 3)
    found = cKDTree(tiled).query_ball_point(positions, cutoff + tol)
    counts = np.array([len(f) for f in found])
    centre = np.repeat(np.arange(m), counts)
    image = np.concatenate([np.asarray(f, dtype=np.int64) for f in found]) if m else np.zeros(0, np.int64)
    vector = tiled[image] - positions[centre]
    distance = np.linalg.norm(vector, axis=1)
    keep = distance > tol  # not the site itself
    centre, image, vector, distance = centre[keep], image[keep], vector[keep], distance[keep]
    rounded = np.round(distance / tol).astype(np.int64)
    v = np.round(vector / tol).astype(np.int64)  # within a shell: by vector, the same order on every site
    order = np.lexsort((v[:, 2], v[:, 1], v[:, 0], rounded, centre))
    centre, image, vector, rounded = centre[order], image[order], vector[order], rounded[order]
    levels, shell = np.unique(rounded, return_inverse=True)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(centre, minlength=m))])
    return NeighbourList(ptr, image % m, vector, shell.ravel(), levels * tol)


def first_shells(cell: np.ndarray, positions: np.ndarray, n_shells: int, tol: float = 1e-4) -> NeighbourList:
    """The pairs of the first ``n_shells`` neighbour shells (the cutoff grows until they are all
    complete: every shell at a distance <= the cutoff is)."""
    positions = np.asarray(positions, dtype=float)
    cutoff = (abs(np.linalg.det(np.asarray(cell, dtype=float))) / len(positions)) ** (1 / 3)  # ~ nearest neighbour
    while True:
        pairs = neighbour_list(cell, positions, cutoff, tol)
        if len(pairs.shell_distances) >= n_shells:
            return pairs.restricted(n_shells)
        cutoff *= 1.5
