"""Wall time to a validation MSE: our default IDNN recipe vs the seed's, in the same run.

Data: 100k points (c, eta) uniform in the B2 domain with exact mu = dg/dx of the published B2 IDNN
(../shared/data/mechanoChemIGA_B2_IDNN) or, when that is absent, of the Landau polynomial of
:func:`pf_app.idnn.synthetic.landau_b2`; 20 % validation.
Seed recipe: softplus 2x10 on raw (c, eta^2), network trained on 100 mu (g = 0.01 y), Adagrad with
lr 0.1, batch 10, no decay; capped at ``--cap`` seconds.  Ours: ``pf_app.idnn.config`` defaults.
Prints one JSON object per line: {"name", "value", "unit", "baseline", "ratio"}: the data, the wall
time of ours (value) and the seed's (baseline) to reach the seed's best validation MSE within the cap
(or ``--target``) and the easier fixed targets, and the best validation MSE of each recipe.

    .venv/bin/python benchmarks/idnn_recipe.py [--points 100000] [--cap 120] [--target 1e-4]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pf_app import mu_table  # noqa: E402
from pf_app.config import build  # noqa: E402
from pf_app.idnn.config import IDNNConfig  # noqa: E402
from pf_app.idnn.synthetic import derivative_table, landau_b2, sample_b2  # noqa: E402

SHARED = Path(os.environ.get("PF_APP_SHARED", Path(__file__).resolve().parents[2] / "shared"))
PUBLISHED = SHARED / "data" / "mechanoChemIGA_B2_IDNN"

SEED_RECIPE = {
    "model": {"hidden": [10, 10], "activation": "softplus"},
    "scaling": {"inputs": False, "labels": 0.01},
    "training": {"optimizer": "adagrad", "learning_rate": 0.1, "schedule": "constant", "batch_size": 10,
                 "epochs": 100000, "lbfgs_iterations": 0, "evaluations_per_epoch": 20},
}


# validation checks about every 0.1-0.3 s in both runs (the seed's: every 400 steps of batch 10),
# so that times to a target have similar resolution; the recipe itself is the default
OUR_CHECKS = {"training": {"evaluations_per_epoch": 5}}
FIXED_TARGETS = (3e-3, 1e-3)  # validation MSE of mu, (eV per site)^2


def time_to(history, target: float) -> float | None:
    for row in history.rows:
        if row["val_mse"] <= target:
            return row["time_s"]
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--cap", type=float, default=120.0, help="wall-time cap per recipe (s)")
    ap.add_argument("--target", type=float, default=None,
                    help="validation MSE of mu to reach (default: the best the seed's recipe reached)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", choices=("seed", "ours"), help="run one recipe (for profiling)")
    args = ap.parse_args()

    from pf_app.idnn.train import train

    if PUBLISHED.exists():
        from pf_app.idnn.mechanochem import load_mechanochem

        truth, source = load_mechanochem(PUBLISHED).evaluate, "published B2 IDNN"
    else:
        truth, source = landau_b2, "Landau polynomial (published IDNN absent)"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mu.csv"
        mu_table.write(derivative_table(truth, sample_b2(args.points, seed=0)), path)
        base = {"data": {"path": str(path)}}
        runs = {}
        for name, recipe in (("seed", SEED_RECIPE), ("ours", OUR_CHECKS)):
            if args.only and name != args.only:
                continue
            data = {**json.loads(json.dumps(base)), "output": {"directory": tmp, "name": f"{name} recipe"}}
            for key, value in recipe.items():
                data[key] = dict(value)
            data.setdefault("training", {}).update({"threads": args.threads, "max_seconds": args.cap})
            cfg = build(IDNNConfig, data)
            runs[name] = train(cfg, progress=True, write=False).history
    best = {k: float(h.column("val_mse").min()) for k, h in runs.items()}  # the weights a run keeps
    emit = lambda **kw: print(json.dumps(kw), flush=True)
    emit(name="idnn_recipe_data", value=args.points, unit="points", baseline=None, ratio=None, source=source)
    if len(runs) < 2:
        for k, h in runs.items():
            emit(name=f"idnn_recipe_{k}_best_val_mse", value=best[k], unit="(energy/site)^2", baseline=None,
                 ratio=None, wall_time_s=h.rows[-1]["time_s"], stopped_by=h.stopped_by)
        return
    seed, ours = runs["seed"], runs["ours"]
    targets = [args.target if args.target is not None else best["seed"]]
    targets += [v for v in FIXED_TARGETS if v > targets[0]]  # easier targets: times not set by the cap
    for target in targets:
        t_seed, t_ours = time_to(seed, target), time_to(ours, target)
        note = None if t_seed is not None else f"seed recipe did not reach the target within the {args.cap:g} s cap"
        baseline = t_seed if t_seed is not None else seed.rows[-1]["time_s"]
        emit(name=f"idnn_recipe_time_to_val_mse_{target:.3g}", value=t_ours, unit="s", baseline=baseline,
             ratio=(baseline / t_ours) if t_ours else None, note=note, ours_reached=t_ours is not None)
    emit(name="idnn_recipe_final_val_mse", value=best["ours"], unit="(energy/site)^2", baseline=best["seed"],
         ratio=best["seed"] / best["ours"],
         wall_time_s={"ours": ours.rows[-1]["time_s"], "seed": seed.rows[-1]["time_s"]},
         stopped_by={"ours": ours.stopped_by, "seed": seed.stopped_by})

if __name__ == "__main__":
    main()
