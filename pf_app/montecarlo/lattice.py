"""A crystal lattice as data: primitive cell, basis sites with their allowed species, supercells by a matrix.

Conventions (row vectors, as in ASE): the cell's rows are the lattice vectors, a position is
``frac @ cell``; a supercell is ``P @ cell`` with an integer matrix ``P``.  A site of the infinite
crystal is ``(b, n)``: basis site ``b`` of the primitive cell translated by the integer vector ``n``.

Only *active* basis sites (two allowed species: a binary alloy) carry an occupation variable; sites
with one allowed species are spectators (their energy is in the constant term) and are not sampled.
Occupation ``sigma = -1`` for the first listed species of a site, ``+1`` for the second.

Supercell numbering (``Supercell``): the supercell is ``diag(L) @ O`` with ``O`` the ordering cell
(an integer matrix on the primitive cell, see ``order_parameters.py``).  Site index
``((u * n_sub + r) * n_active + a)`` with ``u = u0 + L0 (u1 + L1 u2)`` the ordering cell, ``r`` the
primitive cell inside it and ``a`` the active basis site; the *sublattice* of a site is
``r * n_active + a`` (= index mod S, S = sublattices of the ordering cell).  For the BCC conventional
cell with two basis sites and O = identity this is ``site = 2 * cell + b`` with cell i fastest.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from ase import Atoms

_FRAC_TOL = 1e-6


@dataclass(frozen=True)
class Lattice:
    """Primitive cell (Angstrom or any length unit), fractional basis positions, allowed species per site."""

    cell: np.ndarray  # (3, 3) rows = lattice vectors
    positions: np.ndarray  # (n_basis, 3) fractional
    species: tuple[tuple[str, ...], ...]  # allowed species per basis site

    def __post_init__(self):
        object.__setattr__(self, "cell", np.asarray(self.cell, float).reshape(3, 3))
        object.__setattr__(self, "positions", np.asarray(self.positions, float).reshape(-1, 3))
        object.__setattr__(self, "species", tuple(tuple(s) for s in self.species))
        if len(self.species) != len(self.positions):
            raise ValueError(f"{len(self.positions)} positions but {len(self.species)} species lists")

    @classmethod
    def from_atoms(cls, atoms: Atoms, species: list[list[str]]) -> "Lattice":
        """From an ASE ``Atoms`` primitive structure and the allowed species of each of its sites."""
        return cls(np.array(atoms.cell), atoms.get_scaled_positions(wrap=False), tuple(map(tuple, species)))

    def to_atoms(self) -> Atoms:
        """The primitive structure as ASE ``Atoms`` (each site holding its first allowed species)."""
        return Atoms([s[0] for s in self.species], scaled_positions=self.positions, cell=self.cell, pbc=True)

    @property
    def n_basis(self) -> int:
        return len(self.positions)

    @cached_property
    def active(self) -> np.ndarray:
        """Indices of the basis sites with two allowed species (the sampled ones)."""
        return np.array([b for b, s in enumerate(self.species) if len(s) == 2], int)

    def cartesian(self, b: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Cartesian positions of sites (b, n), shape (..., 3)."""
        return (self.positions[np.asarray(b)] + np.asarray(n)) @ self.cell

    def __str__(self) -> str:
        rows = [f"Lattice: cell (rows) {np.round(self.cell, 6).tolist()}"]
        for b, (p, s) in enumerate(zip(self.positions, self.species)):
            rows.append(f"  site {b}: frac {np.round(p, 6).tolist()}  species {'/'.join(s)}"
                        + ("" if len(s) == 2 else "  (spectator)"))
        return "\n".join(rows)


def lattice_points(matrix: np.ndarray) -> np.ndarray:
    """The det(P) integer vectors n with n @ inv(P) in [0, 1)^3, in a fixed (x-fastest) order, shape (det, 3)."""
    p = np.asarray(matrix, int)
    det = int(round(abs(np.linalg.det(p))))
    corners = np.array(list(itertools.product((0, 1), repeat=3))) @ p
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    grid = np.array(list(itertools.product(*(range(lo[d], hi[d] + 1) for d in (2, 1, 0)))))[:, ::-1]
    frac = grid @ np.linalg.inv(p)
    keep = np.all((frac > -_FRAC_TOL) & (frac < 1 - _FRAC_TOL), axis=1)
    pts = grid[keep]
    if len(pts) != det:
        raise ValueError(f"found {len(pts)} lattice points in a cell of determinant {det}")
    return pts


def _adjugate(p: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer adjugate and determinant: inv(P) = adj / det, exact integer arithmetic."""
    det = int(round(np.linalg.det(p)))
    adj = np.rint(np.linalg.inv(p) * det).astype(np.int64)
    return adj, det


class Supercell:
    """``diag(L) @ O`` copies of the primitive cell; numbering and sublattices as in the module docstring."""

    def __init__(self, lattice: Lattice, ordering_cell: np.ndarray, repeats: tuple[int, int, int]):
        self.lattice = lattice
        self.ordering_cell = np.asarray(ordering_cell, int).reshape(3, 3)
        if round(abs(np.linalg.det(self.ordering_cell))) < 1:
            raise ValueError("the ordering cell matrix is singular")
        self.repeats = tuple(int(x) for x in repeats)
        self.matrix = np.diag(self.repeats) @ self.ordering_cell
        self.sub_cells = lattice_points(self.ordering_cell)  # primitive cells inside one ordering cell
        self.n_sub = len(self.sub_cells)
        self.n_active = len(lattice.active)
        self.n_sublattices = self.n_sub * self.n_active
        self.n_ordering_cells = int(np.prod(self.repeats))
        self.n_sites = self.n_ordering_cells * self.n_sublattices
        self._adj_s, self._det_s = _adjugate(self.matrix)
        self._adj_o, self._det_o = _adjugate(self.ordering_cell)
        span = np.abs(self.sub_cells).max() + 1
        self._sub_key_base = 2 * span + 1
        self._sub_lookup = np.full(self._sub_key_base ** 3, -1, np.int64)
        self._sub_lookup[self._sub_key(self.sub_cells)] = np.arange(self.n_sub)
        self._active_index = np.full(lattice.n_basis, -1, int)
        self._active_index[lattice.active] = np.arange(self.n_active)

    def _sub_key(self, r: np.ndarray) -> np.ndarray:
        s = self._sub_key_base
        r = np.asarray(r) + s // 2
        return r[..., 0] + s * (r[..., 1] + s * r[..., 2])

    @cached_property
    def cell_vectors(self) -> np.ndarray:
        """Integer primitive-cell vector n of every (ordering cell u, sub cell r), in site order, (N, 3)."""
        L = self.repeats
        u = np.array([(i, j, k) for k in range(L[2]) for j in range(L[1]) for i in range(L[0])])
        return (u @ self.ordering_cell)[:, None, :] + self.sub_cells[None, :, :]

    @cached_property
    def basis_of_site(self) -> np.ndarray:
        """Basis index b of every site, shape (M,)."""
        return np.tile(self.lattice.active, self.n_ordering_cells * self.n_sub)

    @cached_property
    def translation_of_site(self) -> np.ndarray:
        """Integer vector n of every site, shape (M, 3)."""
        return np.repeat(self.cell_vectors.reshape(-1, 3), self.n_active, axis=0)

    @cached_property
    def sublattice(self) -> np.ndarray:
        """Sublattice of every site (0..S-1), shape (M,), int32."""
        return (np.arange(self.n_sites) % self.n_sublattices).astype(np.int32)

    @cached_property
    def ordering_cell_of_site(self) -> np.ndarray:
        """Ordering-cell index u of every site, shape (M,)."""
        return np.arange(self.n_sites) // self.n_sublattices

    def ordering_cell_coordinates(self) -> np.ndarray:
        """(u0, u1, u2) of every site's ordering cell, shape (M, 3)."""
        u = self.ordering_cell_of_site
        L = self.repeats
        return np.stack([u % L[0], (u // L[0]) % L[1], u // (L[0] * L[1])], axis=1)

    @cached_property
    def positions(self) -> np.ndarray:
        """Cartesian positions of the sites, shape (M, 3)."""
        return self.lattice.cartesian(self.basis_of_site, self.translation_of_site)

    def index(self, b: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Site index of crystal sites (b, n) wrapped into the supercell; b must be active. Shapes (...) and (..., 3)."""
        n = np.asarray(n, np.int64)
        f = n @ self._adj_s  # = det_s * (n @ inv(S))
        n_w = n - np.floor_divide(f, self._det_s) @ self.matrix
        g = n_w @ self._adj_o
        u = np.floor_divide(g, self._det_o)
        r = n_w - u @ self.ordering_cell
        r_idx = self._sub_lookup[self._sub_key(r)]
        L = self.repeats
        u_idx = u[..., 0] + L[0] * (u[..., 1] + L[1] * u[..., 2])
        a = self._active_index[np.asarray(b)]
        return (u_idx * self.n_sub + r_idx) * self.n_active + a
