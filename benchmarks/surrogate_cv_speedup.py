"""Cross-validation speed-up with 2 worker processes (process pool) over 1 (in-process).

CuAu LSMS data (from ../shared), at most 300 configurations per composition, 4 per-composition folds,
methods E and ECM, 20 epochs, the default network (trunk 512-512): the same jobs run serially and then on 2 workers with
1 TensorFlow thread each.  Baseline: the ideal speed-up 2; ratio = parallel efficiency.
Worker start-up (a TensorFlow import per process) is included, as a user would see it.
Run: .venv/bin/python benchmarks/surrogate_cv_speedup.py
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    from pf_app.surrogate.config import load_config
    from pf_app.surrogate.cv import run_cross_validation
    from pf_app.surrogate.datasets import composition_groups, kfold_per_composition
    from pf_app.surrogate.problem import Problem
    from pf_app.surrogate.sources import load_dataset

    os.chdir(REPO)
    cfg = load_config(REPO / "inputs/surrogate_cuau.yaml", {"data.max_per_composition": 300})
    train = dataclasses.replace(cfg.train, epochs=20, threads=1)
    data, _ = load_dataset(cfg.data, cfg.seed)
    problem = Problem.from_data(data)
    folds = kfold_per_composition(composition_groups(data), 4, np.random.default_rng(0))
    walls = {}
    for workers in (1, 2):
        result = run_cross_validation(problem, folds, ("E", "ECM"), cfg.model, train, workers, progress=False)
        walls[workers] = result["wall_seconds"]
        print(json.dumps({"name": f"surrogate_cv_wall_{workers}_workers", "value": round(walls[workers], 2),
                          "unit": "s", "baseline": round(walls[1], 2), "ratio": round(walls[workers] / walls[1], 3)}),
              flush=True)
    speedup = walls[1] / walls[2]
    print(json.dumps({"name": "surrogate_cv_speedup_2_workers", "value": round(speedup, 3), "unit": "x",
                      "baseline": 2.0, "ratio": round(speedup / 2.0, 3)}), flush=True)


if __name__ == "__main__":
    main()
