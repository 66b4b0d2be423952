"""LSMS loaders on both seed sets (CuAu FCC, FePt BCT): the lattice comes from the data, sites are
matched by position, raw files and npz agree, and a file with moved sites is refused in one line."""

from __future__ import annotations

import tarfile

import numpy as np
import pytest

from pf_app.cli import main
from pf_app.surrogate.datasets import canonical_keys, deduplicate
from pf_app.surrogate.lsms import LsmsGeometryError, load_lsms_npz, load_lsms_raw
from pf_app.surrogate.structures import (BOHR_ANGSTROM, lsms_cuau_lattice, lsms_fept_lattice,
                                         symmetry_permutations)

SETS = {"CuAu": ("lsms_cuau_dir", lsms_cuau_lattice), "FePt": ("lsms_fept_dir", lsms_fept_lattice)}
SOME = ("out_0", "out_1", "out_2", "out_777", "out_20000", "out_32017")


def _paths(request, alloy):
    folder = request.getfixturevalue(SETS[alloy][0])
    return folder / f"{alloy}_32atoms_LSMS_raw.tar.xz", folder / f"{alloy}_32atoms_LSMS.npz"


def _extract(tar_path, names, dest):
    with tarfile.open(tar_path, "r:xz") as tar:
        members = [m for m in tar if m.name.rsplit("/", 1)[-1] in names]
        tar.extractall(dest, members=members, filter="data")
    return next(dest.rglob(names[0])).parent


def _assert_same(a, b):
    np.testing.assert_array_equal(a.config_id, b.config_id)
    np.testing.assert_array_equal(a.numbers, b.numbers)
    # the npz holds the numbers parsed from the same decimal text: identical doubles
    for name in ("energy_eV", "charge_e", "moment_muB"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_array_equal(a.lattice.positions, b.lattice.positions)


@pytest.mark.parametrize("alloy", sorted(SETS))
def test_raw_files_and_npz_give_the_same_arrays(request, alloy):
    raw_path, npz_path = _paths(request, alloy)
    raw = load_lsms_raw(raw_path, SOME)
    npz = load_lsms_npz(npz_path)
    _assert_same(raw, npz.subset(np.searchsorted(npz.config_id, raw.config_id)))


@pytest.mark.slow
@pytest.mark.parametrize("alloy", sorted(SETS))
def test_every_raw_file_equals_the_npz(request, alloy):
    raw_path, npz_path = _paths(request, alloy)  # ~10-15 s per set: 32k files parsed
    _assert_same(load_lsms_raw(raw_path), load_lsms_npz(npz_path))


@pytest.mark.parametrize("alloy, group, n_ops", [("CuAu", "Fm-3m (225)", 48 * 32), ("FePt", "I4/mmm (139)", 8 * 32)])
def test_lattice_and_symmetry_come_from_the_data(request, alloy, group, n_ops):
    """No lattice key: the cell the sites tile and its space group (spglib) are found from the file.
    FePt: BCT 4a x 2a x 2c (PROVENANCE), so only the 8 operations of mmm map the supercell onto
    itself (the 4-fold axis would swap the 4a and 2a periods)."""
    data = load_lsms_npz(_paths(request, alloy)[1])
    builtin = SETS[alloy][1]()
    assert data.lattice.name.startswith(group)
    np.testing.assert_allclose(data.lattice.cell, builtin.cell, rtol=0, atol=1e-9)
    np.testing.assert_allclose(data.lattice.positions, builtin.positions, rtol=0, atol=1e-9)  # blocked order too
    assert len(symmetry_permutations(data.lattice)) == n_ops
    if alloy == "FePt":
        np.testing.assert_allclose(np.diag(data.lattice.cell) / BOHR_ANGSTROM, [20.872, 10.436, 14.116], atol=1e-9)


def test_fept_symmetry_images_agree_in_energy(request):
    """Physics check of the spglib operations on FePt: 148 exact repeats, 22,479 distinct
    configurations (PROVENANCE), and DFT energies of images agree (fixed ideal lattice in LSMS)."""
    data = load_lsms_npz(_paths(request, "FePt")[1])
    perms = symmetry_permutations(data.lattice)
    assert len(data) - len(deduplicate(data)) == 148 and len(deduplicate(data, perms)) == 22_479
    keys = canonical_keys(data.numbers, perms)
    order = np.argsort(keys, kind="stable")
    same = keys[order][1:] == keys[order][:-1]
    gap = np.abs(np.diff(data.energy_eV[order]))[same]
    # measured: median 5e-7 eV, max 0.015 eV per cell (SCF convergence), against a spread of eV
    assert same.sum() > 9000 and np.median(gap) < 1e-5 and gap.max() < 0.025


def _rewrite(src, dst, order, shift_bohr=(0.0, 0.0, 0.0), move_line=None):
    lines = src.read_text().strip().splitlines()
    head, sites = lines[0], lines[1:]
    out = [head]
    for new_id, k in enumerate(order):
        cols = sites[k].split()
        cols[1] = str(new_id)  # renumbered: only the positions say where a site is
        xyz = np.array([float(v) for v in cols[2:5]]) + shift_bohr
        if move_line == new_id:
            xyz += (0.3, 0.0, 0.0)
        cols[2:5] = [f"{v:.9f}" for v in xyz]
        out.append(" ".join(cols))
    dst.write_text("\n".join(out) + "\n")


@pytest.mark.parametrize("alloy", sorted(SETS))
def test_shuffled_site_order_loads_to_the_same_configuration(request, tmp_path, alloy):
    raw_path, _ = _paths(request, alloy)
    folder = _extract(raw_path, ["out_5", "out_1"], tmp_path)
    reference = load_lsms_raw(folder)
    order = np.random.default_rng(0).permutation(32)
    cell_bohr = reference.lattice.cell / BOHR_ANGSTROM
    # lines shuffled, ids renumbered, every site moved by a whole supercell vector (a periodic image)
    _rewrite(folder / "out_5", folder / "out_5", order, shift_bohr=cell_bohr[0] - cell_bohr[2])
    shuffled = load_lsms_raw(folder)
    _assert_same(reference, shuffled)


def test_moved_site_is_refused_in_one_line_without_an_output_folder(request, tmp_path, capsys):
    raw_path, _ = _paths(request, "FePt")
    folder = _extract(raw_path, ["out_3", "out_7"], tmp_path / "data")
    _rewrite(folder / "out_7", folder / "out_7", np.arange(32), move_line=12)
    with pytest.raises(LsmsGeometryError, match="out_7"):
        load_lsms_raw(folder)
    config = tmp_path / "fept_raw.yaml"
    out = tmp_path / "never_made"
    config.write_text(f"data: {{source: lsms_raw, path: {folder}}}\nmethods: [E]\n"
                      f"output: {{directory: {out}}}\n")
    assert main(["surrogate", str(config), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: ") and "out_7" in err
    assert "expected every site on a site of the lattice I4/mmm (139)" in err and "site line 13" in err
    assert not out.exists()
