"""The seed's comparison: IDNNs vs standard DNNs (a network fitted to mu directly), several seeds.

The standard DNN takes the same scaled B2 invariants (c, eta^2) and outputs two numbers N_0, N_1;
mu_c = s_c N_0 and mu_eta = s_eta (eta / eta_rms) N_1, so mu_eta is odd in eta as the physics
requires, but nothing makes (mu_c, mu_eta) a gradient.  Both kinds train with the same loop, data
split and recipe; the figure shows their validation curves, the JSON their final errors and the
integrability measures of :mod:`pf_app.idnn.integrability`.

Files: ``<directory>/<name>.comparison.png`` and ``<name>.comparison.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pf_app.config import ConfigError
from pf_app.idnn import integrability
from pf_app.idnn.config import IDNNConfig, with_training
from pf_app.atomic_files import write_json_atomic


def build_standard_dnn(model_cfg, shift, scale, label_scale, eta_rms: float):
    """A Keras network mu(c, eta) with an odd mu_eta (float64); see the module docstring."""
    import keras
    import tensorflow as tf

    from pf_app.idnn.model import DTYPE, invariants

    terms = [[(1.0, (1, 0))], [(1.0, (0, 2))]]
    act = {"softplus": "softplus", "tanh": "tanh", "logistic": "sigmoid"}[model_cfg.activation]

    class StandardDNN(keras.Model):
        def __init__(self):
            super().__init__(dtype=DTYPE)
            self.dense = [keras.layers.Dense(n, activation=act, dtype=DTYPE) for n in model_cfg.hidden]
            self.dense.append(keras.layers.Dense(2, dtype=DTYPE))
            n = 2
            for layer in self.dense:
                layer.build((None, n))
                n = layer.units
            self.shift, self.scale = tf.constant(shift), tf.constant(scale)
            self.label_scale = tf.constant(label_scale)

        def call(self, x):
            x = tf.convert_to_tensor(x, tf.float64)
            a = (invariants(x, terms) - self.shift) / self.scale
            for layer in self.dense:
                a = layer(a)
            odd = tf.stack([tf.ones_like(x[:, 1]), x[:, 1] / eta_rms], axis=1)
            return a * odd * self.label_scale

    return StandardDNN()


def _standard_dnn_run(cfg: IDNNConfig, progress: bool, label: str):
    """Train one standard DNN with the IDNN's data, scaling and recipe; return (model, history)."""
    import tensorflow as tf

    from pf_app.idnn.loop import Objective, fit
    from pf_app.idnn.model import invariants
    from pf_app.idnn.train import configure_tensorflow, loss_weights, scales
    from pf_app.idnn.data import load_fit_data

    configure_tensorflow(cfg.training.threads, cfg.training.seed)
    data = load_fit_data(cfg.data, cfg.training.seed)
    h = invariants(tf.constant(data.x_train), [[(1.0, (1, 0))], [(1.0, (0, 2))]]).numpy()
    shift, scale, label_scale, _ = scales(cfg, data, h)
    eta_rms = float(np.sqrt(np.mean(data.x_train[:, 1] ** 2))) or 1.0
    model = build_standard_dnn(cfg.model, shift, scale, label_scale, eta_rms)
    objective = Objective(model, None, label_scale, loss_weights(cfg, data.order_parameters))
    return model, fit(model, objective, data, cfg.training, progress, label)


def _idnn_run(cfg: IDNNConfig, progress: bool, label: str):
    from pf_app.idnn.loop import fit
    from pf_app.idnn.train import prepare

    data, model, objective = prepare(cfg)
    return model, fit(model, objective, data, cfg.training, progress, label)


def run_comparison(cfg: IDNNConfig, count: int, progress: bool = True) -> dict:
    """Train ``count`` IDNNs and ``count`` standard DNNs (seeds seed, seed+1, ...); write the figure."""
    from pf_app.idnn.plots import comparison

    if cfg.model.temperature_input:
        raise ConfigError(None, "model.temperature_input", "false for the comparison (a T-free network of the "
                          "data at one temperature)", True)
    if cfg.model.features not in (None, ("c", "eta^2")):
        raise ConfigError(None, "model.features", "the B2 invariants (c, eta^2) for the comparison",
                          list(cfg.model.features))
    curves = {"IDNN": [], "standard DNN": []}
    runs = []
    for i in range(count):
        seeded = with_training(cfg, seed=cfg.training.seed + i)
        for kind, runner in (("IDNN", _idnn_run), ("standard DNN", _standard_dnn_run)):
            model, history = runner(seeded, progress, f"{kind} seed {seeded.training.seed}")
            if kind == "IDNN":
                mu_fn = lambda x, m=model: m.value_and_gradient(x)[1].numpy()
            else:
                mu_fn = lambda x, m=model: m(x).numpy()
            curves[kind].append(history)
            runs.append({"kind": kind, "seed": seeded.training.seed, "final_val_mse": history.rows[-1]["val_mse"],
                         "best_val_mse": float(history.column("val_mse").min()),
                         "wall_time_s": history.rows[-1]["time_s"], **integrability.measure(mu_fn)})
    out = Path(cfg.output.directory)
    paths = {"plot": out / f"{cfg.output.name}.comparison.png", "summary": out / f"{cfg.output.name}.comparison.json"}
    comparison(curves, paths["plot"])
    summary = {"count": count, "runs": runs, "files": {k: str(v) for k, v in paths.items()}}
    write_json_atomic(paths["summary"], summary)
    return summary
