"""LSMS-3 output files and the npz made from them, read into :class:`~.datasets.AlloyData`.

Raw file layout (one file per configuration, named ``out_<id>`` in the seed's sets and
``output_<id>`` in later ones; the files read are those whose name matches ``pattern``, default
``out*_*``, both; the config id is the number the name ends with, -1 for none, e.g. ``out_``):
line 1 ``total_energy band_energy fermi_level`` [Ry]; then one line per site:
``Z site_id x y z [bohr] qtotws [electrons in the atomic cell] mtotws [mu_B] ...`` (the remaining
spin/constraint columns are not used).  Targets built here: total energy in eV per cell, charge
transfer ``qtotws - Z`` in electrons per site, magnetic moment ``mtotws`` in mu_B per site.
:func:`format_lsms_output` writes the same layout (the labeler's data as LSMS files, for tests).

The lattice comes from the data (no lattice key): the sites of the first file (lowest config id;
in site-id order), or the npz's ``positions_bohr``, define the site order, and the cell is the
orthogonal cell they tile (:func:`~.structures.lattice_from_sites`).  Every file's sites are matched
to those by position (periodic, within ``tol`` angstrom; a hash of the rounded fractional
coordinates, :class:`~.site_index.SiteIndex`, O(M log M) per file), so a file that lists its sites
in another order loads to the same configuration, and a file whose sites are elsewhere is refused
with :class:`LsmsGeometryError` naming the file.  Any species are accepted.
Quirks of the two sets (CuAu: ``out_`` has 3 Au although the PROVENANCE calls it pure Cu; FePt:
blocked site order) are in docs/surrogate.md.
"""

from __future__ import annotations

import fnmatch
import re
import tarfile
from pathlib import Path
from typing import Iterable

import numpy as np

from pf_app.progress import Progress
from pf_app.surrogate.config import DatasetConfig
from pf_app.surrogate.datasets import AlloyData
from pf_app.surrogate.site_index import SiteIndex
from pf_app.surrogate.structures import BOHR_ANGSTROM, Lattice, lattice_from_sites

RYDBERG_EV = 13.605693122994  #: 1 Ry in eV (CODATA 2018, as ase.units.Rydberg)
SITE_TOLERANCE_ANGSTROM = 1e-3  #: the files print positions to 1e-9 bohr; lattices differ by >> 0.1
DEFAULT_PATTERN = DatasetConfig.pattern  #: file names read from a folder or archive: out_<id> and output_<id>


class LsmsGeometryError(ValueError):
    """A data file (or folder) that is not what the loader expects: ``file``, ``expected`` and
    ``got`` make the one-line ``file: key: expected ..., got ...`` report; ``key`` is the config key
    that names the data (``data.path``, or ``data.pattern`` when no file matches)."""

    def __init__(self, file: str, expected: str, got: str, key: str = "data.path"):
        self.file, self.expected, self.got, self.key = file, expected, got, key
        super().__init__(f"{file}: expected {expected}, got {got}")


def config_id_from_name(name: str) -> int:
    """The number a file name ends with: ``out_123`` and ``output_123`` -> 123; ``out_`` -> -1
    (as the npz's ``config_id``)."""
    digits = re.search(r"(\d+)$", Path(name).name)
    return int(digits.group(1)) if digits else -1


def parse_lsms_output(text: str, name: str = "<text>") -> dict:
    """One LSMS output file -> energies [Ry], Z, site ids, positions [bohr], qtotws [e], mtotws [mu_B],
    sites in the order of the file's lines."""
    head, _, body = text.strip().partition("\n")
    try:
        total, band, fermi = (float(v) for v in head.split()[:3])
        lines = [ln for ln in body.splitlines() if ln.strip()]
        tokens = body.split()
        if lines and len(tokens) % len(lines) == 0 and len(tokens) == len(lines) * len(lines[0].split()):
            sites = np.array(tokens, dtype=float).reshape(len(lines), -1)[:, :7]  # one number of columns
        else:
            sites = np.array([ln.split()[:7] for ln in lines], dtype=float)
    except ValueError:
        raise LsmsGeometryError(name, "an LSMS output file (3 energies, then 7+ numbers per site)",
                                f"first line {head[:60]!r}") from None
    if sites.ndim != 2 or sites.shape[1] != 7:
        raise LsmsGeometryError(name, "at least 7 numbers on every site line", f"shape {sites.shape}")
    return {"total_energy_Ry": total, "band_energy_Ry": band, "fermi_energy_Ry": fermi,
            "atomic_numbers": sites[:, 0].astype(np.int16), "site_id": sites[:, 1].astype(int),
            "positions_bohr": sites[:, 2:5], "qtotws_e": sites[:, 5], "mtotws_muB": sites[:, 6]}


def format_lsms_output(total_energy_Ry: float, atomic_numbers: np.ndarray, positions_bohr: np.ndarray,
                       qtotws_e: np.ndarray, mtotws_muB: np.ndarray, band_energy_Ry: float = 0.0,
                       fermi_energy_Ry: float = 0.0) -> str:
    """The text of one LSMS output file (the layout :func:`parse_lsms_output` reads; site ids 0..M-1
    in the given order, the spin/constraint columns as LSMS writes them for a collinear run)."""
    lines = [f"{total_energy_Ry:.15f} {band_energy_Ry:.15f} {fermi_energy_Ry:.15f}"]
    for i, (z, r, q, m) in enumerate(zip(atomic_numbers, positions_bohr, qtotws_e, mtotws_muB)):
        lines.append(f" {int(z)} {i:8d} {r[0]:22.15f} {r[1]:22.15f} {r[2]:22.15f} {q:13.6f} {m:12.6f}"
                     "      0.0 0.0 1.0   -1.00      0.0 0.0 0.0    0.0000      0.0 0.0 1.0")
    return "\n".join(lines) + "\n"


def write_lsms_files(data: AlloyData, folder: str | Path, prefix: str = "output_") -> list[Path]:
    """Every configuration of ``data`` as an LSMS output file ``<prefix><config id>`` in ``folder``
    (energies back in Ry, charge transfer back to qtotws = Z + charge, positions in bohr, sites in
    the lattice order); returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    positions = data.lattice.positions / BOHR_ANGSTROM
    paths = []
    for k in range(len(data)):
        path = folder / f"{prefix}{int(data.config_id[k])}"
        path.write_text(format_lsms_output(data.energy_eV[k] / RYDBERG_EV, data.numbers[k], positions,
                                           data.numbers[k] + data.charge_e[k], data.moment_muB[k]))
        paths.append(path)
    return paths


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


class SiteMatcher:
    """``matcher(positions_bohr, file)`` -> indices ``perm`` with ``positions_bohr[perm]`` in
    ``lattice``'s site order, or :class:`LsmsGeometryError` naming ``file``, the lattice and the
    first site that does not fit.  One :class:`~.site_index.SiteIndex` for all files."""

    def __init__(self, lattice: Lattice):
        self.lattice = lattice
        self.index = SiteIndex(lattice.cell, lattice.positions, SITE_TOLERANCE_ANGSTROM)

    def __call__(self, positions_bohr: np.ndarray, file: str) -> np.ndarray:
        lattice = self.lattice
        positions = np.asarray(positions_bohr, dtype=float) * BOHR_ANGSTROM
        if positions.shape == lattice.positions.shape and np.allclose(positions, lattice.positions,
                                                                      rtol=0, atol=SITE_TOLERANCE_ANGSTROM):
            return np.arange(len(positions))  # the common case: the reference order itself
        if len(positions) != lattice.n_sites:
            raise LsmsGeometryError(file, f"{lattice.n_sites} sites of the lattice {lattice.name}",
                                    f"{len(positions)} sites")
        site = self.index.lookup(positions)
        off = np.flatnonzero(site < 0)
        if len(off):
            dist = [self.index.nearest_distance(positions[i]) for i in off]
            i = int(off[int(np.argmax(dist))])
            raise LsmsGeometryError(
                file, f"every site on a site of the lattice {lattice.name} within {SITE_TOLERANCE_ANGSTROM} angstrom",
                f"site line {i + 1} at {np.round(positions_bohr[i], 4).tolist()} bohr, "
                f"{max(dist):.4g} angstrom from the nearest lattice site")
        order = np.argsort(site, kind="stable")
        twice = np.flatnonzero(np.diff(site[order]) == 0)
        if len(twice):
            a, b = sorted(order[twice[0]:twice[0] + 2])
            raise LsmsGeometryError(file, f"one atom on every site of the lattice {lattice.name}",
                                    f"site lines {a + 1} and {b + 1} on the same lattice site")
        return order


def match_sites(lattice: Lattice, positions_bohr: np.ndarray, file: str) -> np.ndarray:
    """:class:`SiteMatcher` for one file."""
    return SiteMatcher(lattice)(positions_bohr, file)


def _lattice_of(positions_bohr: np.ndarray, file: str) -> Lattice:
    try:
        return lattice_from_sites(positions_bohr * BOHR_ANGSTROM, tol=SITE_TOLERANCE_ANGSTROM)
    except ValueError as exc:
        raise LsmsGeometryError(file, "sites that tile a periodic orthogonal cell (the set's lattice)",
                                str(exc)) from None


def load_lsms_npz(path: str | Path, lattice: Lattice | None = None) -> AlloyData:
    """The npz of ``../shared/data/lsms_*_32atoms`` (see their PROVENANCE.md for the keys).

    ``lattice`` defaults to the file's own sites (``positions_bohr``, the same for every
    configuration); a given ``lattice`` must have the same sites (any order)."""
    with np.load(path) as z:
        positions = z["positions_bohr"]
        if lattice is None:
            lattice = _lattice_of(positions, str(path))
        perm = match_sites(lattice, positions, str(path))
        return _to_data(lattice, z["config_id"], z["atomic_numbers"][:, perm], z["total_energy_Ry"],
                        z["charge_qtotws_e"][:, perm], z["magnetic_moment_muB"][:, perm])


def _read_files(source: Path, pattern: str, wanted: set | None, progress: bool):
    """(file label, config id, text) of every file whose name matches ``pattern`` (and is among
    ``wanted`` when given) in a directory or a tar archive; progress lines per file (folder) or per
    MB of the archive read."""
    def take(name):
        return fnmatch.fnmatchcase(name, pattern) and (wanted is None or name in wanted)

    if source.is_dir():
        files = sorted(f for f in source.iterdir() if f.is_file() and take(f.name))
        with Progress("reading LSMS files", len(files), unit="file", every_s=10, enabled=progress,
                      initial=0) as bar:
            for k, f in enumerate(files):
                yield str(f), config_id_from_name(f.name), f.read_text()
                bar.update(k + 1)
        return
    size_mb = source.stat().st_size / 2 ** 20
    with open(source, "rb") as raw:
        try:
            tar = tarfile.open(fileobj=raw, mode="r:*")
        except tarfile.TarError as exc:
            raise LsmsGeometryError(str(source), "a folder or a tar archive of LSMS output files", str(exc)) from None
        with tar, Progress("reading LSMS archive", round(size_mb, 1), unit="MB", every_s=10, enabled=progress,
                           initial=0) as bar:
            for member in tar:
                name = Path(member.name).name
                if member.isfile() and take(name):
                    yield f"{source}:{member.name}", config_id_from_name(name), tar.extractfile(member).read().decode()
                bar.update(round(raw.tell() / 2 ** 20, 1))


def _no_files(source: Path, pattern: str) -> LsmsGeometryError:
    if source.is_dir():
        names = sorted(f.name for f in source.iterdir())
    else:
        with tarfile.open(source, "r:*") as tar:
            names = [Path(m.name).name for m in tar if m.isfile()]
    sample = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    return LsmsGeometryError(str(source), f"LSMS output files whose names match data.pattern {pattern!r}",
                             f"none among {len(names)} files ({sample or 'empty'})", key="data.pattern")


def load_lsms_raw(source: str | Path, names: Iterable[str] | None = None, lattice: Lattice | None = None,
                  pattern: str = DEFAULT_PATTERN, progress: bool = False) -> AlloyData:
    """Raw LSMS outputs from a directory of files or a tar archive (``.tar.xz``) of them: the files
    whose names match ``pattern`` (a glob; default ``out_*`` and ``output_*``).

    ``names`` restricts to those file names (e.g. ``["out_", "out_17"]``); the tar is read in one
    streaming pass.  Configurations are returned sorted by config id, sites in the order of
    ``lattice`` (default: the first file's sites in site-id order, see the module docstring).
    Problems raise :class:`LsmsGeometryError` naming the file (or folder) and what was expected.
    """
    source = Path(source)
    if not source.exists():
        raise LsmsGeometryError(str(source), "a folder or a tar archive of LSMS output files", "no such path")
    wanted = None if names is None else {Path(n).name for n in names}
    parsed = sorted(((cid, label, parse_lsms_output(text, label))
                     for label, cid, text in _read_files(source, pattern, wanted, progress)),
                    key=lambda item: item[0])
    if not parsed:
        raise _no_files(source, pattern)
    if wanted is not None and len(parsed) != len(wanted):
        found = {Path(label).name for _, label, _ in parsed}
        raise LsmsGeometryError(str(source), f"the files {sorted(wanted)}", f"{sorted(wanted - found)} missing")
    if lattice is None:
        _, label, first = parsed[0]
        order = np.argsort(first["site_id"], kind="stable")
        lattice = _lattice_of(first["positions_bohr"][order], label)
    matcher = SiteMatcher(lattice)
    perms = [matcher(p["positions_bohr"], label) for _, label, p in parsed]
    return _to_data(lattice, [cid for cid, _, _ in parsed],
                    [p["atomic_numbers"][k] for (_, _, p), k in zip(parsed, perms)],
                    [p["total_energy_Ry"] for _, _, p in parsed],
                    [p["qtotws_e"][k] for (_, _, p), k in zip(parsed, perms)],
                    [p["mtotws_muB"][k] for (_, _, p), k in zip(parsed, perms)])
