"""The mean-field free energy used to aim umbrellas and to start SGC runs."""

from __future__ import annotations

import numpy as np
import pytest

from pf_app.montecarlo.meanfield import MeanField
from pf_app.montecarlo.sampler import cluster_tables
from pf_app.montecarlo.targets import ideal_mu
from mc_models import B2_MAP, FCC_MAP, b2_model, fcc_model


@pytest.mark.parametrize("which", ["b2", "fcc"])
def test_mean_field_mu_is_the_gradient_of_g_and_ideal_without_interactions(which):
    if which == "b2":
        model, free = b2_model(pairs=(1.0, -0.3, 0.2), triplet=0.15, point=0.2, v0=0.1), b2_model(pairs=(0.0,))
        eta = np.array([[0.5, 0.2], [0.9, -0.1]])
    else:
        model = fcc_model({1: [0.1], 2: [1.0, -0.3, 0.2], 3: [0.25], 4: [-0.15]})
        free = fcc_model({})
        eta = FCC_MAP.eta(np.array([[0.7, 0.5, 0.3, 0.2], [0.4, 0.45, 0.6, 0.5]]))
    omap, kT, h = model.order_map, 2.0, 1e-6
    mf = MeanField(cluster_tables(model), omap)
    fd = np.column_stack([(mf.free_energy(omap.fractions(eta + h * e), kT) - mf.free_energy(omap.fractions(eta - h * e), kT))
                          / (2 * h) for e in np.eye(omap.n)])
    np.testing.assert_allclose(mf.mu(eta, kT), fd, rtol=1e-6, atol=1e-8)  # central differences, h = 1e-6
    np.testing.assert_allclose(MeanField(cluster_tables(free), omap).mu(eta, kT), ideal_mu(eta, kT, omap), rtol=1e-12)


def test_mean_field_energy_of_the_b2_model_is_4_v1_m1_m2():
    mf = MeanField(cluster_tables(b2_model(pairs=(1.0,))), B2_MAP)
    x = np.array([0.9, 0.2])
    assert mf.energy(x) == pytest.approx(4 * (2 * x[0] - 1) * (2 * x[1] - 1))


@pytest.mark.parametrize("kT, ordered", [(7.5, True), (8.5, False)])
def test_mean_field_b2_transition_of_the_nn_model_is_at_8_v1(kT, ordered):
    # Bragg-Williams: kT_c = z V1 = 8 V1 for the nearest-neighbour BCC model at x = 1/2
    x1, x2 = MeanField(cluster_tables(b2_model(pairs=(1.0,))), B2_MAP).state(kT, (0.0, 0.0))
    assert (x1 - x2 > 0.2) == ordered
    assert 0.5 * (x1 + x2) == pytest.approx(0.5, abs=0.01)
