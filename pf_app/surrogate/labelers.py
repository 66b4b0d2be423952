"""A built-in lattice labeler: all three targets for any binary configuration, without DFT.

Energy [eV per cell]: pure-element references + the linear pair model of :mod:`.pairmodel`
(a cluster expansion truncated at pairs, cubic in the concentration).  Charge transfer [e per site]
and moment [mu_B per site]: linear in the local environment,
``q_i = a[s_i] + sum_k b[s_i, k] * (number of B neighbours of site i in shell k)``.

The shipped parameters (``surrogate_labeler_CuAu.json`` in this folder) are fitted by least squares
to the de-duplicated LSMS CuAu data (32-site FCC); :func:`fit_labeler` redoes it.  CuAu moments are
zero, so the fitted moment model is zero; :meth:`LatticeLabeler.with_species` can attach
illustrative moment coefficients for magnetic demos (FePt), which are then *not* fitted to anything.

What it lacks, plainly: no many-body (triplet and higher) clusters, no lattice relaxation, volume
or strain (the LSMS data are on a fixed ideal lattice too), no temperature, no magnetism beyond a
linear function of neighbour counts (no spin ordering, no moment-volume coupling), no long-range
charge transfer (only the shells used).  Applied to another lattice (e.g. BCC), the coefficients are
reused per shell *index* -- a toy, not a model of that alloy.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from pf_app.atomic_files import write_json_atomic
from pf_app.surrogate.datasets import AlloyData, mixing_energy_eV, reference_energies_eV
from pf_app.surrogate.pairmodel import LinearPairModel, b_occupation, neighbour_counts
from pf_app.surrogate.structures import Lattice

SHIPPED_CUAU = Path(__file__).with_name("surrogate_labeler_CuAu.json")
FORMAT = "pf_app.surrogate.labeler/1"


@dataclasses.dataclass(frozen=True)
class LatticeLabeler:
    """Parameters (see the module docstring); ``species = (A, B)`` atomic numbers."""

    species: tuple[int, int]
    reference_eV_per_atom: tuple[float, float]
    composition_coefficients_eV: tuple[float, ...]  # c_p of x^p, eV per cell
    pair_coefficients_eV: tuple[float, ...]  # J_k per B-B bond of shell k, eV
    charge_coefficients_e: tuple[tuple[float, ...], tuple[float, ...]]  # per species: a, b_1..b_K
    moment_coefficients_muB: tuple[tuple[float, ...], tuple[float, ...]]
    provenance: str = ""

    @property
    def n_shells(self) -> int:
        return len(self.pair_coefficients_eV)

    def label(self, lattice: Lattice, numbers: np.ndarray, config_id: np.ndarray | None = None) -> AlloyData:
        """Targets for (N, M) ``numbers`` on ``lattice``: energy eV/cell, charge e/site, moment mu_B/site."""
        numbers = np.asarray(numbers, dtype=np.int16)
        occ = b_occupation(numbers, self.species)
        energy = self._pair_model(lattice).predict(numbers) + (
            (1 - occ).sum(1) * self.reference_eV_per_atom[0] + occ.sum(1) * self.reference_eV_per_atom[1])
        env = neighbour_counts(occ, lattice.shells(self.n_shells))  # (N, M, K)
        return AlloyData(lattice, numbers, energy, self._local(occ, env, self.charge_coefficients_e),
                         self._local(occ, env, self.moment_coefficients_muB),
                         np.arange(len(numbers)) if config_id is None else np.asarray(config_id))

    def random_configurations(self, lattice: Lattice, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, M) configurations with the B count uniform over 0..M, sites chosen at random."""
        m = lattice.n_sites
        occ = rng.random((n, m)).argsort(axis=1) < rng.integers(0, m + 1, size=(n, 1))
        return np.where(occ, self.species[1], self.species[0]).astype(np.int16)

    def with_species(self, species: tuple[int, int], moment_coefficients_muB=None, note: str = "") -> "LatticeLabeler":
        """The same coefficients for other species (a demo), optionally with illustrative moments."""
        return dataclasses.replace(
            self, species=tuple(species), provenance=f"{self.provenance}; relabelled to {species}. {note}".strip(),
            moment_coefficients_muB=self.moment_coefficients_muB if moment_coefficients_muB is None
            else tuple(tuple(float(c) for c in row) for row in moment_coefficients_muB))

    def _pair_model(self, lattice):
        coef = np.array(self.composition_coefficients_eV + self.pair_coefficients_eV)
        return LinearPairModel(lattice, self.species, self.n_shells, len(self.composition_coefficients_eV) - 1, coef)

    @staticmethod
    def _local(occ, env, coefficients):
        out = np.zeros(occ.shape)
        for s, coef in enumerate(coefficients):
            c = np.asarray(coef)
            out += np.where(occ == s, c[0] + env @ c[1:], 0.0)
        return out

    def save(self, path: str | Path) -> None:
        write_json_atomic(path, {"format": FORMAT, **dataclasses.asdict(self)})

    @classmethod
    def load(cls, path: str | Path = SHIPPED_CUAU) -> "LatticeLabeler":
        raw = json.loads(Path(path).read_text())
        if raw.pop("format", None) != FORMAT:
            raise ValueError(f"{path}: not a {FORMAT} file")
        return cls(**{k: _tuples(v) for k, v in raw.items()})


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def fit_labeler(data: AlloyData, n_shells: int = 4, composition_degree: int = 3) -> tuple[LatticeLabeler, dict]:
    """Least-squares fit to binary ``data`` (de-duplicate it first); returns the labeler and the
    training RMSEs (energy meV/cell, charge e/site, moment mu_B/site)."""
    species = data.species
    if len(species) != 2:
        raise ValueError(f"the labeler is binary; data has species {species}")
    refs = reference_energies_eV(data)
    e_mix = mixing_energy_eV(data, refs)
    pair = LinearPairModel(data.lattice, species, n_shells, composition_degree).fit(data.numbers, e_mix)
    occ = b_occupation(data.numbers, species)
    env = neighbour_counts(occ, data.lattice.shells(n_shells))
    local = {}
    rmse = {"energy_meV_per_cell": 1e3 * float(np.sqrt(np.mean((pair.predict(data.numbers) - e_mix) ** 2)))}
    for name, y in (("charge", data.charge_e), ("moment", data.moment_muB)):
        rows, sq = [], 0.0
        for s in (0, 1):
            mask = occ == s
            design = np.column_stack([np.ones(mask.sum()), env[mask]])
            coef = np.linalg.lstsq(design, y[mask], rcond=None)[0]
            sq += float(np.sum((design @ coef - y[mask]) ** 2))
            rows.append(tuple(float(c) for c in coef))
        local[name] = tuple(rows)
        rmse[name] = float(np.sqrt(sq / occ.size))
    n_comp = composition_degree + 1
    labeler = LatticeLabeler(
        species=species, reference_eV_per_atom=(refs[species[0]], refs[species[1]]),
        composition_coefficients_eV=tuple(float(c) for c in pair.coefficients[:n_comp]),
        pair_coefficients_eV=tuple(float(c) for c in pair.coefficients[n_comp:]),
        charge_coefficients_e=local["charge"], moment_coefficients_muB=local["moment"],
        provenance=f"least squares on {len(data)} de-duplicated configurations of {data.lattice.name}; "
                   f"training RMSE energy {rmse['energy_meV_per_cell']:.1f} meV/cell, "
                   f"charge {rmse['charge']:.4f} e/site, moment {rmse['moment']:.4f} mu_B/site")
    return labeler, rmse
