"""Loaders, site order, de-duplication, per-composition splits and folds, standardization."""

from __future__ import annotations

import tarfile

import numpy as np
import pytest

from pf_app.surrogate.datasets import (Standardizer, canonical_keys, composition_groups, deduplicate,
                                       kfold_per_composition, select_per_composition, split_per_composition)
from pf_app.surrogate.lsms import load_lsms_npz, load_lsms_raw
from pf_app.surrogate.structures import BOHR_ANGSTROM, LSMS_CUAU_A_BOHR, lsms_cuau_lattice, symmetry_permutations

RAW = "CuAu_32atoms_LSMS_raw.tar.xz"
NPZ = "CuAu_32atoms_LSMS.npz"
SOME_FILES = ("out_", "out_0", "out_1", "out_2", "out_777", "out_20000", "out_32017")


@pytest.fixture(scope="module")
def cuau(lsms_cuau_dir):
    return load_lsms_npz(lsms_cuau_dir / NPZ)


@pytest.fixture(scope="module")
def perms():
    return symmetry_permutations(lsms_cuau_lattice())


@pytest.fixture(scope="module")
def distinct(cuau, perms):
    """The CuAu configurations without exact repeats and without symmetry images."""
    return deduplicate(cuau, perms)


def _as_set(numbers):
    return {row.tobytes() for row in np.ascontiguousarray(numbers)}


def test_raw_files_and_npz_agree(lsms_cuau_dir, tmp_path, cuau):
    with tarfile.open(lsms_cuau_dir / RAW, "r:xz") as tar:
        members = [m for m in tar if m.name.rsplit("/", 1)[-1] in SOME_FILES]
        tar.extractall(tmp_path, members=members, filter="data")
    folder = next(tmp_path.rglob("out_0")).parent
    raw = load_lsms_raw(folder)
    assert list(raw.config_id) == sorted(-1 if n == "out_" else int(n[4:]) for n in SOME_FILES)
    ref = cuau.subset(np.searchsorted(cuau.config_id, raw.config_id))
    assert np.array_equal(ref.config_id, raw.config_id)
    assert np.array_equal(ref.numbers, raw.numbers)
    # the npz stores the same decimal text as floats: agreement to the last printed digit
    np.testing.assert_allclose(raw.energy_eV, ref.energy_eV, rtol=0, atol=1e-8)
    np.testing.assert_allclose(raw.charge_e, ref.charge_e, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(raw.moment_muB, ref.moment_muB)
    # out_0 is pure Au and out_32017 pure Cu (out_, id -1, has 3 Au although PROVENANCE.md says pure Cu)
    assert (raw.numbers[1] == 79).all() and (raw.numbers[-1] == 29).all() and (raw.numbers[0] == 79).sum() == 3


def test_site_order_is_the_lsms_order(lsms_cuau_dir):
    with np.load(lsms_cuau_dir / NPZ) as z:
        np.testing.assert_allclose(lsms_cuau_lattice().positions / BOHR_ANGSTROM, z["positions_bohr"], atol=1e-6)
    assert np.isclose(lsms_cuau_lattice().cell[0, 0], 2 * LSMS_CUAU_A_BOHR * BOHR_ANGSTROM)


def test_deduplication_exact_and_by_symmetry(cuau, perms, distinct):
    exact = deduplicate(cuau)
    assert len(cuau) - len(exact) == 3007  # PROVENANCE.md
    assert len(_as_set(exact.numbers)) == len(exact)
    assert len(distinct) == 18265  # measured: 10,714 of the distinct vectors are symmetry images
    # physics check of the symmetry operations: DFT energies of images agree (LSMS, fixed lattice)
    keys = canonical_keys(cuau.numbers, perms)
    order = np.argsort(keys, kind="stable")
    same = keys[order][1:] == keys[order][:-1]
    gap = np.abs(np.diff(cuau.energy_eV[order]))[same]
    assert same.sum() > 10_000 and gap.max() < 1e-3  # eV per cell (measured 6e-5)


def test_stratified_selection_caps_each_composition(distinct):
    groups = composition_groups(distinct)
    keep = select_per_composition(groups, 500, np.random.default_rng(0))
    counts = np.bincount(groups[keep])
    full = np.bincount(groups)
    assert counts.max() == 500 and np.array_equal(counts, np.minimum(full, 500))


def test_no_configuration_on_both_sides_of_any_split(cuau, perms, distinct):
    groups = composition_groups(distinct)
    rng = np.random.default_rng(1)
    keys = canonical_keys(distinct.numbers, perms)
    for split in [split_per_composition(groups, rng)] + kfold_per_composition(groups, 5, rng):
        assert sum(map(len, split.values())) == len(distinct) == len(set(np.concatenate(list(split.values()))))
        sides = {k: set(keys[v].tolist()) for k, v in split.items()}  # symmetry classes per side
        assert not sides["train"] & sides["test"] and not sides["train"] & sides["validation"]
        assert not sides["validation"] & sides["test"]
    # without de-duplication the raw data would leak (the check above is not vacuous)
    raw_split = split_per_composition(composition_groups(cuau), np.random.default_rng(1))
    assert _as_set(cuau.numbers[raw_split["train"]]) & _as_set(cuau.numbers[raw_split["test"]])


def test_split_fractions_are_81_9_10_within_each_composition(distinct):
    data = distinct
    groups = composition_groups(data)
    split = split_per_composition(groups, np.random.default_rng(2))
    big = np.flatnonzero(np.bincount(groups) >= 400)
    for g in big:
        n = {k: int((groups[v] == g).sum()) for k, v in split.items()}
        total = sum(n.values())
        assert abs(n["test"] / total - 0.10) < 0.01 and abs(n["validation"] / total - 0.09) < 0.01


def test_every_composition_in_every_fold(distinct):
    data = distinct
    groups = composition_groups(data)
    k = 5
    folds = kfold_per_composition(groups, k, np.random.default_rng(3))
    sizes = np.bincount(groups)
    for fold in folds:
        tested = set(groups[fold["test"]].tolist())
        trained = set(groups[fold["train"]].tolist())
        assert tested == {g for g in range(len(sizes)) if sizes[g] >= k}
        assert trained == set(range(len(sizes)))  # compositions with < k members: always trained
    assert sorted(np.concatenate([f["test"] for f in folds]).tolist()) == np.flatnonzero(sizes[groups] >= k).tolist()


def test_standardization_round_trip():
    rng = np.random.default_rng(4)
    targets = {"E": rng.normal(-7.0, 3.0, 200), "C": rng.normal(0.1, 0.2, (200, 32)), "M": np.zeros((200, 32))}
    std = Standardizer.fit(targets)
    scaled = std.transform(targets)
    assert abs(float(np.mean(scaled["E"]))) < 1e-5 and abs(float(np.std(scaled["C"])) - 1) < 1e-5
    assert std.std["M"] == 1.0  # constant quantity (CuAu moments): no division by zero
    back = std.inverse(scaled)
    for t in targets:
        np.testing.assert_allclose(back[t], targets[t], atol=1e-5 * (1 + np.abs(targets[t]).max()))
