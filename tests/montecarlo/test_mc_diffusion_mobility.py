"""Mobilities from a diffusion coefficient: the lattice of independent nearest-neighbour exchanges
(symmetric exclusion, whose site averages obey linear equations exactly) against the continuum
mobilities times the ideal-solution curvature of g."""

from __future__ import annotations

import numpy as np
import pytest

from pf_app.idnn.baseline import IdealMixing
from pf_app.montecarlo.diffusion_mobility import (K_B_EV, arrhenius_diffusivity, mobilities_from_diffusivity,
                                                  nearest_neighbours)
from mc_models import b2_model, fcc_model

ROUNDING = 1e-12


def test_arrhenius_diffusivity():
    # D0 = 1e-4 m^2/s, Q = 1.5 eV at 1000 K: 1e-4 exp(-1.5 / 0.08617333262) = 2.7539e-12 m^2/s
    D = arrhenius_diffusivity(1e-4, 1.5, K_B_EV * 1000.0)
    assert D == pytest.approx(1e-4 * np.exp(-1.5 / 0.08617333262), rel=ROUNDING)
    with pytest.raises(ValueError):
        arrhenius_diffusivity(1e-4, 1.5, 0.0)


@pytest.mark.parametrize("which", ["b2", "fcc"])
def test_nearest_neighbours_by_sublattice(which):
    # BCC: all 8 neighbours on the other sublattice at sqrt3/2; FCC cubic cell: 4 on each other one at 1/sqrt2
    if which == "b2":
        nn = nearest_neighbours(b2_model().expansion, b2_model().order_map)
        assert (nn.z, nn.distance) == (8, pytest.approx(np.sqrt(3) / 2))
        np.testing.assert_array_equal(nn.z_st, [[0, 8], [8, 0]])
    else:
        m = fcc_model({2: [1.0]})
        nn = nearest_neighbours(m.expansion, m.order_map)
        assert (nn.z, nn.distance) == (12, pytest.approx(np.sqrt(0.5)))
        np.testing.assert_array_equal(nn.z_st, 4 * (1 - np.eye(4)))


def test_b2_allen_cahn_mobility_closed_form():
    # L_eta = 24 D x (1 - x) / (kT r^2), r = a sqrt3/2 (docs/scale_bridging.md)
    D, kT, x, a = 2e-15, 0.09, 0.4, 2.9e-10
    m = b2_model()
    mob = mobilities_from_diffusivity(D, kT, x, m.expansion, m.order_map, length_unit=a)
    assert mob.of("eta") == pytest.approx(24 * D * x * (1 - x) / (kT * 0.75 * a * a), rel=ROUNDING)
    assert mob.M_c == pytest.approx(2 * D * x * (1 - x) / kT, rel=ROUNDING)
    assert not mob.L[0].any() and not mob.L[:, 0].any()  # exchanges conserve c


@pytest.mark.parametrize("which", ["b2", "fcc"])
def test_mobilities_reproduce_the_exchange_lattice_with_the_ideal_free_energy(which):
    # Independent exchanges at Gamma per neighbour pair: d<n_i>/dt = Gamma sum_j (<n_j> - <n_i>) exactly.
    # (1) a composition wave decays at Gamma sum_j (1 - cos k.r_j) -> D k^2 (k -> 0) and the continuum
    #     gives M_c g_cc k^2 with the ideal g: equal to O(k^2 r^2 / 12) (k r <= 0.006 here: 3e-6);
    # (2) uniform ordering modes decay at the eigenvalues of Gamma (diag z - z_st); the continuum at
    #     those of L H_ideal (H_ideal the ideal g's Hessian in eta): equal to round-off.
    D, kT, x = 3.0, 0.7, 0.35
    model = b2_model() if which == "b2" else fcc_model({2: [1.0]})
    omap = model.order_map
    mob = mobilities_from_diffusivity(D, kT, x, model.expansion, omap)
    nn = nearest_neighbours(model.expansion, omap)
    # neighbour vectors by brute force over a block of primitive cells
    lat = model.expansion.space.lattice
    n = np.array(np.meshgrid(*[np.arange(-2, 3)] * 3, indexing="ij")).reshape(3, -1).T
    r = np.concatenate([lat.cartesian(np.full(len(n), b), n) for b in lat.active]) - lat.cartesian(0, np.zeros(3))
    d = np.linalg.norm(r, axis=1)
    vectors = r[np.abs(d - d[d > 1e-9].min()) < 1e-9]
    assert len(vectors) == nn.z
    k = 1e-3 * np.array([1.0, 0.3, 0.2])
    lattice_rate = mob.gamma * np.sum(1 - np.cos(vectors @ k))
    ideal = IdealMixing.from_order_parameter_map(kT, omap.Q)
    eta = omap.eta(np.full(omap.n, x))[None, :]
    hess = ideal.evaluate(eta, 2)[2][0]
    assert mob.M_c * hess[0, 0] * (k @ k) == pytest.approx(lattice_rate, rel=1e-5)
    rates_lattice = np.sort(np.linalg.eigvals(mob.gamma * (np.diag(nn.z_st.sum(axis=1)) - nn.z_st)).real)
    rates_continuum = np.sort(np.linalg.eigvals(mob.L @ hess).real)
    np.testing.assert_allclose(rates_continuum, rates_lattice, rtol=1e-12, atol=1e-12 * rates_lattice.max())
