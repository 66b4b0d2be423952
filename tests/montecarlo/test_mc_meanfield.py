"""The mean-field free energy used to aim umbrellas and to start SGC runs."""

from __future__ import annotations

import numpy as np
import pytest

from pf_app.montecarlo.hamiltonian import ClusterExpansion
from pf_app.montecarlo.meanfield import free_energy, mean_field_mu, mean_field_state
from pf_app.montecarlo.targets import ideal_mu, to_fractions


def test_mean_field_mu_is_the_gradient_of_g_and_ideal_without_interactions():
    model = ClusterExpansion(V0=0.1, point=0.2, pairs=(1.0, -0.3, 0.2), triplet=0.15)
    c, eta, kT, h = np.array([0.5, 0.9]), np.array([0.2, -0.1]), 2.0, 1e-6

    def g(c, eta):
        return free_energy(model, *to_fractions(c, eta), kT)

    fd = np.column_stack([(g(c + h, eta) - g(c - h, eta)) / (2 * h), (g(c, eta + h) - g(c, eta - h)) / (2 * h)])
    np.testing.assert_allclose(mean_field_mu(model, c, eta, kT), fd, rtol=1e-6, atol=1e-8)  # central differences
    np.testing.assert_allclose(mean_field_mu(ClusterExpansion(), c, eta, kT), ideal_mu(c, eta, kT), rtol=1e-12)


@pytest.mark.parametrize("kT, ordered", [(7.5, True), (8.5, False)])
def test_mean_field_b2_transition_of_the_nn_model_is_at_8_v1(kT, ordered):
    # Bragg-Williams: kT_c = z V1 = 8 V1 for the nearest-neighbour BCC model at x = 1/2
    x1, x2 = mean_field_state(ClusterExpansion(pairs=(1.0, 0.0, 0.0)), kT, 0.0)
    assert (x1 - x2 > 0.2) == ordered
    assert 0.5 * (x1 + x2) == pytest.approx(0.5, abs=0.01)
