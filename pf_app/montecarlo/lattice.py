"""BCC supercell of L1 x L2 x L3 conventional cells with neighbour tables for shells 1-3.

Site numbering: ``site = 2 * cell + b`` with ``cell = i + L1 * (j + L2 * k)``; ``b = 0`` is the
corner site (sublattice 1) and ``b = 1`` the body centre (sublattice 2) of cell (i, j, k).
Positions are integers in units of half the lattice constant a/2: corners at (2i, 2j, 2k), body
centres at (2i+1, 2j+1, 2k+1).

Shells (vectors in units of a/2):
  1. nearest neighbours  (+-1, +-1, +-1)             8 per site, other sublattice, distance a sqrt3/2
  2. second neighbours   (+-2, 0, 0) and permutations 6 per site, same sublattice,  distance a
  3. third neighbours    (+-2, +-2, 0) and perms.    12 per site, same sublattice,  distance a sqrt2

Nearest-neighbour triplets are the smallest BCC triangles, with edges (1NN, 1NN, 2NN): an "apex"
site and two of its nearest neighbours that are second neighbours of each other.  There are
12 per site (each counted once, by its apex) and every site belongs to 36.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

SHELL_SIZES = (8, 6, 12)
TRIPLETS_PER_SITE = 12  # distinct triangles per site (each counted once)
TRIANGLES_PER_SITE = 36  # triangles containing a given site


def shell_vectors(shell: int) -> np.ndarray:
    """Neighbour vectors of shell 1, 2 or 3 in units of a/2, shape (n, 3)."""
    if shell == 1:
        return np.array(list(itertools.product((-1, 1), repeat=3)))
    if shell == 2:
        return np.array([v for v in itertools.product((-2, 0, 2), repeat=3) if np.count_nonzero(v) == 1])
    if shell == 3:
        return np.array([v for v in itertools.product((-2, 0, 2), repeat=3) if np.count_nonzero(v) == 2])
    raise ValueError(f"shell must be 1, 2 or 3, got {shell}")


@dataclass(frozen=True)
class BCCLattice:
    """Periodic BCC supercell; every L_i >= 3 so that shells 1-3 hold distinct sites."""

    shape: tuple[int, int, int]

    def __post_init__(self):
        if len(self.shape) != 3 or min(self.shape) < 3:
            raise ValueError(f"supercell needs three sizes >= 3, got {self.shape}")

    @property
    def n_cells(self) -> int:
        return int(np.prod(self.shape))

    @property
    def n_sites(self) -> int:
        """M, the number of sites (2 per conventional cell)."""
        return 2 * self.n_cells

    @cached_property
    def positions(self) -> np.ndarray:
        """Integer site positions in units of a/2, shape (M, 3), in site order."""
        L1, L2, L3 = self.shape
        k, j, i = np.meshgrid(np.arange(L3), np.arange(L2), np.arange(L1), indexing="ij")
        corner = 2 * np.stack([i.ravel(), j.ravel(), k.ravel()], axis=1)
        return np.stack([corner, corner + 1], axis=1).reshape(-1, 3)

    @cached_property
    def sublattice(self) -> np.ndarray:
        """0 for sublattice 1 (corners), 1 for sublattice 2 (body centres), shape (M,), int8."""
        return np.tile(np.array([0, 1], np.int8), self.n_cells)

    def index(self, pos: np.ndarray) -> np.ndarray:
        """Site index of integer positions (units of a/2, wrapped periodically), shape (..., 3) -> (...)."""
        pos = np.asarray(pos)
        b = pos[..., 0] % 2
        L = np.array(self.shape)
        cell = ((pos - b[..., None]) // 2) % L
        return 2 * (cell[..., 0] + L[0] * (cell[..., 1] + L[1] * cell[..., 2])) + b

    def neighbours(self, shell: int) -> np.ndarray:
        """Neighbour table of a shell, shape (M, n_shell), int32."""
        return self.index(self.positions[:, None, :] + shell_vectors(shell)[None, :, :]).astype(np.int32)

    @cached_property
    def apex_triplets(self) -> np.ndarray:
        """The 12 NN triplets per site as (apex, j, k) with j, k the apex's 1NN at 2NN distance, (12M, 3)."""
        v1 = shell_vectors(1)
        pairs = [(a, b) for a in range(8) for b in range(a + 1, 8) if np.count_nonzero(v1[a] - v1[b]) == 1]
        pos = self.positions
        apex = np.repeat(np.arange(self.n_sites), len(pairs))
        j = self.index(pos[:, None, :] + v1[[p[0] for p in pairs]][None]).ravel()
        k = self.index(pos[:, None, :] + v1[[p[1] for p in pairs]][None]).ravel()
        return np.stack([apex, j, k], axis=1).astype(np.int32)

    @cached_property
    def triangles(self) -> np.ndarray:
        """For each site the other two sites of the 36 NN triplets that contain it, shape (M, 36, 2)."""
        a, j, k = self.apex_triplets.T
        owner = np.concatenate([a, j, k])
        partners = np.concatenate([np.stack([j, k], 1), np.stack([a, k], 1), np.stack([a, j], 1)])
        order = np.argsort(owner, kind="stable")
        return partners[order].reshape(self.n_sites, TRIANGLES_PER_SITE, 2).astype(np.int32)

    def cell_block_index(self, block: int) -> np.ndarray:
        """Block number of every site for cubic blocks of ``block``^3 conventional cells, shape (M,)."""
        if any(L % block for L in self.shape):
            raise ValueError(f"block {block} must divide every supercell size {self.shape}")
        nb = [L // block for L in self.shape]
        cell = self.positions // 2
        bi = cell // block
        return (bi[:, 0] + nb[0] * (bi[:, 1] + nb[1] * bi[:, 2])).astype(np.int64)
