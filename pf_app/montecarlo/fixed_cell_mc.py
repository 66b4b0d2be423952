"""Canonical Metropolis Monte Carlo on a fixed cell with swap moves, many walkers per energy call.

Ensemble: fixed cell of M sites, fixed numbers of A and B atoms; weight ``exp(-E / kT)`` with E the
energy of a :mod:`.energy_models` model [eV per cell] and ``kT`` in eV (each walker has its own, so
replicas at several temperatures share the calls).  Move: swap a uniformly chosen A site with a
uniformly chosen B site.  The proposal is symmetric (n_A n_B pairs, the same in both directions),
so accepting with ``min(1, exp(-dE / kT))`` satisfies detailed balance.

Every walker owns a random stream (``numpy.random.SeedSequence(seed).spawn``) from which it draws,
in blocks, its (A index, B index, uniform) triple of each step whether or not the move is accepted.
A chain therefore does not depend on how the walkers are grouped into energy calls
(``batch``): evaluating them one at a time gives the same chains as one call for all (up to the
last bit of the float32 network, which can flip a decision only when the uniform lands within
~1e-7 of the acceptance probability).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

BLOCK = 256  #: steps of random numbers drawn per walker at a time


@dataclasses.dataclass
class WalkerState:
    """``occ`` (W, M) 0/1 occupations; ``a_sites`` / ``b_sites`` (W, n_A) / (W, n_B) the sites of
    each species per walker (kept in step with ``occ``); ``energy_eV`` (W,)."""

    occ: np.ndarray
    a_sites: np.ndarray
    b_sites: np.ndarray
    energy_eV: np.ndarray

    @classmethod
    def start(cls, occ: np.ndarray, energy: Callable) -> "WalkerState":
        occ = np.asarray(occ, dtype=np.int8)
        n_b = occ.sum(axis=1)
        if (n_b != n_b[0]).any() or n_b[0] in (0, occ.shape[1]):
            raise ValueError("walkers need one composition with both species present")
        a_sites = np.stack([np.flatnonzero(row == 0) for row in occ])
        b_sites = np.stack([np.flatnonzero(row == 1) for row in occ])
        return cls(occ.copy(), a_sites, b_sites, np.asarray(energy(occ), dtype=float))


def random_occupations(n_walkers: int, n_sites: int, n_b: int, rng: np.random.Generator) -> np.ndarray:
    """(W, M) random configurations with ``n_b`` B atoms each."""
    return (rng.random((n_walkers, n_sites)).argsort(axis=1) < n_b).astype(np.int8)


class SwapProposals:
    """Per-walker random streams giving, each step, the A index, the B index and a uniform number."""

    def __init__(self, n_walkers: int, n_a: int, n_b: int, seed: int | np.random.SeedSequence):
        seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self.gens = [np.random.default_rng(s) for s in seq.spawn(n_walkers)]
        self.n_a, self.n_b = n_a, n_b
        self.step = BLOCK

    def next(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(W,) A indices into ``a_sites``, B indices into ``b_sites``, uniforms in [0, 1)."""
        if self.step == BLOCK:
            blocks = [(g.integers(0, self.n_a, BLOCK), g.integers(0, self.n_b, BLOCK), g.random(BLOCK))
                      for g in self.gens]
            self.ia, self.ib, self.u = (np.stack(b) for b in zip(*blocks))
            self.step = 0
        k = self.step
        self.step += 1
        return self.ia[:, k], self.ib[:, k], self.u[:, k]


def evaluate_in_batches(energy: Callable, occ: np.ndarray, batch: int | None) -> np.ndarray:
    """``energy(occ)`` in calls of at most ``batch`` configurations (None: one call)."""
    if batch is None or batch >= len(occ):
        return np.asarray(energy(occ), dtype=float)
    return np.concatenate([energy(occ[i:i + batch]) for i in range(0, len(occ), batch)])


def propose(state: WalkerState, ia: np.ndarray, ib: np.ndarray):
    """The swapped configurations (W, M) and the two sites (W,) of each walker."""
    rows = np.arange(len(state.occ))
    site_a, site_b = state.a_sites[rows, ia], state.b_sites[rows, ib]
    trial = state.occ.copy()
    trial[rows, site_a] = 1
    trial[rows, site_b] = 0
    return trial, site_a, site_b


def accept(state: WalkerState, take: np.ndarray, trial, e_trial, ia, ib, site_a, site_b) -> None:
    """Apply the accepted swaps (``take`` (W,) bool) to ``state``."""
    w = np.flatnonzero(take)
    state.occ[w] = trial[w]
    state.energy_eV[w] = e_trial[w]
    state.a_sites[w, ia[w]] = site_b[w]  # the A atom moved to the former B site
    state.b_sites[w, ib[w]] = site_a[w]


@dataclasses.dataclass
class MetropolisResult:
    state: WalkerState
    energy_samples_eV: np.ndarray  # (n_samples, W)
    samples: list  # configurations (W, M) at each sample, when ``keep_configurations``
    acceptance: np.ndarray  # (W,) accepted fraction
    steps: int


def metropolis(energy: Callable, state: WalkerState, kT_eV: np.ndarray, n_steps: int, seed,
               sample_every: int = 1, batch: int | None = None, keep_configurations: bool = False,
               proposals: SwapProposals | None = None) -> MetropolisResult:
    """``n_steps`` swap attempts per walker (W walkers, W energy evaluations per step in calls of
    ``batch``); energies sampled every ``sample_every`` steps."""
    kT = np.broadcast_to(np.asarray(kT_eV, dtype=float), state.energy_eV.shape)
    proposals = proposals or SwapProposals(len(state.occ), state.a_sites.shape[1], state.b_sites.shape[1], seed)
    accepted = np.zeros(len(state.occ))
    energies, configs = [], []
    for step in range(1, n_steps + 1):
        ia, ib, u = proposals.next()
        trial, site_a, site_b = propose(state, ia, ib)
        e_trial = evaluate_in_batches(energy, trial, batch)
        d_e = e_trial - state.energy_eV
        # exp of a non-positive number: no overflow; dE <= 0 is always accepted (u < 1)
        take = u < np.exp(-np.maximum(d_e, 0.0) / kT)
        accept(state, take, trial, e_trial, ia, ib, site_a, site_b)
        accepted += take
        if step % sample_every == 0:
            energies.append(state.energy_eV.copy())
            if keep_configurations:
                configs.append(state.occ.copy())
    return MetropolisResult(state, np.array(energies).reshape(-1, len(state.occ)), configs,
                            accepted / max(n_steps, 1), n_steps)
