"""Lattices of the surrogate: fixed, documented site order, neighbour shells and one-hot inputs.

Site order (the network's input order; every loader maps its data onto it):

* FCC ``n x n x n`` conventional cells (CuAu, 32 sites for n = 2): cells in the order
  ``for iz: for iy: for ix:`` (x fastest), and within a cell the basis
  ``(0,0,0), (1/2,1/2,0), (1/2,0,1/2), (0,1/2,1/2)``.  This is exactly the LSMS order of
  ``../shared/data/lsms_CuAu_32atoms`` (site id = 4 * (ix + n iy + n^2 iz) + basis index).
* BCC / BCT conventional cells ``nx x ny x nz`` (FePt, 32 sites for 2 x 2 x 4): same cell order,
  basis ``(0,0,0)`` (sublattice 1, corners) then ``(1/2,1/2,1/2)`` (sublattice 2, body centres),
  lattice constants ``a, a, c`` (BCT when ``c != a``).

Positions are in angstrom (ASE convention) unless a name says ``_bohr``.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

BOHR_ANGSTROM = 0.529177210903  #: 1 bohr in angstrom (CODATA 2018, as ase.units.Bohr)

_FCC_BASIS = ((0.0, 0.0, 0.0), (0.5, 0.5, 0.0), (0.5, 0.0, 0.5), (0.0, 0.5, 0.5))
_BCC_BASIS = ((0.0, 0.0, 0.0), (0.5, 0.5, 0.5))


@dataclasses.dataclass(frozen=True)
class Lattice:
    """A periodic supercell with sites in the documented order.

    ``positions`` (M, 3) and ``cell`` (3, 3, rows are the cell vectors) are in angstrom.
    """

    name: str
    positions: np.ndarray
    cell: np.ndarray

    @property
    def n_sites(self) -> int:
        return len(self.positions)

    def shells(self, n_shells: int, tol: float = 1e-4) -> list["Shell"]:
        """The first ``n_shells`` neighbour shells, with periodic-image multiplicities."""
        return neighbour_shells(self, n_shells, tol)


@dataclasses.dataclass(frozen=True)
class Shell:
    """Neighbour shell ``k`` at ``distance`` (angstrom).

    ``multiplicity[i, j]`` counts the periodic images of site j at that distance from site i, so the
    number of (B, B) bonds in the shell, each bond counted once, is ``n_B @ multiplicity @ n_B / 2``.
    """

    distance: float
    multiplicity: np.ndarray

    @property
    def coordination(self) -> int:
        return int(self.multiplicity[0].sum())


def _supercell(name, basis, reps, lengths) -> Lattice:
    reps = tuple(int(r) for r in reps)
    lengths = np.asarray(lengths, dtype=float)
    frac = [(np.array(cell_index[::-1]) + np.array(b)) / np.array(reps)
            for cell_index in itertools.product(*(range(r) for r in reps[::-1]))
            for b in basis]
    cell = np.diag(lengths * np.array(reps))
    return Lattice(name, np.asarray(frac) @ cell, cell)


def fcc_supercell(a: float, n: int = 2) -> Lattice:
    """FCC ``n x n x n`` conventional cells, lattice constant ``a`` in angstrom (4 n^3 sites)."""
    return _supercell(f"fcc{n}x{n}x{n}", _FCC_BASIS, (n, n, n), (a, a, a))


def bcc_supercell(a: float, reps: tuple[int, int, int] = (2, 2, 4), c: float | None = None) -> Lattice:
    """BCC (``c`` None or equal to ``a``) or BCT conventional cells, lengths in angstrom."""
    c = a if c is None else c
    kind = "bcc" if np.isclose(c, a) else "bct"
    return _supercell(f"{kind}{reps[0]}x{reps[1]}x{reps[2]}", _BCC_BASIS, reps, (a, a, c))


#: The LSMS CuAu cell: FCC a = 7.2377 bohr, 2 x 2 x 2 conventional cells (see the data's PROVENANCE).
LSMS_CUAU_A_BOHR = 7.2376659


def lsms_cuau_lattice() -> Lattice:
    return fcc_supercell(LSMS_CUAU_A_BOHR * BOHR_ANGSTROM, 2)


def neighbour_shells(lattice: Lattice, n_shells: int, tol: float = 1e-4) -> list[Shell]:
    """Group pair distances over the 27 neighbouring periodic images into shells (angstrom)."""
    pos, cell = lattice.positions, lattice.cell
    images = np.array(list(itertools.product((-1, 0, 1), repeat=3))) @ cell  # (27, 3)
    # d[i, j, m] = |pos_j + image_m - pos_i|
    d = np.linalg.norm(pos[None, :, None, :] + images[None, None] - pos[:, None, None, :], axis=-1)
    radii = np.unique(np.round(d[d > tol] / tol) * tol)
    # the 27 images find every image vector up to the smallest cell length, not beyond
    limit = np.min(np.linalg.norm(cell, axis=1)) + tol
    radii = radii[radii <= limit][:n_shells]
    if len(radii) < n_shells:
        raise ValueError(f"{lattice.name}: only {len(radii)} shells resolvable with one image layer")
    return [Shell(float(r), (np.abs(d - r) < 10 * tol).sum(axis=2).astype(np.int32)) for r in radii]


def one_hot(numbers: np.ndarray, species: tuple[int, ...]) -> np.ndarray:
    """(N, M) atomic numbers -> (N, M * S) float32 one-hot, site-major (site 0's S entries first)."""
    numbers = np.asarray(numbers)
    codes = species_codes(numbers, species)
    out = np.zeros(codes.shape + (len(species),), dtype=np.float32)
    np.put_along_axis(out, codes[..., None], 1.0, axis=-1)
    return out.reshape(len(numbers), -1)


def species_codes(numbers: np.ndarray, species: tuple[int, ...]) -> np.ndarray:
    """Atomic numbers -> index into ``species``; unknown species raise ``ValueError``."""
    lookup = np.full(max(max(species), int(np.max(numbers))) + 1, -1, dtype=np.int64)
    lookup[list(species)] = np.arange(len(species))
    codes = lookup[np.asarray(numbers)]
    if (codes < 0).any():
        bad = sorted(set(np.asarray(numbers)[codes < 0].tolist()))
        raise ValueError(f"atomic numbers {bad} are not among the species {species}")
    return codes


def site_permutation(lattice: Lattice, positions: np.ndarray, cell: np.ndarray, tol: float = 1e-3) -> np.ndarray:
    """Indices ``perm`` such that ``positions[perm]`` is in ``lattice`` site order.

    Matches fractional coordinates modulo 1 (translations of the whole structure are not undone);
    raises ``ValueError`` when a lattice site has no atom or the cells differ.
    """
    if not np.allclose(cell, lattice.cell, atol=tol * 10):
        raise ValueError(f"cell {np.round(cell, 4).tolist()} differs from {lattice.name}'s "
                         f"{np.round(lattice.cell, 4).tolist()} (angstrom)")
    inv = np.linalg.inv(lattice.cell)
    f_lat = lattice.positions @ inv
    f_in = np.asarray(positions) @ inv
    diff = f_in[None, :, :] - f_lat[:, None, :]
    diff -= np.round(diff)
    dist = np.linalg.norm(diff @ lattice.cell, axis=-1)  # (M_lattice, M_in) angstrom
    perm = np.argmin(dist, axis=1)
    if len(positions) != lattice.n_sites or (dist[np.arange(lattice.n_sites), perm] > tol).any() \
            or len(set(perm.tolist())) != lattice.n_sites:
        raise ValueError(f"atoms do not sit on the {lattice.name} sites within {tol} angstrom")
    return perm


def symmetry_permutations(lattice: Lattice, tol: float = 1e-3) -> np.ndarray:
    """(G, M) site permutations of the supercell's space group: every signed axis permutation (the
    cubic point group, 48 operations; only those mapping the cell onto itself are kept, e.g. 16 for
    a tetragonal cell) combined with every translation by a site vector.  ``numbers[:, perm]`` is an
    equivalent configuration, so the targets (energy; per-site quantities permuted alike) agree."""
    ops = []
    for axes in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            rot = np.zeros((3, 3))
            rot[range(3), axes] = signs
            ops.append(rot)
    perms = set()
    for rot in ops:
        rotated = lattice.positions @ rot.T
        for shift in lattice.positions:
            try:
                perm = site_permutation(lattice, rotated + shift, lattice.cell, tol)
            except ValueError:
                break  # this rotation does not map the lattice onto itself
            # site_permutation gives p with moved[p] in lattice order; we want the inverse map
            perms.add(tuple(np.argsort(perm)))
    return np.array(sorted(perms), dtype=np.int64)
