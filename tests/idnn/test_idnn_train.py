"""IDNN training recovers known free energies from exact derivative data; config and CLI behaviour.

Tolerances: the networks are small and trained for seconds, so g is recovered to a fraction of a
percent of its range over the domain, not to round-off; the bounds below hold with margin 3-5x at
the stated seeds (they were measured, then loosened).
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from pf_app import mu_table
from pf_app.config import ConfigError, build
from pf_app.idnn import weights as idnn_weights
from pf_app.idnn.config import IDNNConfig
from pf_app.idnn.synthetic import derivative_table, landau_b2, sample_b2

pytest.importorskip("tensorflow")

from pf_app.idnn.train import train  # noqa: E402

FAST = {"batch_size": 256, "learning_rate": 0.01, "threads": 1}


def _table(tmp_path, free_energy, n, name="mu.csv", **kw):
    path = tmp_path / name
    mu_table.write(derivative_table(free_energy, sample_b2(n, seed=0), **kw), path)
    return path


def _cfg(path, tmp_path, **sections):
    data = {"data": {"path": str(path)}, "output": {"directory": str(tmp_path), "name": "t"}}
    for key, value in sections.items():
        data[key] = value
    return build(IDNNConfig, data)


def _max_error_up_to_constant(model, truth, x):
    d = model.evaluate(x, 0) - truth(x, 0)
    return float(np.abs(d - d.mean()).max())


def test_landau_polynomial_recovered_with_anchor(tmp_path):
    """g of a Landau polynomial from its derivatives, the constant fixed by one anchor g(c0, 0) = 0."""
    path = _table(tmp_path, landau_b2, 4000)
    c0 = 1 / math.sqrt(2)
    cfg = _cfg(path, tmp_path, model={"hidden": [16, 16]},
               loss={"anchors": [{"x": [c0, 0.0], "g": 0.0}]},
               training={**FAST, "epochs": 30, "lbfgs_iterations": 200})
    result = train(cfg, progress=False)
    x = sample_b2(3000, seed=11)
    g_true = landau_b2(x, 0)
    err = np.abs(result.weights.evaluate(x, 0) - g_true).max()
    assert err < 5e-3 * np.ptp(g_true), err  # absolute g (anchored): 0.5 % of its range (1.09 eV); measured 0.13 %
    assert abs(result.weights.evaluate(np.array([[c0, 0.0]]), 0)[0]) < 1e-3
    assert result.weights.provenance["final_errors"]["validation"]["mse_mu"] < 1e-4


def test_three_order_parameters_with_user_invariants(tmp_path):
    """User invariants (c, eta1^2 + eta2^2, eta1^2 eta2^2): g recovered, symmetric bit for bit."""
    def truth(x, order=1):
        c, e1, e2 = x.T
        s, p = e1 ** 2 + e2 ** 2, e1 ** 2 * e2 ** 2
        g = 2 * (c - 0.5) ** 2 - 0.5 * s + s ** 2 + 0.8 * p
        grad = np.column_stack([4 * (c - 0.5), (-1 + 4 * s + 1.6 * e2 ** 2) * e1, (-1 + 4 * s + 1.6 * e1 ** 2) * e2])
        return g if order == 0 else (g, grad)

    rng = np.random.default_rng(0)
    x = rng.uniform([0.0, -0.6, -0.6], [1.0, 0.6, 0.6], (3000, 3))
    mu_table.write(derivative_table(truth, x, ("c", "eta1", "eta2")), tmp_path / "mu3.csv")
    cfg = _cfg(tmp_path / "mu3.csv", tmp_path, model={"hidden": [12, 12], "features": ["c", "eta1^2 + eta2^2",
                                                                                        "eta1^2*eta2^2"]},
               training={**FAST, "epochs": 25, "lbfgs_iterations": 150})
    w = train(cfg, progress=False, write=False).weights
    xt = rng.uniform([0.05, -0.55, -0.55], [0.95, 0.55, 0.55], (2000, 3))
    assert _max_error_up_to_constant(w, truth, xt) < 1e-2 * np.ptp(truth(xt, 0))
    for image in (xt * [1, -1, 1], xt * [1, 1, -1], xt[:, [0, 2, 1]]):
        np.testing.assert_array_equal(w.evaluate(image, 0), w.evaluate(xt, 0))


@pytest.mark.slow
def test_published_idnn_recovered_from_its_derivatives(tmp_path, published_idnn_dir):
    """Ground truth: the published B2 IDNN; 20k exact derivative points, the default recipe shortened."""
    from pf_app.idnn.mechanochem import load_mechanochem

    truth = load_mechanochem(published_idnn_dir).evaluate
    path = _table(tmp_path, truth, 20000)
    cfg = _cfg(path, tmp_path, training={"threads": 2, "epochs": 60, "lbfgs_iterations": 300})
    result = train(cfg, progress=False, write=False)
    x = sample_b2(5000, seed=12)
    err = _max_error_up_to_constant(result.weights, truth, x)
    assert err < 5e-3 * np.ptp(truth(x, 0)), err  # 0.5 % of the range of g (0.25 eV); measured 0.15 %
    assert result.weights.provenance["final_errors"]["validation"]["mse_mu"] < 2e-5


def test_config_errors_name_the_key(tmp_path):
    path = _table(tmp_path, landau_b2, 200)
    with pytest.raises(ConfigError, match=r"model\.features\[1\].*unknown name 'zeta'"):
        train(_cfg(path, tmp_path, model={"features": ["c", "zeta^2"]}, training={"threads": 1}), write=False)
    with pytest.raises(ConfigError, match=r"loss\.weights\.zeta"):
        train(_cfg(path, tmp_path, loss={"weights": {"zeta": 1.0}}, training={"threads": 1}), write=False)
    with pytest.raises(ConfigError, match=r"loss\.anchors\[0\]\.x"):
        train(_cfg(path, tmp_path, loss={"anchors": [{"x": [0.5], "g": 0.0}]}, training={"threads": 1}), write=False)
    with pytest.raises(ConfigError, match=r"training\.optimizer"):
        _cfg(path, tmp_path, training={"optimizer": "lbfgs"})
    with pytest.raises(ConfigError, match=r"data\.weight_by_standard_errors.*se_mu_c"):
        train(build(IDNNConfig, {"data": {"path": str(path), "weight_by_standard_errors": True},
                                  "training": {"threads": 1}}), write=False)
    two = derivative_table(landau_b2, sample_b2(20, 1))
    two.columns["kT"][:10] = 2.0
    mu_table.write(two, tmp_path / "two.csv")
    with pytest.raises(ConfigError, match=r"data\.temperature.*several"):
        train(_cfg(tmp_path / "two.csv", tmp_path, training={"threads": 1}), write=False)


def test_cli_train_writes_weights_with_provenance_log_and_plot(tmp_path):
    path = _table(tmp_path, landau_b2, 1000)
    cfg = tmp_path / "idnn.yaml"
    cfg.write_text(f"data: {{path: {path}, value_column: g}}\nmodel: {{hidden: [6]}}\n"
                   f"training: {{epochs: 3, lbfgs_iterations: 5, threads: 1}}\noutput: {{name: cli}}\n")
    out = subprocess.run([sys.executable, "-m", "pf_app", "train", str(cfg), "--output", str(tmp_path),
                          "--set", "training.batch_size=128", "--quiet"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    w = idnn_weights.load(tmp_path / "cli.idnn.json")
    prov = w.provenance
    assert prov["data_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert prov["config"]["training"]["batch_size"] == 128 and prov["invariants"] == ["c", "eta^2"]
    assert set(prov["final_errors"]) == {"train", "validation", "value_max_abs"}  # g values were used
    log = (tmp_path / "cli.log.csv").read_text().splitlines()
    assert log[0].startswith("phase,epoch,step,time_s,learning_rate,train_loss,val_loss,val_mse")
    assert [r.split(",")[0] for r in log[1:]] == ["start"] + ["epochs"] * 3 + ["lbfgs"]
    assert (tmp_path / "cli.learning.png").stat().st_size > 0
    assert json.loads(out.stdout)["stopped_by"] == "completed"
    cfg.write_text(f"data: {{path: {path}}}\nmodel: {{activation: relu}}\n")
    out = subprocess.run([sys.executable, "-m", "pf_app", "train", str(cfg)], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "model.activation" in out.stderr


@pytest.mark.parametrize("name", ["idnn_b2.yaml", "idnn_seed_recipe.yaml"])
def test_example_inputs_are_valid(name):
    from pathlib import Path

    from pf_app.config import load

    cfg = load(IDNNConfig, Path(__file__).resolve().parents[2] / "inputs" / name)
    assert cfg.model.activation == "softplus"


def test_schedules_and_stop_criteria(tmp_path):
    from pf_app.idnn.loop import learning_rate

    for schedule in ("exponential", "cosine"):
        t = _cfg("x.csv", tmp_path, training={"schedule": schedule, "epochs": 11, "learning_rate": 0.1,
                                              "final_lr_fraction": 0.01}).training
        lrs = [learning_rate(t, e) for e in range(11)]
        assert lrs[0] == pytest.approx(0.1) and lrs[-1] == pytest.approx(1e-3) and np.all(np.diff(lrs) < 0)
    path = _table(tmp_path, landau_b2, 500)
    result = train(_cfg(path, tmp_path, model={"hidden": [4]},
                        training={**FAST, "batch_size": 32, "epochs": 50, "target_val_mse": 1.0}), write=False,
                   progress=False)
    rows = result.history.rows
    assert result.history.stopped_by == "target_val_mse" and rows[0]["val_mse"] > 1.0 >= rows[-1]["val_mse"]
    assert rows[-1]["phase"] == "epochs" and len(rows) < 50
    result = train(_cfg(path, tmp_path, model={"hidden": [4]},
                        training={**FAST, "epochs": 10 ** 6, "max_seconds": 1.0}), write=False, progress=False)
    assert result.history.stopped_by == "max_seconds" and result.history.rows[-1]["time_s"] < 30
