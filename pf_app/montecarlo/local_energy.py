"""A trained local-environment network as an energy model on any supercell of its lattice.

The network (``pf_app surrogate`` with ``model.kind: local``, counts per shell only:
``pair_shells: 0``) gives site i the energy

    e_i = (mean_E + std_E * out_E(features_i)) / M0        [eV]

(standardization of the cell energy of its M0-site training cells, docs/surrogate.md), and the
features of a binary alloy's site are its own species and the number of B neighbours in each of the
K shells, a finite set: (own, n_1, ..., n_K) with 0 <= n_k <= z_k.  :meth:`LocalNetworkModel.site_energy_table`
evaluates the network (float64) once on every element of that set, 2 prod(z_k + 1) entries (59,150
for FCC with 4 shells: 0.5 MB), and the energy of a configuration on any supercell is
``sum_i table[index_i]`` (:meth:`~pf_app.surrogate.local_environment.LocalEnvironment.table_index`).
Monte Carlo then changes only the indices of the sites within the interaction range of a move
(:mod:`.local_kernels`): the energy change is exact, every site's value is the network's.

A supercell must have the model's neighbour shells (the same distances within 1e-3 angstrom and
the same coordinations); :meth:`LocalNetworkModel.environment` checks it.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from pf_app.surrogate.evaluator import NumpySurrogate
from pf_app.surrogate.local_environment import LocalEnvironment
from pf_app.surrogate.structures import Lattice

SHELL_TOLERANCE_ANGSTROM = 1e-3


@dataclasses.dataclass(frozen=True)
class LocalNetworkModel:
    """The E head of a local network (weights in float64), its standardization and its shells."""

    network: NumpySurrogate
    mean_E_eV: float
    std_E_eV: float
    sites_per_cell: int
    species: tuple[int, int]
    shell_distances: np.ndarray
    coordination: np.ndarray
    name: str = ""

    @classmethod
    def from_files(cls, keras_path: str | Path) -> "LocalNetworkModel":
        """``models/surrogate_<method>.keras`` of a ``kind: local`` run and the JSON beside it
        (imports TensorFlow)."""
        from pf_app.surrogate.tensorflow_import import tensorflow_and_keras

        keras_path = Path(keras_path)
        meta = json.loads(keras_path.with_suffix(".json").read_text())
        if meta.get("kind") != "local" or "E" not in meta["method"]:
            raise ValueError(f"{keras_path}: expected a local-environment network with an energy head "
                             f"(model.kind: local), got kind {meta.get('kind', 'fixed_cell')!r}, method {meta['method']!r}")
        env = meta["environment"]
        if env["pair_shells"]:
            raise ValueError(f"{keras_path}: pair_shells {env['pair_shells']}: Monte Carlo tabulates counts per "
                             f"shell only (train with model.pair_shells: 0)")
        species = tuple(int(z) for z in meta["species"])
        if len(species) != 2:
            raise ValueError(f"{keras_path}: a binary alloy's network, got species {species}")
        _, keras = tensorflow_and_keras()
        fast = NumpySurrogate.from_keras(keras.models.load_model(keras_path), species)
        std = meta["standardization"]
        return cls(_float64(fast, "E"), float(std["mean"]["E"]), float(std["std"]["E"]), int(meta["sites_per_cell"]),
                   species, np.array(env["shell_distances_angstrom"]), np.array(env["coordination"]),
                   f"{keras_path.name} ({meta['method']}, {env['shells']} shells)")

    @classmethod
    def with_random_weights(cls, lattice: Lattice, n_shells: int = 4, seed: int = 0,
                            scale_eV: float = 0.05) -> "LocalNetworkModel":
        """A small local network (trunk 16 GELU, E head 8 tanh) with random float64 weights whose
        site energies are ~``scale_eV``, for tests and benchmarks (exactness and speed of the Monte
        Carlo do not depend on training)."""
        env = LocalEnvironment.of(lattice, n_shells)
        rng = np.random.default_rng(seed)
        f = env.n_features(2)
        net = NumpySurrogate((29, 79), [(rng.normal(0, 1 / np.sqrt(f), (f, 16)), rng.normal(0, 0.1, 16), "gelu")],
                             {"E": [(rng.normal(0, 0.25, (16, 8)), rng.normal(0, 0.1, 8), "tanh"),
                                    (rng.normal(0, 0.35, (8, 1)), np.zeros(1), "linear")]}, local=True)
        return cls(net, 0.0, scale_eV * lattice.n_sites, lattice.n_sites, (29, 79), env.shell_distances,
                   env.coordination, f"random weights (seed {seed}, {n_shells} shells)")

    def environment(self, lattice: Lattice) -> LocalEnvironment:
        """The neighbour tables of ``lattice``, checked against the model's shells."""
        env = LocalEnvironment.of(lattice, len(self.shell_distances))
        if not (np.allclose(env.shell_distances, self.shell_distances, rtol=0, atol=SHELL_TOLERANCE_ANGSTROM)
                and np.array_equal(env.coordination, self.coordination)):
            raise ValueError(f"{lattice.name}: neighbour shells at {np.round(env.shell_distances, 4).tolist()} "
                             f"angstrom with {env.coordination.tolist()} neighbours; the model {self.name} has "
                             f"{np.round(self.shell_distances, 4).tolist()} with {self.coordination.tolist()}")
        return env

    def site_energies(self, features: np.ndarray) -> np.ndarray:
        """Site energies [eV] of (..., 2 + K) features (float64 evaluation)."""
        z = self.network.site_values(np.asarray(features, dtype=np.float64), "E")["E"]
        return (self.mean_E_eV + self.std_E_eV * z) / self.sites_per_cell

    def site_energy_table(self, env: LocalEnvironment) -> np.ndarray:
        """(2 prod(z + 1),) site energy [eV] of every (own species, B counts per shell)."""
        return self.site_energies(env.table_features().astype(np.float64))


def _float64(net: NumpySurrogate, tasks: str) -> NumpySurrogate:
    """The network with float64 weights and only the heads of ``tasks`` (exact tables; the float32
    training weights are represented exactly in float64)."""
    def up(layers):
        return [(w.astype(np.float64), b.astype(np.float64), act) for w, b, act in layers]

    return NumpySurrogate(net.species, up(net.trunk), {t: up(net.heads[t]) for t in tasks}, local=True)


@dataclasses.dataclass(frozen=True)
class LocalNetworkEnergy:
    """:class:`~.energy_models.CellEnergyModel` of a local network on one ``lattice``: the mixing
    energy [eV per cell] = the sum of its sites' table entries."""

    model: LocalNetworkModel
    lattice: Lattice
    environment: LocalEnvironment = dataclasses.field(init=False, repr=False)
    table: np.ndarray = dataclasses.field(init=False, repr=False)

    def __post_init__(self):
        env = self.model.environment(self.lattice)
        object.__setattr__(self, "environment", env)
        object.__setattr__(self, "table", self.model.site_energy_table(env))

    @property
    def species(self) -> tuple[int, int]:
        return self.model.species

    def site_energies(self, occ: np.ndarray) -> np.ndarray:
        """(B, M) site energies [eV] of (B, M) 0/1 occupations."""
        return self.table[self.environment.table_index(np.atleast_2d(occ))]

    def __call__(self, occ: np.ndarray) -> np.ndarray:
        return self.site_energies(occ).sum(axis=1)
