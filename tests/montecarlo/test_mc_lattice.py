"""BCC supercell geometry, cluster counting, and the kernel's exact incremental energy and bias."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pf_app.montecarlo import kernels
from pf_app.montecarlo.hamiltonian import ClusterExpansion, local_fields, total_energy
from pf_app.montecarlo.lattice import BCCLattice, shell_vectors
from pf_app.montecarlo.sampler import Ensemble, Sampler, initial_sigma


@pytest.fixture(scope="module")
def lattice():
    return BCCLattice((4, 3, 5))


@pytest.mark.parametrize("shell, size, distance2, same_sublattice", [(1, 8, 3, False), (2, 6, 4, True), (3, 12, 8, True)])
def test_shells_have_right_size_distance_and_sublattice(lattice, shell, size, distance2, same_sublattice):
    nb = lattice.neighbours(shell)
    assert nb.shape == (lattice.n_sites, size)
    assert all(len(set(row)) == size for row in nb)  # distinct sites for L >= 3
    assert np.all(np.sum(shell_vectors(shell) ** 2, axis=1) == distance2)  # in (a/2)^2
    sub = lattice.sublattice
    assert np.all((sub[nb] == sub[:, None]) == same_sublattice)
    # symmetric: j in N(i) <=> i in N(j)
    assert all(i in nb[j] for i in range(0, lattice.n_sites, 7) for j in nb[i])


def test_triplets_are_nn_nn_2nn_triangles_counted_once(lattice):
    tri = lattice.apex_triplets
    assert len(tri) == 12 * lattice.n_sites
    assert len({tuple(sorted(t)) for t in tri}) == len(tri)  # each triangle once
    nb1, nb2 = lattice.neighbours(1), lattice.neighbours(2)
    a, j, k = tri[:50].T
    assert all(j[n] in nb1[a[n]] and k[n] in nb1[a[n]] and k[n] in nb2[j[n]] for n in range(50))
    assert lattice.triangles.shape == (lattice.n_sites, 36, 2)


def test_energy_per_site_of_pure_and_b2_states_follows_the_counting_convention(lattice):
    # Each cluster counted once: per site 4 NN pairs, 3 2NN, 6 3NN, 12 NN triplets.
    model = ClusterExpansion(V0=0.5, point=0.1, pairs=(1.0, 0.3, -0.2), triplet=0.05)
    m = lattice.n_sites
    pure_b = np.ones(m, np.int8)
    assert total_energy(model, lattice, pure_b) / m == pytest.approx(0.5 + 0.1 + 4 * 1.0 + 3 * 0.3 + 6 * -0.2 + 12 * 0.05)
    b2 = np.where(lattice.sublattice == 0, 1, -1).astype(np.int8)
    # B2: NN pairs unlike (-1), 2NN and 3NN like (+1), triplet products average to 0, <sigma> = 0
    assert total_energy(model, lattice, b2) / m == pytest.approx(0.5 - 4 + 3 * 0.3 - 6 * 0.2)


def test_kernel_keeps_energy_fields_and_counts_exact():
    shape = (3, 4, 3)
    model = ClusterExpansion(V0=0.2, point=0.3, pairs=(1.0, -0.4, 0.25), triplet=0.15)
    lat = BCCLattice(shape)
    sigma = initial_sigma(lat, 0.6, 0.3, np.random.default_rng(0))
    ens = Ensemble(2.0, phi_c=3.0, kappa_c=0.5, phi_eta=5.0, kappa_eta=0.1, mu_c=0.2, mu_eta=-0.1)
    s = Sampler(model, shape, ens, sigma, kernels.seed_rng(3))
    out = s.run(50)
    assert 0.05 < s.accepted / s.attempts < 0.95
    assert s.energy[0] == pytest.approx(total_energy(model, lat, s.sigma), abs=1e-9)
    np.testing.assert_allclose(s.field, local_fields(model, lat, s.sigma), atol=1e-12)
    n1, n2 = np.sum(s.sigma[0::2] == 1), np.sum(s.sigma[1::2] == 1)
    assert tuple(s.counts) == (n1, n2)
    m = lat.n_sites
    assert out[-1, 4] == pytest.approx((n1 + n2) * math.sqrt(2) / m)  # c_last
    assert out[-1, 5] == pytest.approx((n1 - n2) * math.sqrt(2) / m)  # eta_last


def test_same_seed_same_chain_different_seed_different_chain():
    shape = (3, 3, 3)
    model = ClusterExpansion(pairs=(1.0, 0.0, 0.0))
    lat = BCCLattice(shape)
    sigma = initial_sigma(lat, 0.5, 0.5, np.random.default_rng(1))
    runs = [Sampler(model, shape, Ensemble(5.0), sigma.copy(), kernels.seed_rng(s)).run(20) for s in (1, 1, 2)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])
