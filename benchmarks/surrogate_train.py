"""Training wall time per model at the seed's accuracy, on the LSMS CuAu data (from ../shared).

One STL energy model on fold 0 of the per-composition 5-fold split, TensorFlow on 2 threads:

1. the seed's recipe (inputs/surrogate_cuau_seed_recipe.yaml without its search: ReLU 500-500,
   constant Adam 1e-4, batch 64, no augmentation, up to 1000 epochs, early stopping with patience
   50) gives the seed's accuracy on this split: its best validation loss and its test RMSE;
2. the fast default recipe (inputs/surrogate_cuau.yaml) trained until its validation loss reaches
   that of the seed's recipe: the training time at the seed's accuracy (goal <= 120 s on 2 cores;
   baselines: the seed's recipe on this machine, and the seed's quoted 4,000-5,000 s on a V100);
3. (unless --no-full) the fast recipe's full schedule, for the accuracy it ends at.

Prints JSON lines (value, baseline, ratio).  About 15-30 min on 2 cores (the seed's recipe dominates).
Run: .venv/bin/python benchmarks/surrogate_train.py [--seed-epochs N] [--no-full]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SEED_QUOTED_SECONDS = 4500.0  # the seed's 4,000-5,000 s per model on a V100


def emit(name: str, value: float, unit: str, baseline: float | None = None) -> None:
    print(json.dumps({"name": name, "value": round(float(value), 4), "unit": unit,
                      "baseline": None if baseline is None else round(float(baseline), 4),
                      "ratio": None if not baseline else round(float(value / baseline), 4)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-epochs", type=int, default=None, help="cap the seed recipe's epochs")
    parser.add_argument("--no-full", action="store_true", help="skip the fast recipe's full schedule")
    args = parser.parse_args()

    from pf_app.surrogate.config import load_config
    from pf_app.surrogate.cv import pair_baseline
    from pf_app.surrogate.datasets import composition_groups, kfold_per_composition
    from pf_app.surrogate.problem import Problem
    from pf_app.surrogate.sources import load_dataset
    from pf_app.surrogate.training import evaluate, fit_method

    os.chdir(REPO)  # the configs' data paths are relative to the repository
    fast = load_config(REPO / "inputs/surrogate_cuau.yaml")
    seed = load_config(REPO / "inputs/surrogate_cuau_seed_recipe.yaml")
    data, _ = load_dataset(fast.data, fast.seed)
    problem = Problem.from_data(data)
    fold = kfold_per_composition(composition_groups(data), fast.cv.k, np.random.default_rng(fast.seed))[0]

    def train(cfg, label, **changes):
        recipe = dataclasses.replace(cfg.train, threads=2, **changes)
        fitted = fit_method(problem, "E", fold, cfg.model, recipe, progress=True, label=label)
        h = fitted.history
        return h["seconds"], h["epochs"], min(h["val_loss"]), evaluate(fitted, problem, fold["test"])["rmse"]["E"]

    s_sec, s_ep, s_val, s_rmse = train(seed, "seed recipe", **({"epochs": args.seed_epochs} if args.seed_epochs else {}))
    emit("surrogate_seed_recipe_seconds", s_sec, "s", SEED_QUOTED_SECONDS)
    emit("surrogate_seed_recipe_epochs", s_ep, "epochs")
    emit("surrogate_seed_recipe_best_val_loss", s_val, "standardized MSE")
    emit("surrogate_seed_recipe_energy_rmse_fold0", s_rmse, "meV/cell")

    f_sec, f_ep, f_val, f_rmse = train(fast, "fast recipe to the seed's accuracy", target_val_loss=s_val)
    emit("surrogate_train_seconds_to_seed_accuracy", f_sec, "s", s_sec)
    emit("surrogate_train_seconds_to_seed_accuracy_vs_quoted_v100", f_sec, "s", SEED_QUOTED_SECONDS)
    emit("surrogate_train_epochs_to_seed_accuracy", f_ep, "epochs", s_ep)
    emit("surrogate_val_loss_reached", f_val, "standardized MSE", s_val)
    emit("surrogate_energy_rmse_fold0_at_seed_accuracy", f_rmse, "meV/cell", s_rmse)

    pair = pair_baseline(problem, [fold])[0]
    if not args.no_full:
        full_sec, full_ep, _, full_rmse = train(fast, "fast recipe, full schedule")
        emit("surrogate_train_seconds_full_schedule", full_sec, "s", SEED_QUOTED_SECONDS)
        emit("surrogate_train_epochs_full_schedule", full_ep, "epochs")
        emit("surrogate_energy_rmse_fold0_full_schedule", full_rmse, "meV/cell", pair)
    emit("surrogate_pair_model_energy_rmse_fold0", pair, "meV/cell")


if __name__ == "__main__":
    main()
