"""LSMS-3 output files and the npz made from them, read into :class:`~.datasets.AlloyData`.

Raw file layout (one file ``out_<id>`` per configuration; ``out_`` without a number gets
id -1: it holds 3 Au atoms, not pure Cu as PROVENANCE.md says -- pure Cu is ``out_32017``):
line 1 ``total_energy band_energy fermi_level`` [Ry]; then one line per site:
``Z site_id x y z [bohr] qtotws [electrons in the atomic cell] mtotws [mu_B] ...`` (the remaining
spin/constraint columns are not used).  Targets built here: total energy in eV per cell, charge
transfer ``qtotws - Z`` in electrons per site, magnetic moment ``mtotws`` in mu_B per site.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Iterable

import numpy as np

from pf_app.surrogate.datasets import AlloyData
from pf_app.surrogate.structures import BOHR_ANGSTROM, Lattice, lsms_cuau_lattice

RYDBERG_EV = 13.605693122994  #: 1 Ry in eV (CODATA 2018, as ase.units.Rydberg)


def config_id_from_name(name: str) -> int:
    """``out_123`` -> 123; ``out_`` -> -1 (as the npz's ``config_id``)."""
    tail = Path(name).name.removeprefix("out_")
    return int(tail) if tail else -1


def parse_lsms_output(text: str) -> dict:
    """One LSMS output file -> energies [Ry], Z, site ids, positions [bohr], qtotws [e], mtotws [mu_B]."""
    lines = [ln.split() for ln in text.strip().splitlines()]
    total, band, fermi = (float(v) for v in lines[0][:3])
    sites = np.array([[float(v) for v in ln[:7]] for ln in lines[1:]])
    order = np.argsort(sites[:, 1], kind="stable")
    sites = sites[order]
    return {"total_energy_Ry": total, "band_energy_Ry": band, "fermi_energy_Ry": fermi,
            "atomic_numbers": sites[:, 0].astype(np.int16), "site_id": sites[:, 1].astype(int),
            "positions_bohr": sites[:, 2:5], "qtotws_e": sites[:, 5], "mtotws_muB": sites[:, 6]}


def _to_data(lattice, config_id, numbers, positions_bohr, energy_Ry, qtotws, mtotws) -> AlloyData:
    positions = np.asarray(positions_bohr) * BOHR_ANGSTROM
    if positions.shape != lattice.positions.shape or not np.allclose(positions, lattice.positions, atol=1e-4):
        raise ValueError(f"LSMS site positions do not match the {lattice.name} site order (angstrom)")
    numbers = np.asarray(numbers, dtype=np.int16)
    return AlloyData(
        lattice=lattice,
        numbers=numbers,
        energy_eV=np.asarray(energy_Ry, dtype=float) * RYDBERG_EV,
        charge_e=np.asarray(qtotws, dtype=float) - numbers,
        moment_muB=np.asarray(mtotws, dtype=float),
        config_id=np.asarray(config_id, dtype=np.int64),
    )


def load_lsms_npz(path: str | Path, lattice: Lattice | None = None) -> AlloyData:
    """The npz of ``../shared/data/lsms_CuAu_32atoms`` (see its PROVENANCE.md for the keys).

    ``lattice`` defaults to the LSMS CuAu cell; the file's site positions must match it."""
    with np.load(path) as z:
        return _to_data(lattice or lsms_cuau_lattice(), z["config_id"], z["atomic_numbers"], z["positions_bohr"], z["total_energy_Ry"],
                        z["charge_qtotws_e"], z["magnetic_moment_muB"])


def load_lsms_raw(source: str | Path, names: Iterable[str] | None = None,
                  lattice: Lattice | None = None) -> AlloyData:
    """Raw LSMS outputs from a directory of ``out_*`` files or a ``.tar.xz`` of them.

    ``names`` restricts to those file names (e.g. ``["out_", "out_17"]``); the tar is read in one
    streaming pass.  Configurations are returned sorted by config id.  All files must share one
    geometry, that of ``lattice`` (default: the LSMS CuAu cell).
    """
    source = Path(source)
    wanted = None if names is None else {Path(n).name for n in names}
    parsed = []
    if source.is_dir():
        for f in sorted(source.glob("out_*")):
            if wanted is None or f.name in wanted:
                parsed.append((config_id_from_name(f.name), parse_lsms_output(f.read_text())))
    else:
        with tarfile.open(source, "r:*") as tar:
            for member in tar:
                name = Path(member.name).name
                if member.isfile() and name.startswith("out_") and (wanted is None or name in wanted):
                    text = tar.extractfile(member).read().decode()
                    parsed.append((config_id_from_name(name), parse_lsms_output(text)))
    if not parsed:
        raise FileNotFoundError(f"no LSMS output files {sorted(wanted or [])} in {source}")
    if wanted is not None and len(parsed) != len(wanted):
        found = {f"out_{i}" if i >= 0 else "out_" for i, _ in parsed}
        raise FileNotFoundError(f"{sorted(wanted - found)} not found in {source}")
    parsed.sort(key=lambda item: item[0])
    pos = parsed[0][1]["positions_bohr"]
    for cid, p in parsed:
        if not np.allclose(p["positions_bohr"], pos, atol=1e-6):
            raise ValueError(f"{source}: config {cid} has different site positions than the first file")
    return _to_data(lattice or lsms_cuau_lattice(), [cid for cid, _ in parsed], [p["atomic_numbers"] for _, p in parsed], pos,
                    [p["total_energy_Ry"] for _, p in parsed], [p["qtotws_e"] for _, p in parsed],
                    [p["mtotws_muB"] for _, p in parsed])
