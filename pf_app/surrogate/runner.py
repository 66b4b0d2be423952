"""``pf_app surrogate``: data -> cross-validation of every method -> final models -> report.

Output folder: ``config.yaml`` (resolved), ``summary.json``, the report files of :mod:`.report`,
``cv_folds/fold_<f>.npz`` (each finished fold, reused when the same run is started again: resume;
``cv.folds: []`` skips cross-validation and its report: final models only),
``models/surrogate_<method>.keras`` with ``models/surrogate_<method>.json`` (species, lattice site
order, standardization mean/std per quantity, pure-element reference energies in eV/atom: add them
back to a predicted mixing energy to get the total energy in eV per cell).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import yaml

from pf_app.config import to_dict
from pf_app.atomic_files import atomic_path, write_json_atomic, write_text_atomic
from pf_app.surrogate import report
from pf_app.surrogate.config import SurrogateConfig
from pf_app.surrogate.cv import pair_baseline, run_cross_validation
from pf_app.surrogate.datasets import composition_groups, kfold_per_composition, split_per_composition
from pf_app.surrogate.fold_store import FoldStore, fingerprint
from pf_app.surrogate.problem import Problem
from pf_app.surrogate.sources import load_dataset
from pf_app.surrogate.structures import one_hot


def predictions_per_second(fast, x: np.ndarray, min_configs: int = 200_000) -> float:
    """Configurations per second of the numpy evaluator on its input ``x`` (one-hot or site
    features; repeated to ``min_configs``)."""
    reps = max(1, int(np.ceil(min_configs / len(x))))
    batch = np.tile(x, (reps,) + (1,) * (x.ndim - 1))
    t0 = time.perf_counter()
    fast.predict_inputs(batch)
    return len(batch) / (time.perf_counter() - t0)


def cv_fingerprint(cfg: SurrogateConfig, data_summary: dict, hidden) -> str:
    """What decides a fold's numbers: the config less where/how it runs (output, workers, executor,
    fold subset, threads), the loaded data's counts and the searched architecture."""
    plain = to_dict(cfg)
    plain.pop("output")
    for key in ("workers", "executor", "folds"):
        plain["cv"].pop(key)
    plain["train"].pop("threads")
    return fingerprint(plain, data_summary, hidden)


def run_surrogate(cfg: SurrogateConfig, output: Path, progress: bool = True, config_file=None) -> dict:
    """``config_file`` is named in configuration errors.  The data are loaded (and checked) before
    the output folder is made, so a run that fails on its input leaves no folder behind (and
    TensorFlow is imported only after the data have loaded)."""
    t_start = time.perf_counter()
    data, data_summary = load_dataset(cfg.data, cfg.seed, config_file, progress)
    environment = local_environment(cfg, data, config_file)
    from pf_app.surrogate.evaluator import NumpySurrogate
    from pf_app.surrogate.training import evaluate, fit_method

    output.mkdir(parents=True, exist_ok=True)
    write_text_atomic(output / "config.yaml", yaml.safe_dump(to_dict(cfg), sort_keys=False))
    if cfg.output.write_extxyz:
        from pf_app.surrogate.atoms_io import write_extxyz

        write_extxyz(output / "dataset.extxyz", data)
    problem = Problem.from_data(data, environment)
    groups = composition_groups(data)
    rng = np.random.default_rng(cfg.seed)
    folds = kfold_per_composition(groups, cfg.cv.k, rng, cfg.cv.validation_fraction)
    final_split = split_per_composition(groups, rng)
    summary = {"data": data_summary, "species": list(problem.species), "lattice": data.lattice.name}

    hidden = None
    if cfg.search.enabled:
        from pf_app.surrogate.search import constructive_search

        found = constructive_search(problem, final_split, cfg.model, cfg.train, cfg.search, cfg.seed, progress)
        hidden = found["hidden"]
        summary["search"] = {"hidden": [list(h) for h in hidden], "score": found["score"],
                             "trials": [{**t, "hidden": [list(h) for h in t["hidden"]]} for t in found["trials"]]}

    fold_ids = cfg.cv.folds if cfg.cv.folds is not None else tuple(range(cfg.cv.k))
    if fold_ids:  # cv.folds: [] trains the final models only (no tables)
        pair_rmse = pair_baseline(problem, [folds[f] for f in fold_ids])
        store = FoldStore(output / "cv_folds", cv_fingerprint(cfg, data_summary, hidden))
        cv = run_cross_validation(problem, folds, cfg.methods, cfg.model, cfg.train, cfg.cv.workers,
                                  cfg.cv.executor, fold_ids, hidden, progress, store)
        summary["cv_wall_seconds"] = cv["wall_seconds"]
        summary["cv_resumed_folds"] = cv["resumed"]

    rate, final = {}, {}
    x_test = (one_hot(data.numbers[final_split["test"]], problem.species) if problem.features is None
              else problem.features[final_split["test"]])
    for method in cfg.methods if cfg.output.final_models else ():
        fitted = fit_method(problem, method, final_split, cfg.model, cfg.train, hidden, progress)
        scores = evaluate(fitted, problem, final_split["test"])
        final[method] = {"rmse_test": scores["rmse"], "rmse_test_standardized": scores["rmse_standardized"],
                         "train_seconds": fitted.history["seconds"]}
        rate[method] = predictions_per_second(NumpySurrogate.from_keras(fitted.model, problem.species), x_test)
        _save_model(output / "models", fitted, problem)
    summary["final_models"] = final

    if fold_ids:
        tables = report.write_tables(output, cv, pair_rmse, rate)
        report.plot_scatter(output, cv, problem)
        report.plot_learning_curves(output, cv)
        summary["cv_rmse"] = tables["cv_rmse"]
        summary["timing"] = tables["timing"]
    summary["wall_seconds"] = time.perf_counter() - t_start
    write_json_atomic(output / "summary.json", summary)
    return summary


def local_environment(cfg: SurrogateConfig, data, config_file=None):
    """The local network's :class:`~.local_environment.LocalEnvironment` of the data's lattice (None
    for the fixed-cell network); a lattice it cannot describe is a one-line configuration error."""
    if cfg.model.kind != "local":
        return None
    from pf_app.config import ConfigError
    from pf_app.surrogate.local_environment import LocalEnvironment

    try:
        return LocalEnvironment.of(data.lattice, cfg.model.shells, cfg.model.pair_shells)
    except ValueError as exc:
        raise ConfigError(config_file, "model.kind", "a lattice whose sites all have the same neighbour "
                          "shells (for kind: local)", str(exc)) from None


def _save_model(directory: Path, fitted, problem: Problem) -> None:
    stem = directory / f"surrogate_{fitted.method}"
    with atomic_path(stem.with_suffix(".keras")) as tmp:
        fitted.model.save(tmp)
    env = problem.environment
    kind = {} if env is None else {"kind": "local", "environment": env.to_dict(),
                                   "sites_per_cell": problem.data.lattice.n_sites,
                                   "site_energy": "(mean_E + std_E * out_E) / sites_per_cell, eV"}
    write_json_atomic(stem.with_suffix(".json"), {
        "format": "pf_app.surrogate.model/1", "method": fitted.method, "species": list(problem.species), **kind,
        "input": ("one-hot, site-major, species in the order above" if env is None else
                  "site features (pf_app.surrogate.local_environment): own species one-hot, then per shell "
                  "the fraction of neighbours of each species but the first, then pair classes"),
        "lattice": problem.data.lattice.name, "site_positions_angstrom": problem.data.lattice.positions.tolist(),
        "cell_angstrom": problem.data.lattice.cell.tolist(),
        "standardization": fitted.standardizer.to_dict(),
        "targets": {"E": "mixing energy, eV per cell", "C": "charge transfer, e per site", "M": "moment, mu_B per site"},
        "reference_energies_eV_per_atom": {str(k): v for k, v in problem.references_eV_per_atom.items()},
    })
