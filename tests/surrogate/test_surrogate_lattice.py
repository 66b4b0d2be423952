"""Lattices (CuAu FCC, FePt BCT), symmetry, the linear pair model, the labeler, extxyz round trip."""

from __future__ import annotations

import numpy as np
import pytest

from pf_app.surrogate.atoms_io import read_extxyz, write_extxyz
from pf_app.surrogate.labelers import LatticeLabeler, fit_labeler
from pf_app.surrogate.pairmodel import LinearPairModel
from pf_app.surrogate.structures import (BOHR_ANGSTROM, bcc_supercell, fcc_supercell, lsms_cuau_lattice,
                                         lsms_fept_lattice, one_hot, orthogonal_cell, site_permutation,
                                         symmetry_permutations)

FE, PT = 26, 78


def test_shell_coordinations_are_the_textbook_ones():
    fcc = lsms_cuau_lattice().shells(4)
    assert [s.coordination for s in fcc] == [12, 6, 24, 12]
    bcc = bcc_supercell(2.87, (2, 2, 4)).shells(3)
    assert [s.coordination for s in bcc] == [8, 6, 12]
    assert np.isclose(bcc[0].distance, 2.87 * np.sqrt(3) / 2)


def test_fept_cell_is_the_lsms_bct_cell_in_blocked_order():
    """PROVENANCE of the FePt set: BCT a = 5.218, c = 7.058 bohr, 4a x 2a x 2c; sites in blocks of
    2 x 2 x 2 cells (x fastest inside a block, corner then body centre), then the next block along x."""
    fept = lsms_fept_lattice()
    a, c = 5.218 * BOHR_ANGSTROM, 7.058 * BOHR_ANGSTROM
    assert fept.n_sites == 32 and fept.name == "bct4x2x2"
    np.testing.assert_allclose(np.diag(fept.cell), [4 * a, 2 * a, 2 * c])
    np.testing.assert_allclose(fept.positions[:4], [[0, 0, 0], [a / 2, a / 2, c / 2], [a, 0, 0], [1.5 * a, a / 2, c / 2]])
    np.testing.assert_allclose(fept.positions[16], [2 * a, 0, 0])  # the second block starts at x = 2a
    # not a square base: only mmm (8 operations) maps the supercell onto itself, times 32 translations
    assert len(symmetry_permutations(fept)) == 256
    # a square-based BCT cell keeps the 4-fold axis: 16 x 32; the FCC cell 48 x 32
    assert len(symmetry_permutations(bcc_supercell(a, (2, 2, 4), c=c))) == 512
    assert len(symmetry_permutations(lsms_cuau_lattice())) == 48 * 32


def test_orthogonal_cell_is_found_from_the_sites_alone():
    for lattice in (lsms_cuau_lattice(), lsms_fept_lattice(), bcc_supercell(2.87, (3, 2, 2))):
        np.testing.assert_allclose(orthogonal_cell(lattice.positions), lattice.cell, atol=1e-12)
    # an uneven basis along x (0 and 0.3 in a cell of length 1): the gap 0.7 closes the cycle
    sites = np.array([[x, y, z] for x in (0, 0.3, 1, 1.3) for y in (0, 1) for z in (0, 1)])
    np.testing.assert_allclose(np.diag(orthogonal_cell(sites)), [2, 2, 2])
    with pytest.raises(ValueError, match="axis x"):
        orthogonal_cell(np.array([[0, 0, 0], [0.3, 0, 0], [1.0, 0, 0]]))  # gaps 0.3, 0.7: no period


def test_symmetry_permutations_keep_pair_energies():
    lattice = lsms_cuau_lattice()
    labeler = LatticeLabeler.load()
    rng = np.random.default_rng(0)
    numbers = labeler.random_configurations(lattice, 5, rng)
    perms = symmetry_permutations(lattice)[rng.integers(0, 1536, 5)]
    moved = np.take_along_axis(numbers, perms, axis=1)
    a, b = labeler.label(lattice, numbers), labeler.label(lattice, moved)
    np.testing.assert_allclose(a.energy_eV, b.energy_eV, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.take_along_axis(a.charge_e, perms, axis=1), b.charge_e, atol=1e-12)


def test_one_hot_is_site_major():
    x = one_hot(np.array([[29, 79, 29]]), (29, 79))
    assert x.tolist() == [[1, 0, 0, 1, 1, 0]]
    with pytest.raises(ValueError, match="not among"):
        one_hot(np.array([[26, 79]]), (29, 79))


def test_site_permutation_recovers_shuffled_and_wrapped_atoms():
    lattice = fcc_supercell(3.6, 2)
    rng = np.random.default_rng(1)
    order = rng.permutation(32)
    shifted = lattice.positions[order] + np.array([1, 0, -1]) @ lattice.cell  # other periodic images
    perm = site_permutation(lattice, shifted, lattice.cell)
    assert np.array_equal(order[perm], np.arange(32))


def test_pair_model_recovers_labeler_energies_exactly():
    lattice = lsms_cuau_lattice()
    labeler = LatticeLabeler.load()
    data = labeler.label(lattice, labeler.random_configurations(lattice, 400, np.random.default_rng(2)))
    occ_counts = data.counts((29, 79))
    mixing = data.energy_eV - occ_counts @ np.array(labeler.reference_eV_per_atom)
    model = LinearPairModel(lattice, (29, 79)).fit(data.numbers, mixing)
    np.testing.assert_allclose(model.predict(data.numbers), mixing, atol=1e-6)


def test_shipped_labeler_is_the_fit_to_the_lsms_data(lsms_cuau_dir):
    from pf_app.surrogate.datasets import deduplicate
    from pf_app.surrogate.lsms import load_lsms_npz

    data = deduplicate(load_lsms_npz(lsms_cuau_dir / "CuAu_32atoms_LSMS.npz"))
    refit, rmse = fit_labeler(data)
    shipped = LatticeLabeler.load()
    np.testing.assert_allclose(shipped.pair_coefficients_eV, refit.pair_coefficients_eV, rtol=1e-9)
    np.testing.assert_allclose(np.ravel(shipped.charge_coefficients_e), np.ravel(refit.charge_coefficients_e), rtol=1e-9)
    # measured: 23.2 meV/cell and 0.0053 e/site training RMSE (a pair model misses higher clusters)
    assert rmse["energy_meV_per_cell"] < 30 and rmse["charge"] < 0.01 and rmse["moment"] == 0.0
    labelled = shipped.label(data.lattice, data.numbers)
    assert np.sqrt(np.mean((labelled.energy_eV - data.energy_eV) ** 2)) < 0.030  # eV/cell


def test_fept_demo_data_round_trips_through_extxyz(tmp_path):
    lattice = lsms_fept_lattice()
    labeler = LatticeLabeler.load().with_species((FE, PT), [[2.8, -0.05, 0, 0, 0], [0.35, 0.0, 0, 0, 0]],
                                                 note="illustrative moments")
    data = labeler.label(lattice, labeler.random_configurations(lattice, 20, np.random.default_rng(3)))
    assert set(data.species) <= {FE, PT} and data.moment_muB[data.numbers == FE].min() > 2.0
    path = tmp_path / "fept.extxyz"
    write_extxyz(path, data)
    back = read_extxyz(path, lattice)
    for name in ("numbers", "energy_eV", "config_id"):
        np.testing.assert_allclose(getattr(back, name), getattr(data, name), rtol=1e-12, err_msg=name)
    for name in ("charge_e", "moment_muB"):  # extxyz per-atom columns carry 8 decimals
        np.testing.assert_allclose(getattr(back, name), getattr(data, name), rtol=0, atol=1e-8, err_msg=name)
