"""Lattices of the surrogate: site order, symmetry, neighbour shells and one-hot inputs.

A :class:`Lattice` is a periodic supercell whose sites are listed in the network's input order.
Data sets bring their own: :func:`lattice_from_sites` takes the site positions of a data file in
the file's order, infers the (orthogonal) supercell the positions tile and names the lattice by its
space group (spglib); every other file of the set is then matched onto those sites by position
(:func:`site_permutation`), so the loaders need no lattice key and accept any species.

Built-in cells (labeler demos), in the order of the LSMS files they imitate:

* FCC ``n x n x n`` conventional cells (the LSMS CuAu cell for n = 2): cells in the order
  ``for iz: for iy: for ix:`` (x fastest), and within a cell the basis
  ``(0,0,0), (1/2,1/2,0), (1/2,0,1/2), (0,1/2,1/2)``  (site id = 4 * (ix + n iy + n^2 iz) + basis).
* BCC / BCT conventional cells ``nx x ny x nz``, lattice constants ``a, a, c``, basis ``(0,0,0)``
  (sublattice 1, corners) then ``(1/2,1/2,1/2)`` (sublattice 2, body centres); cells x fastest, or
  in blocks of cells (``block``): the LSMS FePt cell is 4 x 2 x 2 BCT cells listed in two blocks of
  2 x 2 x 2 cells (x fastest inside a block), the block at x = 0 first (:func:`lsms_fept_lattice`).

Positions are in angstrom (ASE convention) unless a name says ``_bohr``.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from pf_app.spglib_call import spglib_call

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


def _supercell(name, basis, reps, lengths, block=None) -> Lattice:
    """Cells ``reps`` of an orthogonal conventional cell with ``lengths``; cell indices x fastest,
    or grouped in blocks of ``block`` cells (blocks x fastest, cells x fastest inside a block)."""
    reps = tuple(int(r) for r in reps)
    block = reps if block is None else tuple(int(b) for b in block)
    if any(r % b for r, b in zip(reps, block)):
        raise ValueError(f"blocks {block} do not tile {reps} cells")
    lengths = np.asarray(lengths, dtype=float)
    n_blocks = [r // b for r, b in zip(reps, block)]
    cells = [np.array(outer[::-1]) * block + inner[::-1]
             for outer in itertools.product(*(range(n) for n in n_blocks[::-1]))
             for inner in itertools.product(*(range(b) for b in block[::-1]))]
    frac = [(c + np.array(b)) / np.array(reps) for c in cells for b in basis]
    cell = np.diag(lengths * np.array(reps))
    return Lattice(name, np.asarray(frac) @ cell, cell)


def fcc_supercell(a: float, n: int = 2) -> Lattice:
    """FCC ``n x n x n`` conventional cells, lattice constant ``a`` in angstrom (4 n^3 sites)."""
    return _supercell(f"fcc{n}x{n}x{n}", _FCC_BASIS, (n, n, n), (a, a, a))


def bcc_supercell(a: float, reps: tuple[int, int, int] = (4, 2, 2), c: float | None = None,
                  block: tuple[int, int, int] | None = None) -> Lattice:
    """BCC (``c`` None or equal to ``a``) or BCT conventional cells, lengths in angstrom; cells x
    fastest, or in ``block``s of cells (see the module docstring)."""
    c = a if c is None else c
    kind = "bcc" if np.isclose(c, a) else "bct"
    return _supercell(f"{kind}{reps[0]}x{reps[1]}x{reps[2]}", _BCC_BASIS, reps, (a, a, c), block)


#: The LSMS CuAu cell: FCC a = 7.2377 bohr, 2 x 2 x 2 conventional cells (see the data's PROVENANCE).
LSMS_CUAU_A_BOHR = 7.2376659


def lsms_cuau_lattice() -> Lattice:
    return fcc_supercell(LSMS_CUAU_A_BOHR * BOHR_ANGSTROM, 2)


#: The LSMS FePt cell: BCT a = 5.218 bohr, c = 7.058 bohr (c/a = 1.353), 4a x 2a x 2c, sites in two
#: blocks of 2 x 2 x 2 cells (see ../shared/data/lsms_FePt_32atoms/PROVENANCE.md).
LSMS_FEPT_A_BOHR, LSMS_FEPT_C_BOHR = 5.218, 7.058


def lsms_fept_lattice() -> Lattice:
    return bcc_supercell(LSMS_FEPT_A_BOHR * BOHR_ANGSTROM, (4, 2, 2), LSMS_FEPT_C_BOHR * BOHR_ANGSTROM, (2, 2, 2))


def replica(lattice: Lattice, n: int) -> Lattice:
    """The n x n x n replica of a cell: its sites copy by copy (copies x fastest), each copy in the
    cell's site order, so that a configuration of the replica is ``np.tile(numbers, n ** 3)``."""
    shifts = np.array([(i, j, k) for k in range(n) for j in range(n) for i in range(n)]) @ lattice.cell
    positions = (shifts[:, None, :] + lattice.positions[None]).reshape(-1, 3)
    return Lattice(f"{lattice.name} x{n}", positions, lattice.cell * n)


def orthogonal_cell(positions: np.ndarray, tol: float = 1e-3) -> np.ndarray:
    """The orthogonal supercell (3, 3) [angstrom] that the site ``positions`` tile periodically.

    LSMS output files list positions but not the cell.  Along each axis the distinct coordinates
    u_0 < ... < u_(k-1) leave gaps g_i = u_(i+1) - u_i; the cell length L closes the cycle with the
    wrap-around gap L - (u_(k-1) - u_0), chosen so that the cyclic gap sequence repeats with the
    shortest period q (k divisible by q) that the known gaps allow, i.e. the gap sequence of one
    lattice period continues across the boundary.  Raises ``ValueError`` when no period fits.
    """
    positions = np.asarray(positions, dtype=float)
    lengths = []
    for axis in range(3):
        x = np.sort(positions[:, axis])
        u = x[np.concatenate([[True], np.diff(x) > tol])]  # distinct coordinates, as in the data
        gaps = np.diff(u)
        k = len(u)
        period = next((q for q in range(1, k) if k % q == 0
                       and np.allclose(gaps[q:], gaps[:-q], atol=2 * tol)), None)
        if period is None:
            raise ValueError(f"the site coordinates along axis {'xyz'[axis]} {np.round(u, 4).tolist()} "
                             f"(angstrom) tile no periodic orthogonal cell")
        lengths.append(u[-1] - u[0] + gaps[k - 1 - period])
    return np.diag(lengths)


def lattice_from_sites(positions: np.ndarray, cell: np.ndarray | None = None, tol: float = 1e-3) -> Lattice:
    """The lattice of a data file: its sites in the file's order, the cell (default: the orthogonal
    cell they tile, :func:`orthogonal_cell`), named by the space group spglib finds for the empty
    lattice, e.g. ``"I4/mmm (139), 32 sites, 11.045 x 5.522 x 7.470 angstrom"``."""
    positions = np.asarray(positions, dtype=float)
    cell = orthogonal_cell(positions, tol) if cell is None else np.asarray(cell, dtype=float)
    frac = positions @ np.linalg.inv(cell)
    group = spglib_call("get_spacegroup", (cell, frac, np.ones(len(positions), dtype=int)), symprec=tol)
    size = " x ".join(f"{v:.3f}" for v in np.linalg.norm(cell, axis=1))
    return Lattice(f"{group}, {len(positions)} sites, {size} angstrom", positions, cell)


def neighbour_shells(lattice: Lattice, n_shells: int, tol: float = 1e-4) -> list[Shell]:
    """The first ``n_shells`` shells of pair distances with periodic images (angstrom), from the
    neighbour list (:func:`~.neighbours.first_shells`); multiplicity matrices are dense (M, M)."""
    from pf_app.surrogate.neighbours import first_shells

    pairs = first_shells(lattice.cell, lattice.positions, n_shells, tol)
    shells = []
    for k, r in enumerate(pairs.shell_distances):
        mult = np.zeros((lattice.n_sites, lattice.n_sites), dtype=np.int32)
        in_shell = pairs.shell == k
        np.add.at(mult, (pairs.centre[in_shell], pairs.neighbour[in_shell]), 1)
        shells.append(Shell(float(r), mult))
    return shells


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

    Matches fractional coordinates modulo 1 (translations of the whole structure are not undone)
    through a :class:`~.site_index.SiteIndex` (O(M log M)); raises ``ValueError`` when a lattice site
    has no atom or the cells differ.
    """
    from pf_app.surrogate.site_index import SiteIndex

    if not np.allclose(cell, lattice.cell, atol=tol * 10):
        raise ValueError(f"cell {np.round(cell, 4).tolist()} differs from {lattice.name}'s "
                         f"{np.round(lattice.cell, 4).tolist()} (angstrom)")
    site = SiteIndex(lattice.cell, lattice.positions, tol).lookup(positions)  # atom k sits on site[k]
    if len(positions) != lattice.n_sites or (site < 0).any() or len(np.unique(site)) != lattice.n_sites:
        raise ValueError(f"atoms do not sit on the {lattice.name} sites within {tol} angstrom")
    return np.argsort(site)


def symmetry_permutations(lattice: Lattice, tol: float = 1e-3, progress: bool = False) -> np.ndarray:
    """(G, M) site permutations of the supercell's space group, found by spglib for the lattice with
    every site occupied alike: the point operations that map the supercell onto itself (48 for the
    FCC 2 x 2 x 2 cell; 8 for the LSMS FePt cell, 4a x 2a x 2c, whose x and y periods differ) times
    the translations by lattice vectors inside it (32).  ``perms[g, i]`` is the site that operation g
    moves site i to, so ``numbers[:, perm]`` is an equivalent configuration and the targets (energy;
    per-site quantities permuted alike) agree.  Each operation's sites are found through one
    :class:`~.site_index.SiteIndex` (O(M log M) per operation; a 1,024-site BCC cell has 49,152
    operations).  int32 (int64 for the small cells), read-only; computed once per lattice."""
    key = (lattice.cell.tobytes(), lattice.positions.tobytes(), float(tol))
    if key not in _PERMUTATIONS:
        _PERMUTATIONS.clear()  # one lattice at a time: a 1,024-site cell's table is 200 MB
        _PERMUTATIONS[key] = _symmetry_permutations(lattice, tol, progress)
    return _PERMUTATIONS[key]


_PERMUTATIONS: dict = {}


def _symmetry_permutations(lattice: Lattice, tol: float, progress: bool) -> np.ndarray:
    """Operations g = (R, t) in two factors: (R, t_R), the first operation spglib lists with the
    rotation R, then the pure translation t - t_R (a lattice translation of the supercell, since
    (R, t)(R, t_R)^-1 = (1, t - t_R)).  Sites are looked up for the distinct rotations and the
    distinct translations only (48 + 512 lookups of M sites for a 1,024-site BCC cell); every
    operation's permutation is then a composition of two."""
    from pf_app.progress import Progress
    from pf_app.surrogate.site_index import SiteIndex

    index = SiteIndex(lattice.cell, lattice.positions, tol)
    frac = lattice.positions @ index.inv
    ops = spglib_call("get_symmetry", (lattice.cell, frac, np.ones(lattice.n_sites, dtype=int)), symprec=tol)
    rotations, shifts = ops["rotations"], ops["translations"]
    m, n_ops = lattice.n_sites, len(rotations)
    rot_keys, rot_of_op = np.unique(rotations.reshape(n_ops, 9), axis=0, return_inverse=True)
    rot_of_op = rot_of_op.ravel()
    first = np.array([np.flatnonzero(rot_of_op == r)[0] for r in range(len(rot_keys))])
    tau = shifts - shifts[first[rot_of_op]]
    tau -= np.round(tau)
    # a translation is known by the site it moves site 0 to
    target = index.lookup((frac[0] + tau) @ lattice.cell)
    if (target < 0).any():
        raise ValueError(f"{lattice.name}: a translation of the space group moves a site off the lattice "
                         f"(tolerance {tol} angstrom)")
    _, tau_first, tau_of_op = np.unique(target, return_index=True, return_inverse=True)

    def sites_of(moved_frac, what):
        site = index.lookup(moved_frac @ lattice.cell)
        if (site < 0).any() or (np.sort(site) != np.arange(m)).any():
            raise ValueError(f"{lattice.name}: a {what} of the space group does not map the sites onto "
                             f"each other within {tol} angstrom")
        return site

    dtype = np.int64 if m < 256 else np.int32  # a 1,024-site cell's table: 49,152 x 1,024
    rot_perm = np.array([sites_of(frac @ rotations[i].T + shifts[i], "rotation") for i in first], dtype=dtype)
    with Progress("symmetry operations", len(tau_first), unit="translation", every_s=10,
                  enabled=progress and len(tau_first) * m > 2 ** 18, initial=0) as bar:  # lines when it takes ~1 s
        trans_perm = np.empty((len(tau_first), m), dtype=dtype)
        for k, i in enumerate(tau_first):
            trans_perm[k] = sites_of(frac + tau[i], "translation")
            bar.update(k + 1)
    perms = np.take_along_axis(trans_perm[tau_of_op], rot_perm[rot_of_op], axis=1)
    perms = np.unique(perms, axis=0)  # sorted rows; spglib can list an operation twice within symprec
    perms.setflags(write=False)
    return perms
