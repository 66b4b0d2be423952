"""Run by test_mc_icet.py in an interpreter that has icet: icet's predict against our energies.

Prints one JSON line: the largest |E_ours - N_atoms predict| over 1000 random configurations for an
FCC expansion (pairs, triplets, quadruplets) and an HCP one (two basis sites), and the error line for
an icet file of another lattice.
"""

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from ase.build import bulk, make_supercell
from icet import ClusterExpansion, ClusterSpace

from pf_app.config import ConfigError
from pf_app.montecarlo.hamiltonian import ClusterTables
from pf_app.montecarlo.icet_import import read_icet
from pf_app.montecarlo.lattice import Lattice
from pf_app.montecarlo.order_parameters import OrderParameterMap

sys.path.insert(0, str(Path(__file__).parent))
from mc_models import HCP  # noqa: E402


def worst_difference(prim, lattice, cutoffs, species, repeats, tmp):
    cs = ClusterSpace(prim, cutoffs, species)
    params = np.random.default_rng(3).normal(size=len(cs))
    path = Path(tmp) / "ce.icet"
    ClusterExpansion(cs, params).write(str(path))
    ours = read_icet(path, lattice, "test.yaml")
    omap = OrderParameterMap(np.eye(3), np.eye(len(lattice.active)), tuple(f"x{i}" for i in lattice.active))
    tables = ClusterTables(ours, omap, repeats)
    sc = tables.supercell
    structure = make_supercell(prim, np.diag(repeats))
    # our site s of the supercell is at sc.positions[s]: find the ase atom at the same place
    frac = structure.get_scaled_positions()
    ours_frac = sc.positions @ np.linalg.inv(structure.cell.array)
    d = (ours_frac[:, None, :] - frac[None, :, :]) % 1.0
    d = np.minimum(d, 1 - d).sum(axis=2)
    atom = np.argmin(d, axis=1)
    ce = ClusterExpansion.read(str(path))
    rng = np.random.default_rng(4)
    worst = 0.0
    for _ in range(1000):
        sigma = rng.choice(np.array([-1, 1], np.int8), sc.n_sites)
        symbols = np.array(structure.get_chemical_symbols())
        for b in lattice.active:
            mask = sc.basis_of_site == b
            symbols[atom[mask]] = np.where(sigma[mask] > 0, lattice.species[b][1], lattice.species[b][0])
        structure.set_chemical_symbols(symbols.tolist())
        worst = max(worst, abs(tables.total_energy(sigma) - len(structure) * ce.predict(structure)))
    return worst


def main():
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        fcc = bulk("Au", "fcc", a=1.0)
        fcc_lattice = Lattice(np.array(fcc.cell), [[0, 0, 0]], [("Au", "Pd")])  # our order: Au = -1
        out["fcc"] = worst_difference(fcc, fcc_lattice, [1.25, 0.75, 0.75], [["Au", "Pd"]], (4, 4, 4), tmp)
        hcp = HCP.to_atoms()
        out["hcp"] = worst_difference(hcp, HCP, [1.7, 1.1], [["Mg", "Zn"], ["Mg", "Zn"]], (4, 4, 3), tmp)
        bcc = bulk("Au", "bcc", a=1.0)
        path = Path(tmp) / "bcc.icet"
        ClusterExpansion(ClusterSpace(bcc, [1.1], [["Au", "Pd"]]), [0.0, 0.0, 1.0, 0.5]).write(str(path))
        try:
            read_icet(path, fcc_lattice, "test.yaml")
            out["other_lattice"] = "accepted"
        except ConfigError as exc:
            out["other_lattice"] = str(exc)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
