"""Autocorrelation errors, equilibration detection, bimodality and the split (domain) flag."""

from __future__ import annotations

import numpy as np
import pytest

from pf_app.montecarlo.estimators import bimodality_coefficient, detect_equilibration, integrated_time, mean_estimate
from pf_app.montecarlo.homogeneity import BlockOrder, split_summary
from pf_app.montecarlo.lattice import Supercell
from mc_models import B2_MAP, BCC


def _ar1(rho: float, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=n)
    x = np.empty(n)
    x[0] = noise[0] / np.sqrt(1 - rho * rho)
    for i in range(1, n):
        x[i] = rho * x[i - 1] + noise[i]
    return x


def test_integrated_time_of_ar1_matches_theory_and_se_covers_the_truth():
    rho = 0.9  # tau_int = (1 + rho) / (2 (1 - rho)) = 9.5 samples
    taus = [integrated_time(_ar1(rho, 100_000, s)) for s in range(3)]
    # Sokal's window (W >= 5 tau) truncates an exponential tail: bias ~ e^-5, statistical spread ~ 3%
    assert np.mean(taus) == pytest.approx(9.5, rel=0.08)
    z = [mean_estimate(_ar1(rho, 20_000, s)).mean / mean_estimate(_ar1(rho, 20_000, s)).se for s in range(20)]
    assert np.sqrt(np.mean(np.square(z))) == pytest.approx(1.0, abs=0.4)  # 20 draws of a unit normal


def test_equilibration_detection_skips_the_transient():
    x = _ar1(0.5, 4000, 1) * 0.1
    x[:400] += 3.0 * np.exp(-np.arange(400) / 60.0)
    t0 = detect_equilibration([x])
    assert 150 < t0 < 1000
    assert detect_equilibration([_ar1(0.5, 4000, 2)]) < 400


def test_bimodality_coefficient_limits():
    rng = np.random.default_rng(0)

    def bc(v):
        d = v - v.mean()
        return bimodality_coefficient(np.mean(d ** 2), np.mean(d ** 3), np.mean(d ** 4))

    assert bc(rng.normal(size=100_000)) == pytest.approx(1 / 3, abs=0.01)
    assert bc(rng.uniform(size=100_000)) == pytest.approx(5 / 9, abs=0.01)
    assert bc(np.r_[np.full(300, -1.0), np.full(700, 1.0)]) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def box():
    lat = Supercell(BCC, np.eye(3, dtype=int), (12, 12, 12))
    return lat, BlockOrder(lat, B2_MAP, 3)


def _snapshots(make, n=10):
    return np.array([make(np.random.default_rng(s)) for s in range(n)])


def test_split_flag_marks_antiphase_domains_and_two_phase_boxes(box):
    lat, order = box
    sub = lat.sublattice
    x_cell = lat.ordering_cell_coordinates()[:, 0]

    def antiphase(rng):  # B2 slabs of opposite sign, 2% antisite defects
        s = np.where((sub == 0) == (x_cell < 6), 1, -1).astype(np.int8)
        s[rng.random(lat.n_sites) < 0.02] *= -1
        return order.moments(s)

    def two_phase(rng):  # half the box B-rich, half A-rich, disordered
        p = np.where(x_cell < 6, 0.9, 0.1)
        return order.moments(np.where(rng.random(lat.n_sites) < p, 1, -1).astype(np.int8))

    for make, key in ((antiphase, "eta"), (two_phase, "c")):
        out = split_summary(_snapshots(make), B2_MAP.names, 5 / 9, 4.0)
        assert out["flag_split"] == 1 and out[f"bimodality_{key}"] > 0.8 and out[f"excess_var_{key}"] > 10


def test_split_flag_stays_off_for_homogeneous_ordered_and_disordered_boxes(box):
    lat, order = box
    sub = lat.sublattice

    def ordered(rng):  # nearly saturated B2: skewed block distribution but binomial variance
        s = np.where(sub == 0, 1, -1).astype(np.int8)
        s[rng.random(lat.n_sites) < 0.01] *= -1
        return order.moments(s)

    def disordered(rng):
        return order.moments(np.where(rng.random(lat.n_sites) < 0.3, 1, -1).astype(np.int8))

    for make in (ordered, disordered):
        assert split_summary(_snapshots(make), B2_MAP.names, 5 / 9, 4.0)["flag_split"] == 0
