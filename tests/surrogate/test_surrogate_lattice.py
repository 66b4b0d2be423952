"""Lattices (CuAu FCC, FePt BCC/BCT), symmetry, the linear pair model, the labeler, extxyz round trip."""

from __future__ import annotations

import numpy as np
import pytest

from pf_app.surrogate.atoms_io import read_extxyz, write_extxyz
from pf_app.surrogate.labelers import LatticeLabeler, fit_labeler
from pf_app.surrogate.pairmodel import LinearPairModel
from pf_app.surrogate.structures import (bcc_supercell, fcc_supercell, lsms_cuau_lattice, one_hot,
                                         site_permutation, symmetry_permutations)

FEPT_A = 3.86  # angstrom, illustrative (L1_0 FePt a ~ 3.85 angstrom); BCT c/a below 1
FE, PT = 26, 78


def test_shell_coordinations_are_the_textbook_ones():
    fcc = lsms_cuau_lattice().shells(4)
    assert [s.coordination for s in fcc] == [12, 6, 24, 12]
    bcc = bcc_supercell(2.87, (2, 2, 4)).shells(3)
    assert [s.coordination for s in bcc] == [8, 6, 12]
    assert np.isclose(bcc[0].distance, 2.87 * np.sqrt(3) / 2)


def test_fept_cells_have_32_sites_in_the_documented_order():
    bcc = bcc_supercell(FEPT_A, (2, 2, 4))
    bct = bcc_supercell(FEPT_A, (2, 2, 4), c=0.9 * FEPT_A)
    assert bcc.n_sites == bct.n_sites == 32 and bcc.name == "bcc2x2x4" and bct.name == "bct2x2x4"
    np.testing.assert_allclose(bcc.positions[:4], [[0, 0, 0], [FEPT_A / 2] * 3, [FEPT_A, 0, 0],
                                                   [1.5 * FEPT_A, FEPT_A / 2, FEPT_A / 2]])
    # tetragonal cells: 16 point operations x 32 translations
    assert len(symmetry_permutations(bcc)) == len(symmetry_permutations(bct)) == 512
    assert len(symmetry_permutations(lsms_cuau_lattice())) == 48 * 32


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
    lattice = bcc_supercell(FEPT_A, (2, 2, 4), c=0.95 * FEPT_A)
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
