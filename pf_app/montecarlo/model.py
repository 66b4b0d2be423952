"""What the sampler runs on, built from a campaign's ``lattice``, ``cluster_expansion`` and
``order_parameters`` sections: a :class:`ClusterExpansion` and an :class:`OrderParameterMap`.

Every inconsistency between the sections (a Q of the wrong size, a cutoff that holds no cluster,
more ECIs than orbits, an order-parameter species that is not on the lattice, an icet file of another
lattice, a supercell too small for the cutoffs) is a :class:`ConfigError` naming the file and key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pf_app.config import ConfigError
from pf_app.montecarlo.clusters import ORDER_NAMES, ClusterSpace
from pf_app.montecarlo.config import CampaignConfig, ClusterExpansionConfig, LatticeConfig, OrderParametersConfig
from pf_app.montecarlo.hamiltonian import ClusterExpansion
from pf_app.montecarlo.lattice import Lattice, Supercell
from pf_app.montecarlo.order_parameters import OrderParameterMap


@dataclass(frozen=True, eq=False)
class SamplerModel:
    """Cluster expansion, order-parameter map and supercell repeats of the ordering cell."""

    expansion: ClusterExpansion
    order_map: OrderParameterMap
    repeats: tuple[int, int, int]

    def __str__(self) -> str:
        sc = Supercell(self.expansion.space.lattice, self.order_map.cell, self.repeats)
        return (f"{self.expansion}\n{self.order_map}\nSupercell: {list(self.repeats)} ordering cells, "
                f"{sc.n_sites} sampled sites, {sc.n_sublattices} sublattices")


def lattice_of(cfg: LatticeConfig) -> Lattice:
    return Lattice(np.array(cfg.cell, float), np.array(cfg.positions, float), tuple(map(tuple, cfg.species)))


def order_map_of(cfg: OrderParametersConfig, lattice: Lattice, file, key: str = "order_parameters") -> OrderParameterMap:
    n_sub = round(abs(np.linalg.det(cfg.cell))) * len(lattice.active)
    q = np.array(cfg.Q, float)
    if q.shape != (n_sub, n_sub):
        raise ConfigError(file, f"{key}.Q", f"a {n_sub} x {n_sub} matrix ({n_sub} sublattices: ordering cell of "
                          f"determinant {round(abs(np.linalg.det(cfg.cell)))} x {len(lattice.active)} sampled "
                          "basis sites)", f"{q.shape[0]} x {q.shape[1] if q.ndim == 2 else 0}")
    if cfg.species is not None:
        second = {lattice.species[b][1] for b in lattice.active}
        if second != {cfg.species}:
            raise ConfigError(file, f"{key}.species", "the second listed species of every sampled lattice site "
                              f"(x_s is its fraction): {' / '.join(sorted(second))}", cfg.species)
    return OrderParameterMap(np.array(cfg.cell, int), cfg.scale * q, tuple(cfg.names))


def _ecis_from_yaml(cfg: ClusterExpansionConfig, space: ClusterSpace, file) -> tuple[float, ...]:
    ecis = [0.0] * len(space.orbits)
    ecis[0] = cfg.ecis.zerolet
    for order in range(1, 5):
        name = ORDER_NAMES[order]
        given = getattr(cfg.ecis, name)
        idx = space.orbits_of_order(order)
        if len(given) > len(idx):
            raise ConfigError(file, f"cluster_expansion.ecis.{name}", f"at most {len(idx)} ECIs (the {name} orbits "
                              f"within the cutoffs {list(space.cutoffs)})", list(given))
        for i, v in zip(idx, given):
            ecis[i] = v
    return tuple(ecis)


def expansion_of(cfg: CampaignConfig, file) -> ClusterExpansion:
    """The cluster expansion of a campaign: lattice and ECIs from YAML, or from an icet file."""
    ce = cfg.cluster_expansion
    lattice = lattice_of(cfg.lattice)
    if ce.icet_file is not None:
        from pf_app.montecarlo.icet_import import read_icet

        return read_icet(ce.icet_file, lattice, file, energy_unit=ce.energy_unit, symprec=ce.symprec)
    space = ClusterSpace(lattice, tuple(ce.cutoffs), ce.symprec)
    for i, cutoff in enumerate(ce.cutoffs):
        if not space.orbits_of_order(i + 2):
            raise ConfigError(file, f"cluster_expansion.cutoffs[{i}]", f"a cutoff that holds at least one "
                              f"{ORDER_NAMES[i + 2][:-1]} (shortest distance between sampled sites: "
                              f"{_shortest_distance(lattice):.6g})", cutoff)
    return ClusterExpansion(space, _ecis_from_yaml(ce, space, file), ce.energy_unit)


def _shortest_distance(lattice: Lattice) -> float:
    space = ClusterSpace(lattice, (float(np.linalg.norm(lattice.cell, axis=1).max()) + 1e-6,))
    return min(o.max_distance for o in space.orbits if o.order == 2)


def model_of(cfg: CampaignConfig, file: str | Path) -> SamplerModel:
    """The sampler's model of a campaign; raises :class:`ConfigError` on inconsistent sections."""
    expansion = expansion_of(cfg, file)
    lattice = expansion.space.lattice
    order_map = order_map_of(cfg.order_parameters, lattice, file)
    sc = Supercell(lattice, order_map.cell, tuple(cfg.supercell))
    for a, o in enumerate(expansion.space.orbits):
        if o.order >= 2:
            try:
                expansion.space.supercell_clusters(sc, a)
            except ValueError as exc:
                raise ConfigError(file, "supercell", f"more repeats of the ordering cell ({exc})",
                                  list(cfg.supercell)) from None
    return SamplerModel(expansion, order_map, tuple(cfg.supercell))
