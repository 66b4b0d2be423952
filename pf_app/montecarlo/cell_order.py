"""A long-range order parameter for a binary configuration on any periodic cell.

``Q = max over k != 0 of |sum_i s_i exp(i k . r_i)| / M`` with spins ``s_i = 2 occ_i - 1`` and k
running over the wave vectors of the supercell (k = 2 pi n_a / L_a per axis of the orthogonal cell,
n_a = 0 .. K_a - 1 with K_a the number of distinct site coordinates along that axis), those whose
phases are not the same on every site (k = 0 up to a reciprocal lattice vector of the underlying
lattice) and without repeating phase patterns.  Perfect L1_0 on the FCC cell (CuAu) or B2-like
layering on the BCT cell (FePt: corners vs body centres) at equiatomic composition gives Q = 1;
off-stoichiometric ordered states give less than 1.  A random equiatomic configuration of 32
sites gives about 0.36 (the largest of 31 wave amplitudes, each about 1/sqrt(M)): Q measures order
only well above that.
"""

from __future__ import annotations

import itertools

import numpy as np

from pf_app.surrogate.structures import Lattice


class LongRangeOrder:
    """``Q(occ)`` for (W, M) 0/1 occupations -> (W,) in [0, 1]."""

    def __init__(self, lattice: Lattice, tol: float = 1e-3):
        lengths = np.linalg.norm(lattice.cell, axis=1)
        counts = [len(np.unique(np.round(lattice.positions[:, a] / tol))) for a in range(3)]
        phases, keys = [], set()
        for n in itertools.product(*(range(c) for c in counts)):
            k = 2 * np.pi * np.array(n) / lengths
            p = np.exp(1j * lattice.positions @ k)
            if np.allclose(p, p[0], atol=1e-9):
                continue  # k = 0 modulo the underlying lattice: only the composition
            key = tuple(np.round(p / p[0], 6).view(float))  # equal patterns up to a global phase
            if key not in keys:
                keys.add(key)
                phases.append(p)
        self.phases = np.array(phases)  # (K, M)
        self.n_sites = lattice.n_sites

    def __call__(self, occ: np.ndarray) -> np.ndarray:
        spins = 2.0 * np.asarray(occ, dtype=float) - 1.0
        return np.abs(spins @ self.phases.T).max(axis=1) / self.n_sites
