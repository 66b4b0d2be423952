"""Monte Carlo with a tabulated local energy (pf_app/montecarlo/local_kernels.py): every energy
change exact (the running total equals a fresh sum of the site table after swaps, flips and
Wang-Landau moves, on a small cell whose neighbourhoods repeat sites and on a cell with the
fast path), and canonical swaps sampling the Boltzmann distribution (detailed balance)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import chi2

from pf_app.montecarlo.local_energy import LocalNetworkEnergy, LocalNetworkModel
from pf_app.montecarlo.local_kernels import wang_landau_swaps
from pf_app.montecarlo.local_mc import LocalState, binder, binder_crossing, sublattice_of_sites
from pf_app.surrogate.structures import bcc_supercell, fcc_supercell


def _model(lattice, seed, n_shells=4, scale_eV=0.05):
    return LocalNetworkEnergy(LocalNetworkModel.with_random_weights(lattice, n_shells, seed, scale_eV), lattice)


def _fresh_energy(energy, occ):
    """The energy from the network itself (features, not the table): the table is the network."""
    env = energy.environment
    return float(energy.model.site_energies(env.features(occ[None], 2).astype(np.float64)).sum())


def test_energy_changes_are_exact_on_both_kernel_paths():
    # 32-site FCC cell: neighbourhoods repeat sites (images), the general path only; 4^3 FCC cell
    # (256 sites): sites farther apart than twice the cutoff take the fast path
    for lattice in (fcc_supercell(3.8, 2), fcc_supercell(3.8, 4)):
        energy = _model(lattice, 1)
        rng = np.random.default_rng(2)
        occ = (rng.random(lattice.n_sites) < 0.4).astype(np.int8)
        state = LocalState.start(energy, occ, np.zeros(lattice.n_sites, np.int32), seed=3)
        # the table reproduces the network (float64 both; the table is its evaluation on every index)
        assert abs(state.energy[0] - _fresh_energy(energy, state.occ)) <= 1e-12 * lattice.n_sites
        e, counts, accepted = state.canonical(0.02, 20, 500)
        assert 0 < accepted < 10_000 and (counts[:, 0] == occ.sum()).all()
        e, counts, accepted = state.semi_grand(0.02, 0.01, 20, 500)
        assert 0 < accepted < 10_000 and counts[-1, 0] == state.occ.sum()
        # the running total is a sum of 20,000 exact changes of ~0.05 eV: round-off ~ 1e4 x 1e-16 eV
        assert abs(state.drift_eV()) < 1e-9
        assert abs(state.energy[0] - _fresh_energy(energy, state.occ)) < 1e-9
        assert np.array_equal(state.index, energy.environment.table_index(state.occ[None])[0])
        assert set(state.order[:state.n_b]) == set(np.flatnonzero(state.occ))
        # Wang-Landau swaps over a window wide enough for every state: exact changes again
        n_bins, lo = 200, state.energy[0] - 2.0
        ln_g, hist, seen = np.zeros(n_bins), np.zeros(n_bins), np.zeros(n_bins, np.bool_)
        q_sum, q_count = np.zeros(n_bins), np.zeros(n_bins)
        tables = state.kernel_tables()
        wang_landau_swaps(state.occ, state.index, state.site_energy, *tables, state.order, state.where, state.n_b,
                          state.sublattice, state.counts, state.energy, lo, 0.02, ln_g, hist, seen, 1.0, False,
                          state.rng, 5_000, q_sum, q_count, np.ones((1, 1)))
        assert abs(state.drift_eV()) < 1e-9 and hist.sum() == 5_000


def test_canonical_swaps_sample_the_boltzmann_weights():
    """An 8-site BCC cell (2 x 2 x 1 cubic cells) with 4 B atoms: 70 configurations.  3,000
    independent walkers, each 60 swaps from a uniformly random start (mixing: the acceptance is
    >= exp(-dE_max / kT) ~ 0.1, so 60 swaps forget the start), then Pearson's chi-square of the
    visited configurations against exp(-E / kT): accepted at significance 1e-3, and the same
    counts reject the weights of a temperature 3x higher."""
    lattice = bcc_supercell(2.87, (2, 2, 1))
    energy = _model(lattice, 4, n_shells=3, scale_eV=0.02)
    states = [np.isin(np.arange(8), c).astype(np.int8) for c in itertools.combinations(range(8), 4)]
    e = energy(np.array(states))
    kT = 0.5 * float(np.ptp(e))  # Boltzmann weights spanning a factor e^2
    rng = np.random.default_rng(5)
    key = {s.tobytes(): i for i, s in enumerate(states)}
    visits = np.zeros(len(states))
    for walker in range(3000):
        state = LocalState.start(energy, states[rng.integers(len(states))], np.arange(8, dtype=np.int32),
                                 seed=6, stream=walker)
        state.canonical(kT, 1, 60)
        visits[key[state.occ.tobytes()]] += 1

    def p_value(t):
        w = np.exp(-(e - e.min()) / t)
        expected = visits.sum() * w / w.sum()
        return chi2.sf(np.sum((visits - expected) ** 2 / expected), len(states) - 1)

    assert p_value(kT) > 1e-3 and p_value(3 * kT) < 1e-3


def test_finite_size_estimators():
    """The Binder cumulant of a Gaussian three-component parameter is 1 - 15 / 27 = 4/9 (its 4th
    moment is 15 sigma^4, its 2nd 3 sigma^2), of a sharp one 2/3; the crossing of two straight lines
    is where they meet; the 4 simple-cubic sublattices of an FCC cell hold a quarter of the sites each."""
    rng = np.random.default_rng(7)
    eta = rng.normal(size=(400_000, 3))
    # the estimator's sampling error: ~ sqrt(var(m^4)) / (3 <m^2>^2 sqrt(n)) = sqrt(840) / 27 / 632 < 2e-3
    assert abs(binder((eta ** 2).sum(axis=1)) - 4 / 9) < 1e-2
    assert binder(np.full(10, 0.3)) == pytest.approx(2 / 3, abs=1e-15)
    t = np.linspace(1.0, 2.0, 11)
    assert binder_crossing(t, 0.5 - 0.1 * (t - 1.5), 0.5 - 0.3 * (t - 1.5)) == pytest.approx(1.5, abs=1e-12)
    lattice = fcc_supercell(3.8, 3)
    sub = sublattice_of_sites(lattice, np.eye(3) * 3.8)
    assert np.bincount(sub).tolist() == [27] * 4 and sub[:4].tolist() == [0, 1, 2, 3]
