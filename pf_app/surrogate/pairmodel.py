"""The linear pair model of a binary alloy: the baseline a network has to beat, and the energy of
the built-in labeler.

Energy per cell [eV] = polynomial in the B concentration x (degree ``composition_degree``) +
sum over neighbour shells k of J_k N_BB,k, where N_BB,k counts B-B bonds in shell k, each bond once,
periodic images included.  (With the composition fixed, the A-A and A-B counts follow from N_BB,k.)
Coefficients come from ordinary least squares; in the 32-site FCC cell only the first 4 shells are
independent (the solver returns the minimum-norm solution for the dependent ones).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pf_app.surrogate.structures import Lattice, Shell


def b_occupation(numbers: np.ndarray, species: tuple[int, int]) -> np.ndarray:
    """(N, M) occupation n_i = 1 where the site holds ``species[1]`` (B), 0 for ``species[0]`` (A)."""
    numbers = np.asarray(numbers)
    if not np.isin(numbers, species).all():
        raise ValueError(f"a binary model for species {species} got {sorted(set(numbers.ravel().tolist()))}")
    return (numbers == species[1]).astype(float)


def bond_counts(occupation: np.ndarray, shells: list[Shell]) -> np.ndarray:
    """(N, K) B-B bonds per shell, each bond once: ``n @ multiplicity @ n / 2``."""
    return np.stack([0.5 * np.einsum("ni,ij,nj->n", occupation, s.multiplicity, occupation) for s in shells], axis=1)


def neighbour_counts(occupation: np.ndarray, shells: list[Shell]) -> np.ndarray:
    """(N, M, K) number of B neighbours of every site in every shell (images counted)."""
    return np.stack([occupation @ s.multiplicity.T for s in shells], axis=-1)


@dataclasses.dataclass(frozen=True)
class LinearPairModel:
    """``E = sum_p c_p x^p + sum_k J_k N_BB,k`` [eV per cell]; ``fit`` then ``predict``."""

    lattice: Lattice
    species: tuple[int, int]
    n_shells: int = 4
    composition_degree: int = 3
    coefficients: np.ndarray | None = None  # (degree + 1 + n_shells,) eV

    def features(self, numbers: np.ndarray) -> np.ndarray:
        occ = b_occupation(numbers, self.species)
        x = occ.mean(axis=1)
        powers = np.stack([x ** p for p in range(self.composition_degree + 1)], axis=1)
        return np.hstack([powers, bond_counts(occ, self.lattice.shells(self.n_shells))])

    def fit(self, numbers: np.ndarray, energy_eV: np.ndarray) -> "LinearPairModel":
        coef = np.linalg.lstsq(self.features(numbers), energy_eV, rcond=None)[0]
        return dataclasses.replace(self, coefficients=coef)

    def predict(self, numbers: np.ndarray) -> np.ndarray:
        if self.coefficients is None:
            raise RuntimeError("LinearPairModel.predict before fit")
        return self.features(numbers) @ self.coefficients
