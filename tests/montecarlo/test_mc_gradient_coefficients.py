"""Gradient-energy coefficients from the cluster expansion (mean field), against closed forms and
against the mean-field lattice energy of long-wavelength modulations."""

from __future__ import annotations

import numpy as np
import pytest

from pf_app.montecarlo.gradient_coefficients import gradient_coefficients, mean_field_state
from pf_app.montecarlo.hamiltonian import ClusterTables
from pf_app.montecarlo.lattice import Lattice
from pf_app.montecarlo.order_parameters import OrderParameterMap
from mc_models import b2_model, expansion, fcc_model

ROUNDING = 1e-12  # lattice sums of a few dozen O(1) terms: round-off ~ 1e-15, far below this


def test_simple_cubic_nearest_neighbour_pairs_give_the_cahn_hilliard_coefficient():
    # kappa_x = -(2/3) sum_j V_j r_j^2 = -(2/3) 6 V a^2 = -4 V a^2 (one sublattice, x = composition)
    sc = Lattice(np.eye(3) * 1.7, [[0, 0, 0]], [("A", "B")])
    V = 0.37
    gc = gradient_coefficients(expansion(sc, (1.8,), {2: [V]}), OrderParameterMap(np.eye(3), [[1.0]], ("x",)))
    assert gc.isotropic
    assert gc.of("x") == pytest.approx(-4 * V * 1.7 ** 2, rel=ROUNDING)


@pytest.mark.parametrize("pairs", [(1.0,), (1.0, 0.3, -0.2), (-0.5, 0.0, 0.25)])
def test_b2_coefficients_are_the_second_moments_of_the_pair_interactions(pairs):
    # BCC, a = 1: 8 first neighbours at sqrt3/2 (other sublattice), 6 at 1 and 12 at sqrt2 (same):
    # kappa_c = -(2 V1 + 2 V2 + 8 V3), kappa_eta = 2 V1 - 2 V2 - 8 V3, no c-eta cross term
    V1, V2, V3 = (tuple(pairs) + (0.0, 0.0))[:3]
    m = b2_model(pairs=pairs)
    gc = gradient_coefficients(m.expansion, m.order_map)
    assert gc.isotropic
    np.testing.assert_allclose(gc.kappa, np.diag([-(2 * V1 + 2 * V2 + 8 * V3), 2 * V1 - 2 * V2 - 8 * V3]),
                               atol=ROUNDING * 10)


def _modulation_energy(model, x0, delta, k_index, n_long):
    """[E(+delta) + E(-delta) - 2 E(0)] / (2 M): the part of the mean-field lattice energy per site
    quadratic in the amplitude of x_s(r) = x0_s + delta_s cos(k r_1), k = 2 pi k_index / n_long along
    the first axis of a (n_long, 3, 3) supercell of ordering cells (exact: E is a polynomial of degree
    <= 3 in delta for pairs and triplets, so the odd orders cancel)."""
    tables = ClusterTables(model.expansion, model.order_map, (n_long, 3, 3))
    sc = tables.supercell
    length = np.linalg.norm((np.diag(sc.repeats) @ sc.ordering_cell @ sc.lattice.cell)[0])
    phase = np.cos(2 * np.pi * k_index * sc.positions[:, 0] / length)
    e = [tables.total_energy(2 * (np.asarray(x0)[sc.sublattice] + sign * np.asarray(delta)[sc.sublattice] * phase) - 1)
         for sign in (1.0, -1.0, 0.0)]
    return (e[0] + e[1] - 2 * e[2]) / (2 * sc.n_sites), 2 * np.pi * k_index / length


@pytest.mark.parametrize("case", ["b2_triplet_ordered", "fcc_l12_anisotropic"])
def test_coefficients_match_long_wavelength_modulations_of_the_mean_field_lattice_energy(case):
    # Continuum: Q(k) = (1/4) delta^T [H + k^2 K_11] delta + O(k^4) (H the curvature of the uniform
    # energy, K_11 the first-axis component of the tensors).  Three wave numbers k, 2k, 3k eliminate
    # H and the k^4 term: what remains is O(k^4) relative, (k_3 r_max)^4 / 360 <= 7e-6 here
    # (k_3 = 3 2 pi / 120, r_max = sqrt2 on BCC, 1 on FCC).
    if case == "b2_triplet_ordered":
        model = b2_model(pairs=(1.0, 0.3, -0.2), triplet=0.4)
        x0 = np.array([0.85, 0.2])
        deltas = [np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([0.3, -0.7])]
        n_long = 120
    else:
        model = fcc_model({2: [1.0, -0.2], 3: [0.3]}, cutoffs=(1.01, 0.75))
        x0 = np.array([0.8, 0.25, 0.3, 0.15])
        deltas = [np.array([1.0, 0.0, 0.0, 0.0]), np.array([0.2, -0.5, 0.4, 0.1])]
        n_long = 120
    gc = gradient_coefficients(model.expansion, model.order_map, x0)
    from pf_app.montecarlo.gradient_coefficients import sublattice_gradient_tensors

    K11 = sublattice_gradient_tensors(model.expansion, model.order_map.cell, x0)[:, :, 0, 0]
    for delta in deltas:
        q = [_modulation_energy(model, x0, 1e-2 * delta, j, n_long) for j in (1, 2, 3)]
        k2 = np.array([k * k for _, k in q])
        coef = np.linalg.solve(np.column_stack([np.ones(3), k2, k2 ** 2]), np.array([v for v, _ in q]))
        assert coef[1] == pytest.approx(0.25 * 1e-4 * delta @ K11 @ delta, rel=1e-5)
    if case == "fcc_l12_anisotropic":  # the ordering parameters' tensors are tetragonal, not cubic
        assert not gc.isotropic
    # kappa of the order parameters is the sublattice form in eta = Q x
    A = model.order_map.Q_inv
    np.testing.assert_allclose(gc.tensor[..., 0, 0], A.T @ K11 @ A, rtol=1e-12, atol=1e-12)


def test_mean_field_state_of_the_b2_model_solves_the_bragg_williams_equation():
    # equiatomic NN model: x1 = (1 + m)/2 = 1 - x2 with m = tanh(8 V1 m / kT) (kT_c = 8 V1)
    x = mean_field_state(b2_model(pairs=(1.0,)), 5.0, 2 ** -0.5)
    m = 2 * x[0] - 1
    assert x[0] + x[1] == pytest.approx(1.0, abs=1e-9)
    assert m == pytest.approx(np.tanh(8 * m / 5.0), abs=1e-6)  # SLSQP ftol 1e-14 on g ~ 1: m to ~1e-7
    assert abs(m) > 0.8
