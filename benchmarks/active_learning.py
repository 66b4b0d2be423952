"""Points the active-learning loop needs to reach the shipped B2 IDNN's held-out error (issue 13, B2 goal).

Goal: reach the validation error of the shipped IDNN (models/b2_idnn.json) on held-out Monte Carlo
points with at most 1/3 of the shipped campaign's 11,800 points.

Oracle: a POOL, not fresh Monte Carlo.  Running thousands of new umbrella points at L = 12 is beyond
this machine's budget, so every point the loop asks for is answered by the nearest (in the sublattice
fractions) not-yet-used row of the shipped table data/b2/b2_mu.csv.  The held-out set is the shipped
IDNN's own 1,201 validation rows (inputs/idnn_b2_mc.yaml, seed 0): they are removed from the pool
first, never answered, never trained on, and only used to measure the error after each round.  An
answer the shipped training would not learn (a box split into antiphase domains, or an L = 6 row
superseded by L = 12 data) counts as a spent point, as it would in a campaign.  The committee members
use the shipped recipe (inputs/learn_b2_pool.yaml).

Control, measured in the same run: a committee trained the same way on as many pool rows drawn at
random (uniformly from the pool, i.e. the shipped campaign's own point distribution).

Prints one JSON object per line: {"name", "value", "unit", "baseline", "ratio", ...}.

    .venv/bin/python benchmarks/active_learning.py --quick     # rounds of 400 points, 3 members
    .venv/bin/python benchmarks/active_learning.py             # rounds of 200 points, 4 members
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from pf_app import mu_table  # noqa: E402
from pf_app.learn import adapters  # noqa: E402
from pf_app.learn.committee import Committee  # noqa: E402
from pf_app.learn.config import load_learn_config  # noqa: E402
from pf_app.learn.loop import learnable, run_loop  # noqa: E402
from pf_app.learn.oracles import PoolOracle  # noqa: E402
from pf_app.learn.sampling import domain_of  # noqa: E402

CONFIG = REPO / "inputs" / "learn_b2_pool.yaml"
SHIPPED_MODEL = REPO / "models" / "b2_idnn.json"
SHIPPED_POINTS = 11_800  # the shipped campaign: 10,200 L = 12 + 1,600 L = 6 umbrella points (data/b2/PROVENANCE.md)
ORACLE_NOTE = ("pool oracle: each point answered by the nearest unused row of the shipped table "
               "data/b2/b2_mu.csv (no Monte Carlo run); held-out = the shipped IDNN's 1,201 validation rows")
FULL = {"points.sobol": 50, "points.error": 50, "points.committee": 75, "points.wells": 25, "committee.members": 4}


def emit(name, value, unit, baseline=None, **extra) -> None:
    ratio = value / baseline if value is not None and baseline not in (None, 0) else None
    print(json.dumps({"name": name, "value": value, "unit": unit, "baseline": baseline, "ratio": ratio, **extra}),
          flush=True)


def mse(model, x, mu) -> float:
    return float(((model.evaluate(x, 1)[1] - mu) ** 2).mean(axis=0).sum())


def ordering_shape(model) -> tuple[float, float]:
    """(well position eta*, d2g/deta2 at the disordered state) along c = 1/sqrt2."""
    c0 = 1 / math.sqrt(2)
    eta = np.linspace(0.0, 0.69, 691)
    g = model.evaluate(np.column_stack([np.full_like(eta, c0), eta]), 0)
    return float(eta[np.argmin(g)]), float(model.evaluate(np.array([[c0, 0.0]]), 2)[2][0, 1, 1])


def passive_committee(cfg, n_points: int, directory: Path, progress: bool):
    """The same committee trained on ``n_points`` pool rows drawn uniformly at random (seed 0)."""
    oracle = PoolOracle(cfg.oracle.table, cfg.oracle.held_out_from, domain_of(cfg))
    rows = np.random.default_rng(0).choice(np.flatnonzero(oracle.in_pool), n_points, replace=False)
    table = oracle.pool.select(np.sort(rows))
    path = directory / "passive.csv"
    mu_table.write(table, path)
    base = int((cfg.train.get("training") or {}).get("seed", 0))
    members = [adapters.train_member(cfg.train, path, base + k, directory / "passive", f"member{k}", progress)
               for k in range(cfg.committee.members)]
    return Committee(members).mean_network(), int(learnable(table, adapters.excluded_flags(cfg.train)).sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="rounds of 400 points, 3 members (the config as shipped)")
    ap.add_argument("--output", help="loop folder (default: a temporary folder, removed at the end)")
    ap.add_argument("--no-control", action="store_true", help="skip the random-points control")
    ap.add_argument("--progress", action="store_true", help="progress lines on stderr")
    args = ap.parse_args()
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.output) if args.output else Path(tmp) / "loop"
        x_held, mu_held = adapters.held_out_rows(REPO / "inputs" / "idnn_b2_mc.yaml")
        shipped = adapters.load_model(SHIPPED_MODEL)
        target = mse(shipped, x_held, mu_held)
        budget = SHIPPED_POINTS // 3
        overrides = {"output.directory": str(out), "stop.val_mse": target, "stop.max_points": budget}
        if not args.quick:
            overrides.update(FULL)
        cfg = load_learn_config(CONFIG, overrides)
        emit("held_out_target_mse", target, "eV^2", None, held_out_rows=len(x_held),
             note="shipped IDNN's validation MSE of mu (mu_c + mu_eta) on its held-out rows; the loop's target")
        summary = run_loop(cfg, CONFIG, progress=args.progress)
        loop_s = time.perf_counter() - t0
        reached = summary["stopped_by"] == "targets reached"
        learned = adapters.load_model(Path(summary["model"]))
        emit("points_to_target", summary["points"] if reached else None, "points", SHIPPED_POINTS,
             reached=reached, budget=budget, rounds=summary["rounds"], oracle=ORACLE_NOTE,
             **({} if reached else {"points_spent": summary["points"]}))
        emit("learnable_points_to_target", summary["learnable_points"] if reached else None, "points",
             shipped.provenance.get("train_rows"), note="rows the trainer kept; baseline: the shipped IDNN's "
             "training rows")
        err = learned.evaluate(x_held, 1)[1] - mu_held
        per = (err ** 2).mean(axis=0)
        ship_per = ((shipped.evaluate(x_held, 1)[1] - mu_held) ** 2).mean(axis=0)
        emit("held_out_mse_at_stop", float(per.sum()), "eV^2", target)
        emit("held_out_mse_mu_c_at_stop", float(per[0]), "eV^2", float(ship_per[0]))
        emit("held_out_mse_mu_eta_at_stop", float(per[1]), "eV^2", float(ship_per[1]))
        well, curvature = ordering_shape(learned)
        ship_well, ship_curvature = ordering_shape(shipped)
        emit("well_eta_at_equiatomic", well, "1", ship_well)
        emit("d2g_deta2_disordered_equiatomic", curvature, "eV", ship_curvature)
        emit("loop_wall_time", loop_s, "s", None, load_average_start=load0, load_average_end=os.getloadavg()[0],
             members=cfg.committee.members)
        if not args.no_control:
            model, kept = passive_committee(cfg, summary["points"], Path(tmp), args.progress)
            emit("random_points_held_out_mse", mse(model, x_held, mu_held), "eV^2", target,
                 points=summary["points"], learnable_points=kept,
                 note="control: the same committee on as many pool rows drawn at random")
        emit("wall_time", time.perf_counter() - t0, "s", None, load_average_end=os.getloadavg()[0])


if __name__ == "__main__":
    main()
