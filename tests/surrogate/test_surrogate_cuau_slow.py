"""On the LSMS CuAu data: the network beats the linear pair model's energy RMSE on the same folds,
and the MTL energy RMSE spread across folds is reported next to the STL one (slow: a few minutes)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from pf_app.surrogate.config import load_config
from pf_app.surrogate.cv import pair_baseline, run_cross_validation
from pf_app.surrogate.datasets import composition_groups, kfold_per_composition
from pf_app.surrogate.problem import Problem
from pf_app.surrogate.report import PAIR_MODEL, rmse_rows, to_markdown
from pf_app.surrogate.sources import load_dataset

REPO = Path(__file__).resolve().parents[2]
K = 5
FOLDS = (0, 1)  # two of the five folds, one per worker: the spread needs at least two


@pytest.mark.slow
def test_network_beats_linear_pair_model_and_reports_mtl_spread(lsms_cuau_dir):
    cfg = load_config(REPO / "inputs/surrogate_cuau.yaml",
                      {"data.path": str(lsms_cuau_dir / "CuAu_32atoms_LSMS.npz")})
    data, _ = load_dataset(cfg.data, cfg.seed)
    problem = Problem.from_data(data)
    folds = kfold_per_composition(composition_groups(data), K, np.random.default_rng(cfg.seed))
    pair = pair_baseline(problem, [folds[f] for f in FOLDS])
    train = dataclasses.replace(cfg.train, threads=1)
    cv = run_cross_validation(problem, folds, ("E", "ECM"), cfg.model, train, workers=2, fold_ids=FOLDS,
                              progress=False)
    rows = {(r["quantity"], r["method"]): r for r in rmse_rows(cv, pair)}
    print("\n" + to_markdown(list(rows.values())))
    stl, mtl, baseline = rows[("E", "E")], rows[("E", "ECM")], rows[("E", PAIR_MODEL)]
    # measured ~23 meV/cell for the pair model; the network must do better on the same test folds
    assert 15 < baseline["rmse_mean"] < 30
    assert stl["rmse_mean"] < baseline["rmse_mean"]
    for row in (stl, mtl):
        assert row["folds"] == len(FOLDS) and np.isfinite(row["rmse_std"]) and row["rmse_std"] > 0
    names = [r["method"] for r in rmse_rows(cv, pair) if r["quantity"] == "E"]
    assert names == ["E", "ECM", PAIR_MODEL]  # STL, MTL and the baseline side by side
