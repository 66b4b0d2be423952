"""The learning problem handed to training processes: site codes, physical targets, symmetry.

Energy target "E" is the mixing energy [eV per cell] (total energy minus the pure-element
references), so its RMSE equals the total-energy RMSE; "C" charge transfer [e per site]; "M"
moment [mu_B per site].  Reported RMSEs: E in meV per cell, C in e per site, M in mu_B per site.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pf_app.surrogate.datasets import AlloyData, Standardizer, mixing_energy_eV, reference_energies_eV
from pf_app.surrogate.local_environment import LocalEnvironment
from pf_app.surrogate.structures import species_codes, symmetry_permutations

#: Factor from the internal unit to the reported one, and the reported unit, per quantity.
REPORT_UNITS = {"E": (1e3, "meV/cell"), "C": (1.0, "e/site"), "M": (1.0, "mu_B/site")}


@dataclasses.dataclass(frozen=True)
class Problem:
    """``environment`` and ``features`` (N, M, F) are those of the local-environment network (None
    for the fixed-cell network, which reads ``codes`` and augments with ``perms``)."""

    data: AlloyData
    codes: np.ndarray  # (N, M) int8 index into species
    species: tuple[int, ...]
    targets: dict  # task -> physical array (E: mixing energy eV/cell)
    references_eV_per_atom: dict
    perms: np.ndarray | None  # (G, M) space-group site permutations
    environment: LocalEnvironment | None = None
    features: np.ndarray | None = None

    @classmethod
    def from_data(cls, data: AlloyData, environment: LocalEnvironment | None = None) -> "Problem":
        refs = reference_energies_eV(data)
        targets = {"E": mixing_energy_eV(data, refs), "C": data.charge_e, "M": data.moment_muB}
        codes = species_codes(data.numbers, data.species).astype(np.int8)
        if environment is None:
            return cls(data, codes, data.species, targets, refs, symmetry_permutations(data.lattice))
        return cls(data, codes, data.species, targets, refs, None, environment,
                   environment.features(codes, len(data.species)))

    def inputs(self, index: np.ndarray) -> np.ndarray:
        """What the network reads: site codes (fixed-cell; one-hot made in training) or features."""
        return self.codes[index] if self.features is None else self.features[index]

    def part(self, index: np.ndarray, tasks: str) -> dict[str, np.ndarray]:
        return {t: self.targets[t][index] for t in tasks}

    def standardizer(self, train_index: np.ndarray, tasks: str) -> Standardizer:
        return Standardizer.fit(self.part(train_index, tasks))


def rmse_report_units(pred: dict[str, np.ndarray], ref: dict[str, np.ndarray]) -> dict[str, float]:
    """RMSE per quantity, over configurations (and sites), in :data:`REPORT_UNITS`."""
    return {t: REPORT_UNITS[t][0] * float(np.sqrt(np.mean((pred[t] - ref[t]) ** 2))) for t in pred}
