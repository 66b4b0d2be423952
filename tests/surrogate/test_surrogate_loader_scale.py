"""The LSMS loader at the scale of the authors' later sets: 1,024-site BCC cells in files named
``output_<id>`` (written here in the LSMS layout from the built-in labeler), symmetry de-duplication
among 49,152 operations without an M x M matrix, and one-line errors naming the file."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pf_app.cli import main
from pf_app.surrogate.config import DatasetConfig
from pf_app.surrogate.datasets import images_of_each_other
from pf_app.surrogate.labelers import LatticeLabeler
from pf_app.surrogate.lsms import RYDBERG_EV, format_lsms_output, load_lsms_raw, write_lsms_files
from pf_app.surrogate.site_index import SiteIndex
from pf_app.surrogate.sources import load_dataset
from pf_app.surrogate.structures import BOHR_ANGSTROM, bcc_supercell, fcc_supercell, symmetry_permutations

A_BCC = 2.87  # angstrom (any value: the labeler's coefficients are reused per shell index, a toy)


@pytest.fixture(scope="module")
def bcc_1024():
    return bcc_supercell(A_BCC, (8, 8, 8))


@pytest.fixture(scope="module")
def written(tmp_path_factory, bcc_1024):
    """12 labelled configurations of the 1,024-site cell: 8 random ones, 2 symmetry images of the
    first (a rotation with a translation, and a pure translation), an exact repeat of the second and
    a dilute one; files ``output_<id>``, the image's site lines shuffled and renumbered."""
    labeler = LatticeLabeler.load()
    rng = np.random.default_rng(5)
    numbers = labeler.random_configurations(bcc_1024, 8, rng)
    perms = symmetry_permutations(bcc_1024)
    dilute = np.full(bcc_1024.n_sites, labeler.species[0], dtype=np.int16)
    dilute[[3, 700]] = labeler.species[1]
    extra = np.stack([numbers[0][perms[12_345]], numbers[0][perms[5]], numbers[1], dilute])
    data = labeler.label(bcc_1024, np.concatenate([numbers, extra]), config_id=np.arange(100, 112))
    folder = tmp_path_factory.mktemp("lsms_bcc") / "raw"
    write_lsms_files(data, folder)
    lines = (folder / "output_108").read_text().splitlines()
    order = rng.permutation(bcc_1024.n_sites)
    (folder / "output_108").write_text("\n".join([lines[0]] + [lines[1 + k] for k in order]) + "\n")
    return folder, data, perms


def test_site_index_matches_the_dense_search_and_refuses_points_off_the_lattice():
    """Against brute force (every site's minimum-image distance) on a lattice whose coordinates are not
    an even grid (basis (0, 0.3) along x: the index's general bins with the corner search)."""
    cell = np.diag([2.0, 1.0, 1.0])
    sites = np.array([[x, y, z] for x in (0, 0.3, 1, 1.3) for y in (0.0, 0.5) for z in (0.0, 0.5)])
    index = SiteIndex(cell, sites, 1e-3)
    assert not index.exact
    rng = np.random.default_rng(0)
    k = rng.integers(0, len(sites), 500)
    # within 0.9 tol of a site (any direction, any periodic image) or 2-5 tol away from every site
    direction = rng.normal(size=(500, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    near = sites[k] + 0.9e-3 * rng.random((500, 1)) * direction + rng.integers(-2, 3, (500, 3)) @ cell
    far = sites[k] + rng.choice([-1, 1], (500, 3)) * rng.uniform(2e-3, 5e-3, (500, 3)) / np.sqrt(3)
    for points in (near, far):
        d = points[:, None, :] - sites[None]
        d -= np.round(d @ np.linalg.inv(cell)) @ cell
        dist = np.linalg.norm(d, axis=-1)
        expected = np.where(dist.min(axis=1) <= 1e-3, dist.argmin(axis=1), -1)
        np.testing.assert_array_equal(index.lookup(points), expected)
    assert (index.lookup(far) == -1).all() and (index.lookup(near) == k).all()
    # an FCC cell's coordinates are an even grid: every site at a bin centre, one key per query
    assert SiteIndex(fcc_supercell(3.6, 3).cell, fcc_supercell(3.6, 3).positions, 1e-3).exact


def test_1024_site_cell_has_the_full_space_group(bcc_1024):
    """Im-3m: 48 point operations x 1,024 lattice translations (one site per primitive cell), every
    operation a permutation, and a nearest-neighbour pair model unchanged by each (checked on 200)."""
    perms = symmetry_permutations(bcc_1024)
    assert perms.shape == (48 * 1024, 1024)
    assert (np.sort(perms[::97], axis=1) == np.arange(1024)).all()
    shells = bcc_1024.shells(2)
    assert [s.coordination for s in shells] == [8, 6]
    occ = (np.random.default_rng(1).random(1024) < 0.4).astype(float)
    bonds = [occ @ s.multiplicity @ occ for s in shells]
    for g in np.random.default_rng(2).integers(0, len(perms), 200):
        moved = occ[perms[g]]
        assert [moved @ s.multiplicity @ moved for s in shells] == bonds  # integer counts: exact


def test_output_files_load_and_deduplicate_by_symmetry(written, bcc_1024):
    folder, data, perms = written
    raw = load_lsms_raw(folder)  # default pattern: out_* and output_*
    assert raw.lattice.name.startswith("Im-3m (229), 1024 sites")
    np.testing.assert_allclose(raw.lattice.positions, bcc_1024.positions, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(raw.config_id, data.config_id)
    np.testing.assert_array_equal(raw.numbers, data.numbers)  # the shuffled file too, by position
    # energies go through Ry printed with 15 decimals: 1e-15 Ry of a ~1e5 Ry total is below 1e-10 eV
    np.testing.assert_allclose(raw.energy_eV, data.energy_eV, rtol=2e-16 * 8, atol=1e-12)
    np.testing.assert_allclose(raw.charge_e, data.charge_e, rtol=0, atol=2e-6)  # qtotws printed to 1e-6
    cfg = DatasetConfig(source="lsms_raw", path=folder, deduplicate="symmetry")
    distinct, summary = load_dataset(cfg, seed=0)
    # the two images of configuration 100 and the repeat of 101 go; 9 classes stay
    assert summary["loaded"] == 12 and summary["unique"] == 9
    assert sorted(distinct.config_id.tolist()) == [100, 101, 102, 103, 104, 105, 106, 107, 111]
    images = data.numbers[[0, 8, 9]]
    np.testing.assert_allclose(data.energy_eV[[8, 9]], data.energy_eV[0], rtol=1e-12)  # the labeler agrees
    assert images_of_each_other(images[1], images[0], perms) and not images_of_each_other(data.numbers[1],
                                                                                            images[0], perms)


def test_loader_failures_are_one_line_naming_the_file(written, tmp_path, capsys):
    folder, data, _ = written
    config = tmp_path / "bcc.yaml"
    out = tmp_path / "never_made"

    def one_line(data_block: str) -> str:
        config.write_text(f"data: {data_block}\nmethods: [E]\noutput: {{directory: {out}}}\n")
        assert main(["surrogate", str(config), "--quiet"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and err.startswith("error: ") and "Traceback" not in err
        assert not out.exists()
        return err

    err = one_line(f"{{source: lsms_raw, path: {folder}, pattern: 'out_*'}}")
    assert f"error: {folder}: data.pattern: expected LSMS output files whose names match data.pattern 'out_*'" in err
    assert "none among 12 files (output_100" in err
    # one file with a site line missing: the file, the lattice's site count and what it has
    short = tmp_path / "short"
    write_lsms_files(data.subset([0, 1]), short, prefix="out_")
    text = (short / "out_101").read_text().splitlines()
    (short / "out_101").write_text("\n".join(text[:-1]) + "\n")
    err = one_line(f"{{source: lsms_raw, path: {short}}}")
    assert f"error: {short / 'out_101'}: data.path: expected 1024 sites of the lattice Im-3m (229)" in err
    assert err.endswith("got '1023 sites'")
    # a file that is not LSMS output
    (short / "out_101").write_text("converged: yes\n")
    assert "expected an LSMS output file" in one_line(f"{{source: lsms_raw, path: {short}}}")
    (short / "out_101").write_text(format_lsms_output(-1.0, [29], [[0.0, 0.0, 0.0]], [29.0], [0.0]))
    assert "got '1 sites'" in one_line(f"{{source: lsms_raw, path: {short}}}")


def test_surrogate_command_prints_no_tensorflow_start_up_lines(tmp_path):
    """TensorFlow's import writes absl/oneDNN lines to descriptor 2 whatever TF_CPP_MIN_LOG_LEVEL
    says; `pf_app surrogate --quiet` shows nothing but its own output, and PF_APP_TENSORFLOW_LOG=1
    (set by --verbose) shows exactly what a plain import prints."""
    config = tmp_path / "tiny.yaml"
    config.write_text("data: {source: labeler, max_per_composition: 20, labeler: {n_configurations: 400}}\n"
                      "methods: [E]\nmodel: {hidden: [8], task_width: 8}\ntrain: {epochs: 1}\n"
                      f"cv: {{folds: []}}\noutput: {{directory: {tmp_path / 'out'}}}\n")
    run = subprocess.run([sys.executable, "-m", "pf_app", "surrogate", str(config), "--quiet"],
                         capture_output=True, text=True)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert "final model E: test RMSE" in run.stdout
    env_import = "import os; os.environ['PF_APP_TENSORFLOW_LOG'] = '1'; " \
                 "from pf_app.surrogate.tensorflow_import import tensorflow_and_keras; tensorflow_and_keras()"
    verbose = subprocess.run([sys.executable, "-c", env_import], capture_output=True, text=True)
    plain = subprocess.run([sys.executable, "-c", "import keras, tensorflow"], capture_output=True, text=True)

    def without_stamps(text):  # absl lines carry a time stamp and a thread id
        return [line.split("]", 1)[-1] for line in text.splitlines()]

    assert without_stamps(verbose.stderr) == without_stamps(plain.stderr)
