"""Lattices, orbits and energies: cluster counts, brute-force energies, the kernel's exact incremental updates."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pf_app.montecarlo import kernels
from pf_app.montecarlo.clusters import ClusterSpace
from pf_app.montecarlo.hamiltonian import ClusterTables
from pf_app.montecarlo.lattice import Supercell
from pf_app.montecarlo.order_parameters import OrderParameterMap
from pf_app.montecarlo.sampler import Ensemble, Sampler, cluster_tables, initial_sigma
from mc_models import BCC, FCC, FCC_MAP, HCP, b2_model, expansion, fcc_model

# Energies are sums of at most a few thousand terms of size <= 1: rounding is < 1e-12, so 1e-10 is exact.
ENERGY_TOL = 1e-10


@pytest.mark.parametrize("lattice, cutoffs, per_site", [
    # BCC: 8/2 NN pairs, 6/2 2NN, 12/2 3NN, 12 (1NN, 1NN, 2NN) triangles per site
    (BCC, (1.5, 1.0), {(2, 0.866025): 4, (2, 1.0): 3, (2, 1.414214): 6, (3, 1.0): 12}),
    # FCC (a = 1): 12/2 NN, 6/2 2NN, 24/2 3NN pairs, 8 NN triangles, 2 NN tetrahedra per site
    (FCC, (1.25, 0.75, 0.75), {(2, 0.707107): 6, (2, 1.0): 3, (2, 1.224745): 12, (3, 0.707107): 8, (4, 0.707107): 2}),
])
def test_orbits_have_the_textbook_number_of_clusters_per_site(lattice, cutoffs, per_site):
    space = ClusterSpace(lattice, cutoffs)
    got = {(o.order, round(o.max_distance, 6)): o.multiplicity / len(lattice.active)
           for o in space.orbits if o.order >= 2}
    assert got == per_site


def _brute_force_clusters(supercell: Supercell, cutoffs) -> dict[tuple, np.ndarray]:
    """All clusters of the supercell by minimum-image distances, keyed by their sorted distances."""
    x = supercell.positions
    cell = supercell.matrix @ supercell.lattice.cell
    frac = (x[:, None, :] - x[None, :, :]) @ np.linalg.inv(cell)
    d = np.linalg.norm((frac - np.rint(frac)) @ cell, axis=2)
    out: dict[tuple, list] = {}
    m = len(x)
    for order, cutoff in enumerate(cutoffs, start=2):
        close = d <= cutoff + 1e-8
        for i in range(m):
            nbrs = [j for j in range(i + 1, m) if close[i, j]]
            for rest in itertools.combinations(nbrs, order - 1):
                if all(close[a, b] for a, b in itertools.combinations(rest, 2)):
                    key = (order, *sorted(round(float(d[a, b]), 6) for a, b in itertools.combinations((i, *rest), 2)))
                    out.setdefault(key, []).append((i, *rest))
    return {k: np.array(v) for k, v in out.items()}


@pytest.mark.parametrize("case", ["fcc_pairs_triplets_quadruplets", "hcp_two_basis_sites"])
def test_energies_of_random_configurations_equal_a_brute_force_sum_over_all_clusters(case):
    if case.startswith("fcc"):
        lattice, cutoffs, omap, repeats = FCC, (1.25, 0.75, 0.75), FCC_MAP, (3, 3, 3)
    else:
        lattice, cutoffs, omap, repeats = HCP, (1.7, 1.1), OrderParameterMap(np.eye(3), [[1, 1], [1, -1]], ("s", "d")), (4, 4, 3)
    space = ClusterSpace(lattice, cutoffs)
    rng = np.random.default_rng(7)
    ecis = rng.normal(size=len(space.orbits))
    # the brute force knows clusters by their sorted distances only; orbits that share them (HCP's two
    # kinds of basal triangles, over an atom or over a hole of the next layer) get one common ECI
    first = {}
    for i, o in enumerate(space.orbits):
        ecis[i] = ecis[first.setdefault((o.order, *o.distances), i)]
    ce = expansion(lattice, cutoffs, {o: [ecis[i] for i in space.orbits_of_order(o)] for o in (1, 2, 3, 4)}, ecis[0])
    tables = ClusterTables(ce, omap, repeats)
    sc = tables.supercell
    signature = {(o.order, *o.distances): v for o, v in zip(space.orbits, ce.ecis) if o.order >= 2}
    brute = _brute_force_clusters(sc, cutoffs)
    assert set(brute) == set(signature)
    sigma = rng.choice(np.array([-1, 1], np.int8), size=(1000, sc.n_sites))
    s = sigma.astype(float)
    point = {int(c[0, 0]): v for o, v in zip(space.orbits, ce.ecis) if o.order == 1 for c in o.classes}
    e_brute = sc.n_sites * ce.V0 + s @ np.array([point[b] for b in sc.basis_of_site])
    for key, clusters in brute.items():
        e_brute = e_brute + signature[key] * np.prod(s[:, clusters], axis=2).sum(axis=1)
    e_ours = np.array([tables.total_energy(row) for row in sigma])
    np.testing.assert_allclose(e_ours, e_brute, rtol=0, atol=ENERGY_TOL)
    # local fields: h_i = (E(sigma_i = +1) - E(sigma_i = -1)) / 2 for a multilinear E
    row = sigma[0].copy()
    h = tables.local_fields(row)
    for i in range(0, sc.n_sites, max(1, sc.n_sites // 17)):
        up, down = row.copy(), row.copy()
        up[i], down[i] = 1, -1
        assert h[i] == pytest.approx((tables.total_energy(up) - tables.total_energy(down)) / 2, abs=ENERGY_TOL)


def test_b2_energy_per_site_of_pure_and_ordered_states_follows_the_counting_convention():
    # each cluster once: per site 4 NN pairs, 3 2NN, 6 3NN, 12 NN triplets
    model = b2_model(pairs=(1.0, 0.3, -0.2), triplet=0.05, point=0.1, v0=0.5, repeats=(4, 3, 5))
    t = cluster_tables(model)
    m = t.supercell.n_sites
    assert t.total_energy(np.ones(m, np.int8)) / m == pytest.approx(0.5 + 0.1 + 4 * 1.0 + 3 * 0.3 + 6 * -0.2 + 12 * 0.05)
    b2 = np.where(t.supercell.sublattice == 0, 1, -1).astype(np.int8)
    assert t.total_energy(b2) / m == pytest.approx(0.5 - 4 + 3 * 0.3 - 6 * 0.2)


@pytest.mark.parametrize("which", ["bcc_b2", "fcc_quadruplets"])
def test_kernel_keeps_energy_fields_and_counts_exact(which):
    if which == "bcc_b2":
        model = b2_model(pairs=(1.0, -0.4, 0.25), triplet=0.15, point=0.3, v0=0.2, repeats=(3, 4, 3))
        ens = Ensemble(2.0, (3.0, 5.0), (0.5, 0.1), (0.2, -0.1))
        start = (0.6, 0.3)
    else:
        model = fcc_model({1: [0.1], 2: [1.0, -0.3, 0.2], 3: [0.25], 4: [-0.15]}, repeats=(3, 3, 3))
        ens = Ensemble(8.0, (2.0, 3.0, 3.0, 3.0), (0.4, 0.1, 0.0, -0.05), (0.3, 0.0, 0.1, 0.0))
        start = (0.7, 0.5, 0.3, 0.2)
    t = cluster_tables(model)
    sigma = initial_sigma(t.supercell, start, np.random.default_rng(0))
    s = Sampler(model, ens, sigma, kernels.seed_rng(3))
    out = s.run(50)
    assert 0.05 < s.accepted / s.attempts < 0.95
    # the incremental energy is a sum of ~1e5 float updates of size <= 10: 1e-9 bounds the rounding
    assert s.energy[0] == pytest.approx(t.total_energy(s.sigma), abs=1e-9)
    np.testing.assert_allclose(s.field, t.local_fields(s.sigma), atol=1e-9)
    counts = np.bincount(t.supercell.sublattice, weights=s.sigma == 1)
    np.testing.assert_array_equal(s.counts, counts)
    per = t.supercell.n_sites // t.supercell.n_sublattices
    eta_last = model.order_map.eta(counts / per)
    k = model.order_map.n
    np.testing.assert_allclose(out[-1, 2 * k + 1: 3 * k + 1], eta_last, atol=1e-14)


def test_same_seed_same_chain_different_seed_different_chain():
    model = b2_model(repeats=(3, 3, 3))
    sigma = initial_sigma(cluster_tables(model).supercell, (0.5, 0.5), np.random.default_rng(1))
    runs = [Sampler(model, Ensemble(5.0), sigma.copy(), kernels.seed_rng(s)).run(20) for s in (1, 1, 2)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_b2_supercell_numbering_is_corner_then_body_centre_with_cells_x_fastest():
    sc = Supercell(BCC, np.eye(3, dtype=int), (3, 4, 5))
    i, j, k, b = 2, 3, 1, 1
    site = 2 * (i + 3 * (j + 4 * k)) + b
    np.testing.assert_allclose(sc.positions[site], [i + 0.5, j + 0.5, k + 0.5])
    assert sc.sublattice[site] == 1
    assert sc.index(np.array(1), np.array([i - 3, j + 4, k])) == site  # periodic wrap
