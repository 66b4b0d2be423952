"""Resumable IDNN training: a run stopped after k epochs (or during L-BFGS) and resumed with
``--resume`` ends with the weights of the run that was never stopped, bit for bit.

Why bitwise: the checkpoint restores every number the remaining operations read (float64 weights
and Adam moments through npz, the float32 learning-rate variable, the iteration count, the
shuffling generator's state; the schedule is a function of the epoch), and TensorFlow's CPU kernels
give the same bits for the same inputs, shapes and thread count (1 here).  A round-off difference
would mean something was not restored.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from pf_app import mu_table
from pf_app.config import ConfigError, build
from pf_app.idnn.config import IDNNConfig
from pf_app.idnn.synthetic import derivative_table, landau_b2, sample_b2

pytest.importorskip("tensorflow")

from pf_app.idnn.train import train  # noqa: E402


class Interrupted(Exception):
    """Stands for a kill: raised by a callback after the checkpoint callback has run."""


class StopAt:
    def __init__(self, hook: str, epoch: int | None = None):
        self.hook, self.epoch = hook, epoch

    def on_epoch_end(self, run, epoch):
        if self.hook == "on_epoch_end" and epoch == self.epoch:
            raise Interrupted

    def on_epochs_end(self, run):
        if self.hook == "on_epochs_end":
            raise Interrupted


def _cfg(table, out, **training):
    # Adam with a cosine schedule (moments, iteration count and lr all matter), patience on,
    # a short L-BFGS polish; checkpoints every 2 epochs, so a stop after epoch index 2 loses epoch 3's work
    return build(IDNNConfig, {
        "data": {"path": str(table)}, "model": {"hidden": [6, 6]},
        "training": {"epochs": 6, "batch_size": 64, "threads": 1, "lbfgs_iterations": 12, "patience": 50,
                     "checkpoint_every": 2, **training},
        "output": {"directory": str(out), "name": "r"}})


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "mu.csv"
    mu_table.write(derivative_table(landau_b2, sample_b2(500, seed=0)), path)
    return path


@pytest.fixture(scope="module")
def uninterrupted(table, tmp_path_factory):
    return train(_cfg(table, tmp_path_factory.mktemp("once")), progress=False)


@pytest.mark.parametrize("stop", [StopAt("on_epoch_end", 2), StopAt("on_epochs_end")],
                         ids=["after epoch 3 of 6", "during L-BFGS"])
def test_stopped_and_resumed_training_ends_with_the_same_weights(table, uninterrupted, tmp_path, stop):
    cfg = _cfg(table, tmp_path)
    with pytest.raises(Interrupted):
        train(cfg, progress=False, callbacks=[stop])
    checkpoint = tmp_path / "r.checkpoint.npz"
    assert checkpoint.is_file() and not (tmp_path / "r.idnn.json").exists()
    resumed = train(cfg, progress=False, resume=True)
    for a, b in zip(resumed.weights.layers, uninterrupted.weights.layers):
        np.testing.assert_array_equal(a.weights, b.weights)
        if a.bias is not None:
            np.testing.assert_array_equal(a.bias, b.bias)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "time_s"} for r in rows]
    assert str(strip(resumed.history.rows)) == str(strip(uninterrupted.history.rows))  # NaN-safe comparison
    assert [r["phase"] for r in resumed.history.rows] == ["start"] + ["epochs"] * 6 + ["lbfgs"] * 2
    assert not checkpoint.exists() and (tmp_path / "r.idnn.json").is_file()  # finished: nothing left to resume


def test_resume_refuses_a_changed_recipe_and_a_missing_checkpoint(table, tmp_path):
    with pytest.raises(Interrupted):
        train(_cfg(table, tmp_path), progress=False, callbacks=[StopAt("on_epoch_end", 1)])
    with pytest.raises(ConfigError, match=r"r\.checkpoint\.npz: training\.epochs: expected the value this checkpoint "
                                          r"was made with, 6"):
        train(_cfg(table, tmp_path, epochs=8), progress=False, resume=True)
    resumed = train(_cfg(table, tmp_path, max_seconds=1e6), progress=False, resume=True)  # a stop criterion may change
    assert resumed.history.stopped_by == "completed" and math.isfinite(resumed.history.rows[-1]["val_mse"])
    config = tmp_path / "idnn.yaml"
    config.write_text(f"data: {{path: {table}}}\noutput: {{directory: {tmp_path / 'none'}}}\n")
    out = subprocess.run([sys.executable, "-m", "pf_app", "train", str(config), "--resume"], capture_output=True,
                         text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "idnn.checkpoint.npz: <file>: expected a training " \
        "checkpoint" in out.stderr and not (tmp_path / "none").exists()
