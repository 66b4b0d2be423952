"""LSMS-3 output files and the npz made from them, read into :class:`~.datasets.AlloyData`.

Raw file layout (one file ``out_<id>`` per configuration; ``out_`` without a number gets id -1):
line 1 ``total_energy band_energy fermi_level`` [Ry]; then one line per site:
``Z site_id x y z [bohr] qtotws [electrons in the atomic cell] mtotws [mu_B] ...`` (the remaining
spin/constraint columns are not used).  Targets built here: total energy in eV per cell, charge
transfer ``qtotws - Z`` in electrons per site, magnetic moment ``mtotws`` in mu_B per site.

The lattice comes from the data (no lattice key): the sites of the first file (lowest config id;
in site-id order), or the npz's ``positions_bohr``, define the site order, and the cell is the
orthogonal cell they tile (:func:`~.structures.lattice_from_sites`).  Every file's sites are matched
to those by position (periodic, within ``tol`` angstrom), so a file that lists its sites in another
order loads to the same configuration, and a file whose sites are elsewhere is refused with
:class:`LsmsGeometryError` naming the file.  Any species are accepted.
Quirks of the two sets (CuAu: ``out_`` has 3 Au although the PROVENANCE calls it pure Cu; FePt:
blocked site order) are in docs/surrogate.md.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Iterable

import numpy as np

from pf_app.surrogate.datasets import AlloyData
from pf_app.surrogate.structures import BOHR_ANGSTROM, Lattice, lattice_from_sites

RYDBERG_EV = 13.605693122994  #: 1 Ry in eV (CODATA 2018, as ase.units.Rydberg)
SITE_TOLERANCE_ANGSTROM = 1e-3  #: the files print positions to 1e-9 bohr; lattices differ by >> 0.1


class LsmsGeometryError(ValueError):
    """A data file whose sites (or layout) differ from what the set's lattice expects; ``file``,
    ``expected`` and ``got`` make the one-line ``file: ...: expected ..., got ...`` report."""

    def __init__(self, file: str, expected: str, got: str):
        self.file, self.expected, self.got = file, expected, got
        super().__init__(f"{file}: expected {expected}, got {got}")


def config_id_from_name(name: str) -> int:
    """``out_123`` -> 123; ``out_`` -> -1 (as the npz's ``config_id``)."""
    tail = Path(name).name.removeprefix("out_")
    return int(tail) if tail else -1


def parse_lsms_output(text: str, name: str = "<text>") -> dict:
    """One LSMS output file -> energies [Ry], Z, site ids, positions [bohr], qtotws [e], mtotws [mu_B],
    sites in the order of the file's lines."""
    head, _, body = text.strip().partition("\n")
    try:
        total, band, fermi = (float(v) for v in head.split()[:3])
        rows = [ln.split()[:7] for ln in body.splitlines() if ln.strip()]
        sites = np.array(rows, dtype=float)
    except ValueError:
        raise LsmsGeometryError(name, "an LSMS output file (3 energies, then 7+ numbers per site)",
                                f"first line {head[:60]!r}") from None
    if sites.ndim != 2 or sites.shape[1] != 7:
        raise LsmsGeometryError(name, "at least 7 numbers on every site line", f"shape {sites.shape}")
    return {"total_energy_Ry": total, "band_energy_Ry": band, "fermi_energy_Ry": fermi,
            "atomic_numbers": sites[:, 0].astype(np.int16), "site_id": sites[:, 1].astype(int),
            "positions_bohr": sites[:, 2:5], "qtotws_e": sites[:, 5], "mtotws_muB": sites[:, 6]}


def _to_data(lattice, config_id, numbers, energy_Ry, qtotws, mtotws) -> AlloyData:
    numbers = np.asarray(numbers, dtype=np.int16)
    return AlloyData(
        lattice=lattice,
        numbers=numbers,
        energy_eV=np.asarray(energy_Ry, dtype=float) * RYDBERG_EV,
        charge_e=np.asarray(qtotws, dtype=float) - numbers,
        moment_muB=np.asarray(mtotws, dtype=float),
        config_id=np.asarray(config_id, dtype=np.int64),
    )


def match_sites(lattice: Lattice, positions_bohr: np.ndarray, file: str) -> np.ndarray:
    """Indices ``perm`` with ``positions_bohr[perm]`` in ``lattice``'s site order, or
    :class:`LsmsGeometryError` naming ``file``, the lattice and the first site that does not fit."""
    from pf_app.surrogate.structures import site_permutation

    positions = np.asarray(positions_bohr, dtype=float) * BOHR_ANGSTROM
    if positions.shape == lattice.positions.shape and np.allclose(positions, lattice.positions,
                                                                  rtol=0, atol=SITE_TOLERANCE_ANGSTROM):
        return np.arange(len(positions))  # the common case: the reference order itself
    if len(positions) != lattice.n_sites:
        raise LsmsGeometryError(file, f"{lattice.n_sites} sites of the lattice {lattice.name}",
                                f"{len(positions)} sites")
    try:
        return site_permutation(lattice, positions, lattice.cell, SITE_TOLERANCE_ANGSTROM)
    except ValueError:
        frac = positions @ np.linalg.inv(lattice.cell)
        diff = frac[:, None, :] - (lattice.positions @ np.linalg.inv(lattice.cell))[None]
        diff -= np.round(diff)
        dist = np.linalg.norm(diff @ lattice.cell, axis=-1).min(axis=1)
        i = int(np.argmax(dist))
        raise LsmsGeometryError(
            file, f"every site on a site of the lattice {lattice.name} within {SITE_TOLERANCE_ANGSTROM} angstrom",
            f"site line {i + 1} at {np.round(positions_bohr[i], 4).tolist()} bohr, "
            f"{dist[i]:.4g} angstrom from the nearest lattice site") from None


def load_lsms_npz(path: str | Path, lattice: Lattice | None = None) -> AlloyData:
    """The npz of ``../shared/data/lsms_*_32atoms`` (see their PROVENANCE.md for the keys).

    ``lattice`` defaults to the file's own sites (``positions_bohr``, the same for every
    configuration); a given ``lattice`` must have the same sites (any order)."""
    with np.load(path) as z:
        positions = z["positions_bohr"]
        if lattice is None:
            lattice = lattice_from_sites(positions * BOHR_ANGSTROM, tol=SITE_TOLERANCE_ANGSTROM)
        perm = match_sites(lattice, positions, str(path))
        return _to_data(lattice, z["config_id"], z["atomic_numbers"][:, perm], z["total_energy_Ry"],
                        z["charge_qtotws_e"][:, perm], z["magnetic_moment_muB"][:, perm])


def _read_files(source: Path, wanted: set | None):
    """(file label, config id, text) of every ``out_*`` file in a directory or a tar archive."""
    if source.is_dir():
        for f in sorted(source.glob("out_*")):
            if wanted is None or f.name in wanted:
                yield str(f), config_id_from_name(f.name), f.read_text()
        return
    try:
        tar = tarfile.open(source, "r:*")
    except tarfile.TarError as exc:
        raise LsmsGeometryError(str(source), "a folder or a tar archive of LSMS out_* files", str(exc)) from None
    with tar:
        for member in tar:
            name = Path(member.name).name
            if member.isfile() and name.startswith("out_") and (wanted is None or name in wanted):
                yield f"{source}:{member.name}", config_id_from_name(name), tar.extractfile(member).read().decode()


def load_lsms_raw(source: str | Path, names: Iterable[str] | None = None,
                  lattice: Lattice | None = None) -> AlloyData:
    """Raw LSMS outputs from a directory of ``out_*`` files or a tar archive (``.tar.xz``) of them.

    ``names`` restricts to those file names (e.g. ``["out_", "out_17"]``); the tar is read in one
    streaming pass.  Configurations are returned sorted by config id, sites in the order of
    ``lattice`` (default: the first file's sites in site-id order, see the module docstring).
    """
    source = Path(source)
    wanted = None if names is None else {Path(n).name for n in names}
    parsed = sorted(((cid, label, parse_lsms_output(text, label)) for label, cid, text in _read_files(source, wanted)),
                    key=lambda item: item[0])
    if not parsed:
        raise FileNotFoundError(f"no LSMS output files {sorted(wanted or [])} in {source}")
    if wanted is not None and len(parsed) != len(wanted):
        found = {f"out_{i}" if i >= 0 else "out_" for i, _, _ in parsed}
        raise FileNotFoundError(f"{sorted(wanted - found)} not found in {source}")
    if lattice is None:
        first = parsed[0][2]
        order = np.argsort(first["site_id"], kind="stable")
        lattice = lattice_from_sites(first["positions_bohr"][order] * BOHR_ANGSTROM, tol=SITE_TOLERANCE_ANGSTROM)
    perms = [match_sites(lattice, p["positions_bohr"], label) for _, label, p in parsed]
    return _to_data(lattice, [cid for cid, _, _ in parsed],
                    [p["atomic_numbers"][k] for (_, _, p), k in zip(parsed, perms)],
                    [p["total_energy_Ry"] for _, _, p in parsed],
                    [p["qtotws_e"][k] for (_, _, p), k in zip(parsed, perms)],
                    [p["mtotws_muB"][k] for (_, _, p), k in zip(parsed, perms)])
