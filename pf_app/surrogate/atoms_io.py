"""ASE ``Atoms`` and extended XYZ in and out, so any DFT set can be used.

Per structure: the total energy [eV per cell] as the calculator's ``energy``, the per-atom
charge transfer [electrons gained] as ``charges`` and the moments [mu_B] as ``magmoms``
(missing per-atom arrays read as zeros).  All structures must occupy the same lattice sites; they
are re-ordered into the site order of the first structure (or of a given :class:`Lattice`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pf_app.surrogate.datasets import AlloyData
from pf_app.surrogate.structures import Lattice, site_permutation


def data_to_atoms(data: AlloyData) -> list:
    """One ``ase.Atoms`` per configuration with a single-point calculator holding the targets."""
    from ase import Atoms
    from ase.calculators.singlepoint import SinglePointCalculator

    out = []
    for i in range(len(data)):
        atoms = Atoms(numbers=data.numbers[i], positions=data.lattice.positions, cell=data.lattice.cell, pbc=True)
        atoms.info["config_id"] = int(data.config_id[i])
        atoms.calc = SinglePointCalculator(atoms, energy=float(data.energy_eV[i]), charges=data.charge_e[i],
                                           magmoms=data.moment_muB[i])
        out.append(atoms)
    return out


def atoms_to_data(images: list, lattice: Lattice | None = None) -> AlloyData:
    """Structures on one lattice -> :class:`AlloyData` in ``lattice``'s site order (default: the
    first structure's own order)."""
    if not images:
        raise ValueError("no structures")
    lattice = lattice or Lattice("extxyz", images[0].get_positions(), np.array(images[0].get_cell()))
    numbers, energy, charge, moment, ids = [], [], [], [], []
    for k, atoms in enumerate(images):
        perm = site_permutation(lattice, atoms.get_positions(), np.array(atoms.get_cell()))
        res = atoms.calc.results if atoms.calc is not None else {}
        if "energy" not in res:
            raise ValueError(f"structure {k} has no energy")
        numbers.append(atoms.numbers[perm])
        energy.append(res["energy"])
        charge.append(np.asarray(res.get("charges", np.zeros(len(atoms))))[perm])
        moment.append(np.asarray(res.get("magmoms", np.zeros(len(atoms))))[perm])
        ids.append(atoms.info.get("config_id", k))
    return AlloyData(lattice, np.array(numbers, dtype=np.int16), np.array(energy, dtype=float),
                     np.array(charge, dtype=float), np.array(moment, dtype=float), np.array(ids, dtype=np.int64))


def write_extxyz(path: str | Path, data: AlloyData) -> None:
    from ase.io import write

    from pf_app.atomic_files import atomic_path

    with atomic_path(path) as tmp:
        write(tmp, data_to_atoms(data), format="extxyz")


def read_extxyz(path: str | Path, lattice: Lattice | None = None) -> AlloyData:
    from ase.io import read

    return atoms_to_data(read(path, index=":", format="extxyz"), lattice)
