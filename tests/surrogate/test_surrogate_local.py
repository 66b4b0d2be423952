"""The local-environment network: point-group invariant features, exact size consistency on
replicas, the numpy twin equal to Keras, and training through ``pf_app surrogate`` (model.kind: local)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pf_app.surrogate.config import NetworkConfig
from pf_app.surrogate.evaluator import NumpySurrogate
from pf_app.surrogate.local_environment import LocalEnvironment
from pf_app.surrogate.structures import (bcc_supercell, fcc_supercell, lsms_cuau_lattice, lsms_fept_lattice,
                                         replica, symmetry_permutations)


@pytest.mark.parametrize("lattice", [lsms_cuau_lattice(), lsms_fept_lattice()], ids=["CuAu", "FePt"])
def test_features_are_invariant_under_the_space_group(lattice):
    """Every feature is a sum over a set of neighbours (or pairs) that the symmetry operations map onto
    itself: the features of a moved configuration are the moved features, exactly."""
    env = LocalEnvironment.of(lattice, 4, pair_shells=2)
    rng = np.random.default_rng(0)
    codes = (rng.random((6, lattice.n_sites)) < 0.45).astype(np.int8)
    features = env.features(codes, 2)
    perms = symmetry_permutations(lattice)
    for g in rng.integers(0, len(perms), 20):
        np.testing.assert_array_equal(env.features(codes[:, perms[g]], 2), features[:, perms[g]])


def test_table_index_reproduces_the_count_features():
    env = LocalEnvironment.of(lsms_cuau_lattice(), 4)
    assert env.coordination.tolist() == [12, 6, 24, 12] and env.table_size() == 2 * 13 * 7 * 25 * 13
    occ = (np.random.default_rng(1).random((10, 32)) < 0.5).astype(np.int8)
    np.testing.assert_array_equal(env.table_features()[env.table_index(occ)], env.features(occ, 2))


def _random_local_network(n_features, rng, tasks="EC"):
    def layer(n_in, n_out, act):
        return rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)), rng.normal(0, 0.1, n_out), act

    return NumpySurrogate((29, 79), [layer(n_features, 16, "gelu"), layer(16, 16, "tanh")],
                          {t: [layer(16, 8, "tanh"), layer(8, 1, "linear")] for t in tasks}, local=True)


@pytest.mark.parametrize("lattice, n", [(lsms_cuau_lattice(), 3), (lsms_fept_lattice(), 2),
                                        (bcc_supercell(2.87, (2, 2, 2)), 4)], ids=["CuAu-x3", "FePt-x2", "BCC-x4"])
def test_energy_of_a_replica_is_n_cubed_times_the_cells(lattice, n):
    """Size consistency: an n x n x n replica has the environments of the cell, so its site values
    repeat exactly and its energy (sum of site energies) is n^3 times the cell's.  In float64 the
    only difference is the summation order: |E_rep - n^3 E| <= (M n^3) eps sum |e_i| (Higham, ch. 3)."""
    env = LocalEnvironment.of(lattice, 4, pair_shells=1)
    big = replica(lattice, n)
    env_big = LocalEnvironment.of(big, 4, pair_shells=1)
    np.testing.assert_allclose(env_big.shell_distances, env.shell_distances, rtol=0, atol=1e-12)
    rng = np.random.default_rng(2)
    net = _random_local_network(env.n_features(2), rng)
    occ = (rng.random((5, lattice.n_sites)) < 0.5).astype(np.int8)
    occ_big = np.tile(occ, (1, n ** 3))
    sites = net.site_values(env.features(occ, 2).astype(np.float64))
    sites_big = net.site_values(env_big.features(occ_big, 2).astype(np.float64))
    for t in "EC":
        np.testing.assert_array_equal(sites_big[t], np.tile(sites[t], (1, n ** 3)))  # per-site outputs repeat
    e_cell, e_big = sites["E"].sum(axis=1), sites_big["E"].sum(axis=1)
    bound = lattice.n_sites * n ** 3 * np.finfo(float).eps * np.abs(sites_big["E"]).sum(axis=1)
    assert (np.abs(e_big - n ** 3 * e_cell) <= bound).all()


def test_local_network_trains_through_the_command_and_its_twin_agrees(tmp_path):
    """``model.kind: local`` on labeler data (CuAu cell): a final model (81/9/10 split per
    composition) trained, saved and scored; the saved model's numpy twin equals Keras (float32
    round-off) and the JSON records the shells.  (Cross-validation shares the fit with it.)"""
    from pf_app.surrogate.config import load_config
    from pf_app.surrogate.runner import run_surrogate
    from pf_app.surrogate.tensorflow_import import tensorflow_and_keras

    config = tmp_path / "local.yaml"
    config.write_text("data: {source: labeler, max_per_composition: 40, labeler: {n_configurations: 900}}\n"
                      "methods: [EC]\nmodel: {kind: local, shells: 4, hidden: [32], task_width: 32}\n"
                      "train: {learning_rate: 0.01, batch_size: 32, epochs: 60, patience: 60}\n"
                      "cv: {folds: []}\n")
    cfg = load_config(config)
    summary = run_surrogate(cfg, tmp_path / "out", progress=False, config_file=config)
    rmse = summary["final_models"]["EC"]["rmse_test_standardized"]
    # the labeler's energy is a pair model within 4 shells plus a cubic in x: a sum of site energies
    # of the counts up to the composition polynomial (least squares on the shell-count pair features
    # alone reaches a standardized RMSE of 0.13 on this set); 60 short epochs of a 32-wide network get
    # well below the energy's spread (standardized RMSE 1 = predicting the mean), not to exactness
    assert rmse["E"] < 0.25 and rmse["C"] < 0.5
    meta = json.loads((tmp_path / "out" / "models" / "surrogate_EC.json").read_text())
    assert meta["kind"] == "local" and meta["environment"]["coordination"] == [12, 6, 24, 12]
    _, keras = tensorflow_and_keras()
    model = keras.models.load_model(tmp_path / "out" / "models" / "surrogate_EC.keras")
    fast = NumpySurrogate.from_keras(model, (29, 79))
    assert fast.local
    env = LocalEnvironment.of(lsms_cuau_lattice(), 4)
    occ = (np.random.default_rng(3).random((64, 32)) < 0.5).astype(np.int8)
    x = env.features(occ, 2)
    ours, theirs = fast.predict_features(x), model.predict(x, verbose=0)
    np.testing.assert_allclose(ours["E"], theirs["E"][:, 0], rtol=1e-4, atol=1e-5)  # float32, 3 layers
    np.testing.assert_allclose(ours["C"], theirs["C"], rtol=1e-4, atol=1e-5)
    # the same network on a 4 x 4 x 4 FCC cell (256 sites): any cell size
    big = LocalEnvironment.of(fcc_supercell(lsms_cuau_lattice().cell[0, 0] / 2, 4), 4)
    assert model.predict(big.features(np.zeros((2, 256), np.int8), 2), verbose=0)["C"].shape == (2, 256)


def test_local_kind_on_a_lattice_with_unlike_sites_is_one_line(tmp_path, capsys):
    """A cell whose sites have different neighbour shells (a BCC cell with a vacancy: the labeler's
    bcc kind, but from an extxyz file with one site removed) is refused before any training."""
    from pf_app.cli import main
    from pf_app.surrogate.atoms_io import write_extxyz
    from pf_app.surrogate.datasets import AlloyData
    from pf_app.surrogate.labelers import LatticeLabeler
    from pf_app.surrogate.structures import Lattice

    lattice = bcc_supercell(2.87, (2, 2, 2))
    holed = Lattice("holed", lattice.positions[1:], lattice.cell)
    labeler = LatticeLabeler.load()
    data = labeler.label(lattice, labeler.random_configurations(lattice, 40, np.random.default_rng(4)))
    cut = AlloyData(holed, data.numbers[:, 1:], data.energy_eV, data.charge_e[:, 1:], data.moment_muB[:, 1:],
                    data.config_id)
    write_extxyz(tmp_path / "holed.extxyz", cut)
    config = tmp_path / "c.yaml"
    config.write_text(f"data: {{source: extxyz, path: {tmp_path / 'holed.extxyz'}}}\nmethods: [E]\n"
                      f"model: {{kind: local}}\noutput: {{directory: {tmp_path / 'out'}}}\n")
    assert main(["surrogate", str(config), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and ": model.kind: expected a lattice whose sites all have the same" in err
    assert NetworkConfig(kind="local").shells == 4
