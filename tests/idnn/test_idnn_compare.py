"""IDNN vs standard DNN: the IDNN's mu is a gradient (measured), the standard DNN's is not."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pf_app import mu_table
from pf_app.config import build
from pf_app.idnn import integrability
from pf_app.idnn.config import IDNNConfig
from pf_app.idnn.synthetic import derivative_table, landau_b2, sample_b2

pytest.importorskip("tensorflow")


def test_integrability_measures_on_known_fields():
    """A gradient field gives round-off; a rotational field gives O(1)."""
    exact = integrability.measure(lambda x: landau_b2(x, 1)[1])
    assert exact["loop_mismatch_max"] < 1e-12 and exact["relative_curl"] < 1e-7
    swirl = integrability.measure(lambda x: np.column_stack([-x[:, 1], x[:, 0] - 0.7]))
    assert swirl["loop_mismatch_max"] > 0.5 and swirl["relative_curl"] > 0.5


def test_two_idnns_vs_two_standard_dnns(tmp_path):
    from pf_app.idnn.compare import run_comparison

    path = tmp_path / "mu.csv"
    mu_table.write(derivative_table(landau_b2, sample_b2(2000, seed=0)), path)
    cfg = build(IDNNConfig, {"data": {"path": str(path)}, "model": {"hidden": [8, 8]},
                              "training": {"epochs": 15, "batch_size": 128, "lbfgs_iterations": 0, "threads": 1},
                              "output": {"directory": str(tmp_path), "name": "cmp"}})
    summary = run_comparison(cfg, count=2, progress=False)
    runs = {(r["kind"], r["seed"]): r for r in summary["runs"]}
    assert set(runs) == {("IDNN", 0), ("IDNN", 1), ("standard DNN", 0), ("standard DNN", 1)}
    for seed in (0, 1):
        idnn, dnn = runs["IDNN", seed], runs["standard DNN", seed]
        assert idnn["loop_mismatch_max"] < 1e-10 and idnn["relative_curl"] < 1e-5
        # the standard DNN fits mu about as well but its field is not a gradient (measured values
        # are 1e-3..1e-1; an exactly integrable field would give round-off as above)
        assert dnn["loop_mismatch_max"] > 1e-4 and dnn["relative_curl"] > 1e-3
        assert dnn["final_val_mse"] < 0.1 and idnn["final_val_mse"] < 0.1
    assert (tmp_path / "cmp.comparison.png").stat().st_size > 0
    assert json.loads((tmp_path / "cmp.comparison.json").read_text())["count"] == 2
