"""Energy models for Monte Carlo on a cell: the interface, and the surrogates' models.

Monte Carlo samples an *energy model*.  Two kinds exist:

* a **cluster expansion** (``montecarlo.clusters``, ``hamiltonian``; sampled by the compiled
  single-site kernel of ``kernels`` with exact local energy changes), and
* a **network** trained by ``pf_app surrogate``: the fixed-cell multitask network (one input per
  site of its data set's cell) or the local-environment network (site energies from periodic
  neighbourhoods; any supercell, :mod:`.local_energy`).

The fixed-cell drivers (:mod:`.fixed_cell_mc` Metropolis, :mod:`.wang_landau`, run by
:mod:`.surrogate_runner`) take any :class:`CellEnergyModel`: a callable that maps a batch of
occupation vectors ``occ`` (B, M), 1 where a site holds the second species (B, higher atomic number)
and 0 for A, to the **mixing energy in eV per cell** (total energy minus the pure-element
references; at fixed composition it differs from the total energy by a constant, so Metropolis and
Wang-Landau see the same differences), with the ``lattice`` and ``species`` it is defined on.  One
call evaluates the whole batch (many walkers or replicas per network call).

* :class:`NetworkEnergy`: the energy head of a trained surrogate (an STL ``E`` or an MTL model
  such as ``ECM``; the other heads are not evaluated), TensorFlow-free
  (:mod:`pf_app.surrogate.evaluator`), float32.
* :class:`PairEnergy`: the linear pair model (:mod:`pf_app.surrogate.pairmodel`), float64.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path

import numpy as np

from pf_app.surrogate.evaluator import NumpySurrogate
from pf_app.surrogate.pairmodel import LinearPairModel
from pf_app.surrogate.structures import Lattice


@typing.runtime_checkable
class CellEnergyModel(typing.Protocol):
    """What the fixed-cell drivers need: ``model(occ) -> (B,)`` mixing energies [eV per cell] of
    (B, M) 0/1 occupations on ``lattice`` (M sites), species ``(A, B)`` atomic numbers."""

    lattice: Lattice
    species: tuple[int, int]

    def __call__(self, occ: np.ndarray) -> np.ndarray: ...


def occupation_one_hot(occ: np.ndarray) -> np.ndarray:
    """(B, M) 0/1 occupation -> (B, 2 M) float32 one-hot, site-major, species (A, B) ascending
    (the network input of :func:`~.structures.one_hot` for a binary alloy)."""
    occ = np.asarray(occ, dtype=np.float32)
    return np.stack([1 - occ, occ], axis=-1).reshape(len(occ), -1)


@dataclasses.dataclass(frozen=True)
class NetworkEnergy:
    """E = network E head * std + mean [eV per cell, mixing energy]."""

    network: NumpySurrogate
    mean_eV: float
    std_eV: float
    lattice: Lattice
    species: tuple[int, int]

    def __call__(self, occ: np.ndarray) -> np.ndarray:
        z = self.network.predict_one_hot(occupation_one_hot(occ), batch_size=len(occ) or 1, tasks="E")["E"]
        return z.astype(np.float64) * self.std_eV + self.mean_eV

    @classmethod
    def from_files(cls, keras_path: str | Path) -> "NetworkEnergy":
        """A model saved by ``pf_app surrogate`` (``models/surrogate_<method>.keras`` and the JSON
        beside it: species, site positions and cell, standardization).  Imports TensorFlow."""
        from pf_app.surrogate.tensorflow_import import tensorflow_and_keras

        _, keras = tensorflow_and_keras()
        keras_path = Path(keras_path)
        meta = json.loads(keras_path.with_suffix(".json").read_text())
        if "E" not in meta["method"]:
            raise ValueError(f"{keras_path}: method {meta['method']!r} has no energy head")
        species = tuple(int(z) for z in meta["species"])
        lattice = Lattice(meta["lattice"], np.array(meta["site_positions_angstrom"]), np.array(meta["cell_angstrom"]))
        net = NumpySurrogate.from_keras(keras.models.load_model(keras_path), species)
        std = meta["standardization"]
        return cls(net, float(std["mean"]["E"]), float(std["std"]["E"]), lattice, species)


@dataclasses.dataclass(frozen=True)
class PairEnergy:
    """``E = sum_p c_p x^p + sum_k J_k N_BB,k`` [eV per cell] of a fitted :class:`LinearPairModel`."""

    model: LinearPairModel
    # (M, K M) the shells' multiplicity matrices side by side, built once for every MC step
    multiplicity: np.ndarray = dataclasses.field(init=False, repr=False)

    def __post_init__(self):
        shells = self.model.lattice.shells(self.model.n_shells)
        object.__setattr__(self, "multiplicity", np.hstack([s.multiplicity for s in shells]).astype(float))

    @property
    def lattice(self) -> Lattice:
        return self.model.lattice

    @property
    def species(self) -> tuple[int, int]:
        return self.model.species

    def __call__(self, occ: np.ndarray) -> np.ndarray:
        occ = np.asarray(occ, dtype=float)
        x = occ.mean(axis=1)
        powers = np.stack([x ** p for p in range(self.model.composition_degree + 1)], axis=1)
        n, m = occ.shape
        # B-B bonds of shell k, each once: n . mult_k . n / 2 (one matrix product for all shells)
        bonds = 0.5 * np.einsum("nkj,nj->nk", (occ @ self.multiplicity).reshape(n, -1, m), occ)
        return np.hstack([powers, bonds]) @ self.model.coefficients
