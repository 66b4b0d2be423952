"""Training wall time per model and the accuracy reached, on the LSMS CuAu data (from ../shared).

One STL energy model with the fast default recipe (inputs/surrogate_cuau.yaml), trained on fold 0 of
the per-composition 5-fold split with TensorFlow on 2 threads.  Prints JSON lines:
training wall time (baseline: the seed's quoted 4,000-5,000 s per model on a V100, 4500 s; goal
<= 120 s on 2 cores) and the test energy RMSE in meV/cell (baseline: the linear pair model on the
same fold; ratio < 1 means the network is more accurate).
Run: .venv/bin/python benchmarks/surrogate_train.py [--epochs N]
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
SEED_SECONDS = 4500.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=None, help="override train.epochs")
    args = parser.parse_args()

    from pf_app.surrogate.config import load_config
    from pf_app.surrogate.cv import pair_baseline
    from pf_app.surrogate.datasets import composition_groups, kfold_per_composition
    from pf_app.surrogate.problem import Problem
    from pf_app.surrogate.sources import load_dataset
    from pf_app.surrogate.training import evaluate, fit_method

    os.chdir(REPO)  # the config's data path is relative to the repository
    cfg = load_config(REPO / "inputs/surrogate_cuau.yaml")
    train = dataclasses.replace(cfg.train, threads=2, epochs=args.epochs or cfg.train.epochs)
    data, _ = load_dataset(cfg.data, cfg.seed)
    problem = Problem.from_data(data)
    fold = kfold_per_composition(composition_groups(data), cfg.cv.k, np.random.default_rng(cfg.seed))[0]
    fitted = fit_method(problem, "E", fold, cfg.model, train, progress=True)
    rmse = evaluate(fitted, problem, fold["test"])["rmse"]["E"]
    pair = pair_baseline(problem, [fold])[0]
    seconds = fitted.history["seconds"]
    for name, value, unit, baseline in (
            ("surrogate_train_seconds_per_model", seconds, "s", SEED_SECONDS),
            ("surrogate_train_epochs", fitted.history["epochs"], "epochs", train.epochs),
            ("surrogate_energy_rmse_fold0", rmse, "meV/cell", pair)):
        print(json.dumps({"name": name, "value": round(float(value), 3), "unit": unit,
                          "baseline": round(float(baseline), 3), "ratio": round(float(value / baseline), 4)}),
              flush=True)


if __name__ == "__main__":
    main()
