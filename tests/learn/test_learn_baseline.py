"""The loop with ``train.model.baseline: ideal_mixing``: it hands its own order-parameter map to the
trainer (a different map is a one-line error), every member and the exported committee model carry the
same ideal-mixing baseline at the data's kT, and the next round's point choice (wells, non-convex
region, committee) runs on g with the baseline.  Exact derivatives of landau_l12 (tiny recipe: the
numbers are not the claim, the plumbing is)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from pf_app.config import ConfigError
from pf_app.learn.config import load_learn_config

FCC_Q = np.array([[1, 1, 1, 1], [1, 1, -1, -1], [1, -1, -1, 1], [1, -1, 1, -1]]) / 4
NAMES = ["x", "eta1", "eta2", "eta3"]
SETTINGS = {
    "oracle": {"kind": "exact", "free_energy": "landau_l12", "held_out": 100},
    "order_parameters": {"Q": [[1, 1, 1, 1], [1, 1, -1, -1], [1, -1, -1, 1], [1, -1, 1, -1]], "scale": 0.25,
                         "names": NAMES},
    "train": {"data": {"validation_fraction": 0.2, "temperature": 1.0},
              "model": {"hidden": [6], "features": "cubic", "baseline": "ideal_mixing"},
              "scaling": {"labels": "per_component"},
              "training": {"epochs": 3, "batch_size": 32, "lbfgs_iterations": 10, "threads": 1, "seed": 0}},
    "points": {"initial": 48, "sobol": 4, "error": 4, "committee": 8, "wells": 8, "candidates": 256},
    "committee": {"members": 2},
    "stop": {"val_mse": 1e-12, "max_points": 200, "max_rounds": 2},
}


def _write(tmp_path, settings) -> "Path":  # noqa: F821
    path = tmp_path / "l.yaml"
    path.write_text(yaml.safe_dump({**settings, "output": {"directory": str(tmp_path / "out"), "name": "l12"}}))
    return path


def test_loop_refuses_a_baseline_map_other_than_its_own(tmp_path):
    from pf_app.learn.adapters import with_baseline_map

    filled = with_baseline_map(SETTINGS["train"], FCC_Q)
    assert filled["model"]["baseline_Q"] == FCC_Q.tolist() and "baseline_Q" not in SETTINGS["train"]["model"]
    assert with_baseline_map({"model": {"features": "cubic"}}, FCC_Q) == {"model": {"features": "cubic"}}
    wrong = {**SETTINGS, "train": {**SETTINGS["train"],
                                   "model": {**SETTINGS["train"]["model"], "baseline_Q": (4 * FCC_Q).tolist()}}}
    with pytest.raises(ConfigError, match=r"l\.yaml: train\.model\.baseline_Q: expected the loop's order-parameter "
                                          r"map"):
        load_learn_config(_write(tmp_path, wrong))
    same = {**SETTINGS, "train": {**SETTINGS["train"],
                                  "model": {**SETTINGS["train"]["model"], "baseline_Q": FCC_Q.tolist()}}}
    load_learn_config(_write(tmp_path, same))


def test_members_and_export_carry_the_loops_ideal_mixing_baseline(tmp_path):
    pytest.importorskip("tensorflow")
    from pf_app.idnn.baseline import IdealMixing
    from pf_app.idnn.weights import load
    from pf_app.learn.loop import run_loop

    path = _write(tmp_path, SETTINGS)
    summary = run_loop(load_learn_config(path), path, progress=False)
    assert summary["rounds"] == 2 and np.isfinite(summary["validation_mse"])
    want = IdealMixing.from_order_parameter_map(1.0, FCC_Q)
    out = tmp_path / "out"
    for r in (0, 1):
        for k in range(2):
            assert load(out / "rounds" / f"r00{r}" / "models" / f"member{k}.idnn.json").baseline.same_as(want)
    model = load(out / "l12.idnn.json")
    assert model.baseline.same_as(want)
    reasons = (out / "rounds" / "r001" / "points.csv").read_text()
    assert "well" in reasons and "committee" in reasons  # round 1's choice ran on g with the baseline
