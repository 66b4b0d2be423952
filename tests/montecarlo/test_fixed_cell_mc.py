"""Surrogate-driven Monte Carlo on a fixed cell: Metropolis with swaps obeys detailed balance,
Wang-Landau recovers an enumerated density of states, and batching the energy calls does not
change a chain."""

from __future__ import annotations

import itertools
from math import comb

import numpy as np
import pytest
from scipy.stats import chi2

from pf_app.montecarlo.cell_order import LongRangeOrder
from pf_app.montecarlo.energy_models import CellEnergyModel, NetworkEnergy, PairEnergy
from pf_app.montecarlo.fixed_cell_mc import WalkerState, metropolis, random_occupations
from pf_app.montecarlo.wang_landau import wang_landau
from pf_app.surrogate.evaluator import NumpySurrogate
from pf_app.surrogate.pairmodel import LinearPairModel
from pf_app.surrogate.structures import bcc_supercell, lsms_cuau_lattice, lsms_fept_lattice


class RandomPairs:
    """E = occ . J . occ / 2 + h . occ with random J, h [eV]: every configuration its own energy."""

    def __init__(self, n_sites, rng):
        j = rng.normal(0, 0.05, (n_sites, n_sites))
        self.j, self.h = (j + j.T) / 2, rng.normal(0, 0.05, n_sites)

    def __call__(self, occ):
        occ = np.asarray(occ, dtype=float)
        return 0.5 * np.einsum("ni,ij,nj->n", occ, self.j, occ) + occ @ self.h


def _all_configurations(n_sites, n_b):
    out = np.zeros((comb(n_sites, n_b), n_sites), dtype=np.int8)
    for row, sites in zip(out, itertools.combinations(range(n_sites), n_b)):
        row[list(sites)] = 1
    return out


def test_metropolis_visits_configurations_with_boltzmann_weights():
    """8 sites, 4 B: 70 configurations.  20,000 independent walkers, each sampled once after 150
    swaps (the 70-state chain forgets its start in a few tens of steps), so the visit counts are
    multinomial with the Boltzmann probabilities: Pearson chi-square, 69 degrees of freedom,
    significance 1e-3.  The same counts reject the weights of a 1.5x higher temperature (the test
    has power)."""
    rng = np.random.default_rng(0)
    energy = RandomPairs(8, rng)
    states = _all_configurations(8, 4)
    e = energy(states)
    kT = 0.5 * e.std()
    walkers = 20_000
    state = WalkerState.start(random_occupations(walkers, 8, 4, rng), energy)
    result = metropolis(energy, state, kT, 150, seed=1)
    index = {row.tobytes(): i for i, row in enumerate(states)}
    counts = np.bincount([index[row.tobytes()] for row in result.state.occ], minlength=len(states))

    def p_value(kT_model):
        w = np.exp(-(e - e.min()) / kT_model)
        expected = walkers * w / w.sum()
        return chi2.sf(np.sum((counts - expected) ** 2 / expected), len(states) - 1)

    assert p_value(kT) > 1e-3
    assert p_value(1.5 * kT) < 1e-3
    np.testing.assert_allclose(result.state.energy_eV, energy(result.state.occ), atol=1e-12)  # bookkeeping


def _random_network(n_sites, rng, width=24):
    def layer(n_in, n_out, act):
        return (rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)).astype(np.float32),
                rng.normal(0, 0.1, n_out).astype(np.float32), act)

    return NumpySurrogate((26, 78), [layer(2 * n_sites, width, "gelu")],
                          {"E": [layer(width, width, "gelu"), layer(width, 1, "linear")]})


@pytest.mark.parametrize("kind", ["pair", "network"])
def test_batched_and_single_evaluation_give_identical_chains(kind):
    lattice = lsms_fept_lattice()
    rng = np.random.default_rng(2)
    if kind == "pair":
        model = LinearPairModel(lattice, (26, 78), 3, 1, np.array([0.0, 1.0, 0.03, -0.02, 0.01]))
        energy = PairEnergy(model)
    else:
        energy = NetworkEnergy(_random_network(32, rng), -0.5, 2.0, lattice, (26, 78))
    assert isinstance(energy, CellEnergyModel)  # what the drivers take, network or pair model
    start = random_occupations(16, 32, 12, rng)
    chains = []
    for batch in (None, 5, 1):  # one call for 16 walkers, calls of 5, one walker per call
        state = WalkerState.start(start, energy)
        res = metropolis(energy, state, np.linspace(0.02, 0.2, 16), 300, seed=3, batch=batch,
                         keep_configurations=True)
        chains.append(res)
    for other in chains[1:]:
        # float32 network: the same decisions unless a uniform falls within ~1e-7 of exp(-dE/kT)
        np.testing.assert_array_equal(np.array(other.samples), np.array(chains[0].samples))
        np.testing.assert_allclose(other.energy_samples_eV, chains[0].energy_samples_eV, rtol=0, atol=1e-5)
    assert 0.05 < chains[0].acceptance.mean() < 0.95  # moves are neither all taken nor all refused


def test_wang_landau_recovers_the_enumerated_density_of_states():
    """16-site BCC cell, 4 B atoms: 1,820 configurations enumerated and binned; Wang-Landau
    (1/t stage to ln f = 1e-5, 32 walkers sharing g) matches ln g on every bin.  Tolerance 0.1:
    the 1/t algorithm's error in ln g is of order sqrt(ln f_final x correlation time in steps)
    ~ sqrt(1e-5 x 1e3) = 0.1 at most."""
    lattice = bcc_supercell(2.87, (2, 2, 2))
    rng = np.random.default_rng(4)
    energy = RandomPairs(16, rng)
    states = _all_configurations(16, 4)
    e = energy(states)
    n_bins = 16
    lo, hi = e.min() - 1e-9, e.max() + 1e-9
    exact = np.histogram(e, bins=np.linspace(lo, hi, n_bins + 1))[0]
    order = LongRangeOrder(lattice)
    state = WalkerState.start(random_occupations(32, 16, 4, rng), energy)
    dos = wang_landau(energy, state, lo, hi, n_bins, seed=5, ln_f_final=1e-5, check_every=200,
                      observable=order)
    assert np.array_equal(np.isfinite(dos.ln_g), exact > 0)  # every level found, no empty bin visited
    got = dos.normalized(len(states))[exact > 0]
    err = np.abs(got - np.log(exact[exact > 0]))
    assert err.max() < 0.1, err
    # microcanonical order parameter per bin against the enumeration's bin means (thousands of
    # visits per bin of at most a few hundred states: sampling error well below 0.05)
    q_exact = np.bincount(np.digitize(e, np.linspace(lo, hi, n_bins + 1)) - 1, order(states), n_bins)
    np.testing.assert_allclose(dos.observable_mean[exact > 0], (q_exact / np.maximum(exact, 1))[exact > 0], atol=0.05)
    # canonical averages from g(E) against the binned enumeration
    kT = np.array([0.02, 0.05, 0.2])
    centres = dos.centres[exact > 0]
    w = exact[exact > 0] * np.exp(-(centres[None] - centres.min()) / kT[:, None])
    thermo = dos.thermodynamics(kT)
    np.testing.assert_allclose(thermo["energy_eV"], (w @ centres) / w.sum(axis=1), atol=0.1 * np.ptp(e) / n_bins)


def test_order_parameter_is_one_for_the_ordered_layers_and_small_when_random():
    for lattice in (lsms_cuau_lattice(), lsms_fept_lattice()):
        q = LongRangeOrder(lattice)
        z = lattice.positions[:, 2]
        layered = np.isclose(np.mod(z, lattice.cell[2, 2] / 2), 0).astype(int)  # L1_0 / corner sublattice
        assert layered.sum() == 16 and np.isclose(q(layered[None])[0], 1.0)
        random = random_occupations(500, 32, 16, np.random.default_rng(6))
        assert q(random).mean() < 0.45  # ~0.36: the largest of 31 amplitudes ~ 1/sqrt(32)



def test_wang_landau_walkers_start_at_both_ends_of_the_quenched_range():
    """16-site BCC cell, 4 B atoms (1,820 configurations enumerated): the quenches of E and -E find
    the extreme energies (within the range's 2 % margin), and the Wang-Landau walkers start
    alternately at the low and the high end, not in the middle where random starts sit."""
    from types import SimpleNamespace

    from pf_app.montecarlo.surrogate_config import WangLandauConfig
    from pf_app.montecarlo.surrogate_runner import quench_ends

    rng = np.random.default_rng(7)
    energy = RandomPairs(16, rng)
    energy.lattice = bcc_supercell(2.87, (2, 2, 2))
    e = energy(_all_configurations(16, 4))
    cfg = SimpleNamespace(wang_landau=WangLandauConfig(walkers=8, quench_steps=2000))
    lo, hi, starts = quench_ends(energy, 4, cfg, rng)
    span = e.max() - e.min()
    assert lo <= e.min() and hi >= e.max() and (hi - lo) <= 1.05 * span  # margin 2 % on each side
    e_start = energy(starts)
    assert starts.sum(axis=1).tolist() == [4] * 8
    # within 10 % of the span of the true minimum (even walkers) and maximum (odd walkers)
    assert (e_start[0::2] < e.min() + 0.1 * span).all() and (e_start[1::2] > e.max() - 0.1 * span).all()


def test_upper_sigma_ends_the_range_near_the_random_energies():
    """``upper_sigma: 2``: the range ends at the random configurations' mean + 2 std (of the 1,820
    enumerated, within the sampling error of 64 random starts, ~0.3 std) instead of the maximum,
    and every walker starts at the low end."""
    from types import SimpleNamespace

    from pf_app.montecarlo.surrogate_config import WangLandauConfig
    from pf_app.montecarlo.surrogate_runner import quench_ends

    rng = np.random.default_rng(8)
    energy = RandomPairs(16, rng)
    energy.lattice = bcc_supercell(2.87, (2, 2, 2))
    e = energy(_all_configurations(16, 4))
    cfg = SimpleNamespace(wang_landau=WangLandauConfig(walkers=64, quench_steps=2000, upper_sigma=2.0, margin=0.0))
    lo, hi, starts = quench_ends(energy, 4, cfg, rng)
    assert abs(hi - (e.mean() + 2 * e.std())) < 0.3 * e.std() and hi < e.max() - 0.2 * np.ptp(e)
    assert lo == pytest.approx(e.min(), abs=0.05 * np.ptp(e))
    assert (energy(starts) < e.min() + 0.1 * np.ptp(e)).all()
