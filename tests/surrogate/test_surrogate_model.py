"""The Keras multitask MLP, its numpy twin, the constructive search and the CLI end to end (tiny sizes)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pf_app.cli import main
from pf_app.surrogate.config import ALL_METHODS, NetworkConfig, SearchConfig, TrainConfig
from pf_app.surrogate.datasets import composition_groups, split_per_composition
from pf_app.surrogate.labelers import LatticeLabeler
from pf_app.surrogate.problem import Problem
from pf_app.surrogate.structures import lsms_cuau_lattice, one_hot

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def problem():
    lattice = lsms_cuau_lattice()
    labeler = LatticeLabeler.load()
    return Problem.from_data(labeler.label(lattice, labeler.random_configurations(lattice, 300, np.random.default_rng(0))))


@pytest.mark.parametrize("method", ALL_METHODS)
def test_shared_trunk_and_task_heads_split_the_width(method):
    from pf_app.surrogate.model import build_model

    model = build_model(method, 32, 2, NetworkConfig(hidden=(40, 30), task_width=60))
    assert sorted(model.output) == sorted(method)
    for t in method:
        assert model.get_layer(f"head_{t}").units == 60 // len(method)
        assert model.get_layer(f"out_{t}").units == (1 if t == "E" else 32)
    assert [model.get_layer(f"trunk_{i}").units for i in range(2)] == [40, 30]


def test_numpy_twin_matches_keras(problem):
    from pf_app.surrogate.evaluator import NumpySurrogate
    from pf_app.surrogate.model import build_model

    model = build_model("ECM", 32, 2, NetworkConfig(hidden=(20, 20), task_width=30, activation="gelu"), seed=3)
    x = one_hot(problem.data.numbers[:50], problem.species)
    ref = model.predict(x, verbose=0)
    fast = NumpySurrogate.from_keras(model, problem.species)
    got = fast.predict_one_hot(x)
    np.testing.assert_allclose(got["E"], ref["E"][:, 0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got["C"], ref["C"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(fast.predict_numbers(problem.data.numbers[:50])["M"], ref["M"], rtol=1e-4, atol=1e-5)


def test_training_lowers_the_loss_and_predicts_physical_units(problem):
    from pf_app.surrogate.training import evaluate, fit_method

    split = split_per_composition(composition_groups(problem.data), np.random.default_rng(1))
    fitted = fit_method(problem, "EC", split, NetworkConfig(hidden=(32,), task_width=32),
                        TrainConfig(epochs=8, batch_size=32, learning_rate=3e-3))
    assert fitted.history["loss"][-1] < fitted.history["loss"][0]
    result = evaluate(fitted, problem, split["test"])
    assert result["prediction"]["C"].shape == (len(split["test"]), 32)
    assert set(result["rmse"]) == {"E", "C"} and all(np.isfinite(v) for v in result["rmse"].values())


def test_training_stops_when_the_target_validation_loss_is_reached(problem):
    """Time to an accuracy: a first run's validation loss at epoch 4 as the target of an identical
    second run (same seed) ends that run at exactly epoch 4, before its epoch budget."""
    from pf_app.surrogate.training import fit_method

    split = split_per_composition(composition_groups(problem.data), np.random.default_rng(1))
    model, recipe = NetworkConfig(hidden=(32,), task_width=32), TrainConfig(epochs=10, batch_size=32, learning_rate=3e-3)
    full = fit_method(problem, "E", split, model, recipe).history["val_loss"]
    target = min(full[:4])
    assert target > min(full)  # the full run kept improving after epoch 4: stopping early is visible
    stopped = fit_method(problem, "E", split, model, TrainConfig(**{**recipe.__dict__, "target_val_loss": target}))
    assert stopped.history["epochs"] == 1 + full.index(target)
    assert min(stopped.history["val_loss"]) <= target


def test_constructive_search_adds_layers_of_allowed_widths(problem):
    from pf_app.surrogate.search import constructive_search

    split = split_per_composition(composition_groups(problem.data), np.random.default_rng(2))
    cfg = SearchConfig(enabled=True, max_layers=2, trials=2, width_step=50, max_width=100, epochs=2,
                       threshold=0.0, methods="E")
    found = constructive_search(problem, split, NetworkConfig(task_width=16), TrainConfig(batch_size=64), cfg,
                                progress=False)
    assert len(found["hidden"]) == 2 and len(found["trials"]) == 4
    assert all(w in (50, 100) and act in cfg.activations for w, act in found["hidden"])
    assert found["trials"][2]["hidden"][0] == found["hidden"][0]  # layer 1 kept while layer 2 is searched


def test_cli_config_error_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("methods: [E, EX]\n")
    assert main(["surrogate", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "methods[1]" in err and "E, C, M" in err


def test_cli_end_to_end_with_two_workers(tmp_path):
    """Labeler demo data on the FePt BCT cell, 2 folds in 2 worker processes, report and models."""
    cfg = tmp_path / "demo.yaml"
    cfg.write_text(
        "data:\n  source: labeler\n  max_per_composition: 20\n"
        "  labeler: {n_configurations: 400, species: [26, 78],"
        " moment_coefficients_muB: [[2.8, -0.05, 0, 0, 0], [0.35, 0, 0, 0, 0]],"
        " lattice: {kind: lsms_fept}}\n"
        "methods: [E, ECM]\nmodel: {hidden: [32], task_width: 32}\n"
        "train: {epochs: 3, batch_size: 64}\ncv: {k: 2, workers: 2}\n")
    out = tmp_path / "out"
    assert main(["surrogate", str(cfg), "--output", str(out), "--quiet"]) == 0
    for name in ("cv_rmse.csv", "cv_rmse.md", "timing.md", "scatter_E.png", "scatter_M.png",
                 "learning_curves.png", "models/surrogate_ECM.keras", "models/surrogate_E.json"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["species"] == [26, 78] and summary["lattice"] == "bct4x2x2"
    rows = {(r["quantity"], r["method"]) for r in summary["cv_rmse"]}
    assert {("E", "E"), ("E", "ECM"), ("E", "linear pair"), ("C", "ECM"), ("M", "ECM")} <= rows
    model = keras.models.load_model(out / "models/surrogate_ECM.keras")
    assert sorted(model.output) == ["C", "E", "M"]


def test_empty_cv_folds_trains_the_final_models_only(tmp_path, monkeypatch):
    """``cv.folds: []``: no fold is trained (a fold job fails the test), the final models are saved."""
    import pf_app.surrogate.cv as cv_module

    monkeypatch.setattr(cv_module, "fold_job", lambda *a, **k: pytest.fail("a fold was trained"))
    cfg = tmp_path / "final.yaml"
    cfg.write_text("data: {source: labeler, max_per_composition: 20, labeler: {n_configurations: 300}}\n"
                   "methods: [E, EC]\nmodel: {hidden: [16], task_width: 16}\n"
                   "train: {epochs: 2, batch_size: 64}\ncv: {folds: [], workers: 1}\n")
    out = tmp_path / "out"
    assert main(["surrogate", str(cfg), "--output", str(out), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(summary["final_models"]) == ["E", "EC"] and "cv_rmse" not in summary
    assert (out / "models/surrogate_EC.keras").is_file() and not (out / "cv_rmse.csv").exists()


def test_empty_cv_folds_without_final_models_is_refused(tmp_path, capsys):
    cfg = tmp_path / "nothing.yaml"
    cfg.write_text("cv: {folds: []}\noutput: {final_models: false}\n")
    assert main(["surrogate", str(cfg)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "cv.folds" in err and "final_models" in err


def test_killed_cross_validation_resumes_with_finished_folds_kept(tmp_path, monkeypatch):
    """A run that dies in fold 1 keeps fold 0 on disk; the rerun trains only fold 1, and its table
    equals an uninterrupted run's (same seeds; in-process, 1 thread: TensorFlow is deterministic)."""
    from pf_app.surrogate import cv as cv_module
    from pf_app.surrogate.config import load_config
    from pf_app.surrogate.runner import run_surrogate

    cfg_path = tmp_path / "tiny.yaml"
    cfg_path.write_text(
        "data: {source: labeler, max_per_composition: 20, labeler: {n_configurations: 300}}\n"
        "methods: [E, EC]\nmodel: {hidden: [16], task_width: 16}\n"
        "train: {epochs: 3, batch_size: 32}\ncv: {k: 2, workers: 1}\noutput: {final_models: false}\n")
    cfg = load_config(cfg_path)
    real_job, trained = cv_module.fold_job, []

    def job(problem, fold, *args, **kw):
        trained.append(fold)
        if fold == 1 and trained.count(1) == 1:
            raise KeyboardInterrupt("killed in fold 1")
        return real_job(problem, fold, *args, **kw)

    monkeypatch.setattr(cv_module, "fold_job", job)
    with pytest.raises(KeyboardInterrupt):
        run_surrogate(cfg, tmp_path / "run", progress=False)
    assert (tmp_path / "run/cv_folds/fold_0.npz").is_file() and not (tmp_path / "run/cv_folds/fold_1.npz").exists()
    resumed = run_surrogate(cfg, tmp_path / "run", progress=False)
    assert trained == [0, 1, 1] and resumed["cv_resumed_folds"] == [0]
    whole = run_surrogate(cfg, tmp_path / "whole", progress=False)
    assert trained == [0, 1, 1, 0, 1] and whole["cv_resumed_folds"] == []
    assert (tmp_path / "run/cv_folds.csv").read_text() == (tmp_path / "whole/cv_folds.csv").read_text()
    assert (tmp_path / "run/cv_rmse.csv").read_text() == (tmp_path / "whole/cv_rmse.csv").read_text()
    # another recipe is another run: its folds are trained, not taken from the old files
    changed = run_surrogate(load_config(cfg_path, {"train.epochs": 2}), tmp_path / "run", progress=False)
    assert changed["cv_resumed_folds"] == [] and trained[-2:] == [0, 1]
