"""Read an icet ``ClusterExpansion`` file (``cluster_expansion.icet_file``) onto the campaign's lattice.

icet is not a dependency of pf_app (its PyPI release is a source distribution that compiles C++ and
pulls pandas and scikit-learn: 2.4 min and ~130 MB more in a fresh environment, see
docs/montecarlo.md); this module imports it only when an icet file is given.

Conventions (icet 4): ``predict(structure) = sum_a J_a <Pi_a>`` per atom, with ``<Pi_a>`` the average
of the cluster function over the clusters of orbit a; for a binary site the point function is +1
for the species of higher atomic number and -1 for the other (checked against predict in the tests).
Ours: ``E = M V0 + sum_a V_a sum_(clusters of a) prod sigma`` (each cluster once, sigma = +1 for the
second species of *our* list).  With n atoms per primitive cell (spectators included), m_a clusters
of orbit a per primitive cell and M sampled sites per n atoms::

    V_a = J_a n / m_a  (times -1 for every site of the cluster whose two species are listed in the
                        other order), V0 = J_0 n / n_sampled,

so the total energies agree: E = N_atoms x predict.  Each icet orbit is matched to ours by the
Cartesian positions of its representative cluster; a file whose sites do not lie on our lattice, or
whose species or orbit multiplicities differ, is refused (another lattice).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pf_app.config import ConfigError
from pf_app.montecarlo.clusters import ClusterSpace, canonical
from pf_app.montecarlo.hamiltonian import ClusterExpansion
from pf_app.montecarlo.lattice import Lattice

KEY = "cluster_expansion.icet_file"
_POS_TOL = 1e-4  # fractional tolerance when placing icet's sites on our lattice


def _sites_on_lattice(lattice: Lattice, positions: np.ndarray) -> np.ndarray | None:
    """Rows (b, n0, n1, n2) of our lattice at Cartesian positions (k, 3), or None if one is not a site."""
    frac = np.asarray(positions) @ np.linalg.inv(lattice.cell)
    rows = []
    for f in frac:
        diff = f[None, :] - lattice.positions
        ok = np.flatnonzero(np.all(np.abs(diff - np.rint(diff)) < _POS_TOL, axis=1))
        if len(ok) != 1:
            return None
        rows.append([ok[0], *np.rint(diff[ok[0]]).astype(int)])
    return np.array(rows, np.int64)


def read_icet(path: Path, lattice: Lattice, file, energy_unit: str = "eV", symprec: float = 1e-5) -> ClusterExpansion:
    """Our :class:`ClusterExpansion` on ``lattice`` from an icet ClusterExpansion file."""
    try:
        from icet import ClusterExpansion as IcetExpansion
    except ImportError:
        raise ConfigError(file, KEY, "an environment with icet installed (pip install icet) to read an icet "
                          "file, or cutoffs and ecis in the YAML", str(path)) from None
    ce = IcetExpansion.read(str(path))
    prim = ce.primitive_structure
    other = f"a cluster expansion of the lattice in the 'lattice' section (icet's primitive cell: " \
            f"{len(prim)} sites, species {ce.chemical_symbols})"
    if abs(abs(np.linalg.det(prim.cell)) / len(prim) - abs(np.linalg.det(lattice.cell)) / lattice.n_basis) > 1e-6:
        raise ConfigError(file, KEY, other, str(path))
    sites = _sites_on_lattice(lattice, prim.positions)
    if sites is None or sorted(sites[:, 0]) != list(range(lattice.n_basis)):
        raise ConfigError(file, KEY, other, str(path))
    flipped = np.zeros(lattice.n_basis, bool)
    for (b, *_), species in zip(sites, _species_per_site(ce)):
        ours = lattice.species[b]
        if sorted(ours) != sorted(species):
            raise ConfigError(file, KEY, other, str(path))
        flipped[b] = len(ours) == 2 and tuple(ours) != tuple(species)
    space = ClusterSpace(lattice, tuple(ce.cutoffs), symprec)
    by_key = {space.orbit_key(o.classes[0]): i for i, o in enumerate(space.orbits) if o.order >= 1}
    cs = ce.get_cluster_space_copy()
    rows = cs.as_list
    n_atoms, n_sampled = len(prim), len(lattice.active)
    ecis = [0.0] * len(space.orbits)
    ecis[0] = ce.parameters[0] * n_atoms / n_sampled
    for row, j in zip(rows[1:], ce.parameters[1:]):
        cluster = cs.orbit_list.get_orbit(row["orbit_index"]).representative_cluster
        mine = _sites_on_lattice(lattice, np.array(cluster.positions))
        a = by_key.get(space.orbit_key(canonical(mine))) if mine is not None else None
        if a is None or space.orbits[a].multiplicity != row["multiplicity"]:
            raise ConfigError(file, KEY, other + f"; orbit {row['index']} has no match on our lattice", str(path))
        sign = -1.0 if np.count_nonzero(flipped[mine[:, 0]]) % 2 else 1.0
        ecis[a] = sign * j * n_atoms / row["multiplicity"]
    return ClusterExpansion(space, tuple(ecis), energy_unit)


def _species_per_site(ce) -> list[tuple[str, ...]]:
    """icet's allowed species of every site of its primitive structure, in the order of its point
    functions: by atomic number (for a binary site the heavier species has Pi = +1)."""
    from ase.data import atomic_numbers

    cs = ce.get_cluster_space_copy()
    subl = cs.get_sublattices(cs.primitive_structure)
    return [tuple(sorted(subl[subl.get_sublattice_index_from_site_index(i)].chemical_symbols,
                         key=atomic_numbers.__getitem__)) for i in range(len(cs.primitive_structure))]
