"""``pf_app train``: a chemical-potential table in, an IDNN free energy out.

Writes ``<directory>/<name>.idnn.json`` (format :mod:`pf_app.idnn.weights`, provenance: data file
and its sha256, the resolved config, final errors), ``<name>.log.csv`` (one row per validation
check) and ``<name>.learning.png``.  While it runs, ``<name>.checkpoint.npz`` (see
:mod:`pf_app.idnn.checkpoint`) lets ``resume=True`` (``pf_app train --resume``) continue a stopped
run to the same weights; it is removed once the results are written.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pf_app import __version__
from pf_app.config import ConfigError, to_dict
from pf_app.idnn.config import IDNNConfig
from pf_app.idnn.data import FitData, load_fit_data
from pf_app.idnn.invariants import format_invariant, invariant_texts, parse_invariant
from pf_app.idnn.weights import IDNNWeights
from pf_app.atomic_files import write_text_atomic


@dataclass
class TrainResult:
    weights: IDNNWeights
    history: object  # pf_app.idnn.loop.History
    paths: dict[str, Path]


def configure_tensorflow(threads: int | None, seed: int) -> None:
    """Thread count (only possible before TensorFlow runs its first op) and all random seeds."""
    import keras
    import tensorflow as tf

    if threads is not None:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # already initialized in this process: keep the existing setting
            pass
    keras.utils.set_random_seed(seed)


def invariant_terms(cfg: IDNNConfig, order_parameters: tuple[str, ...]):
    try:
        texts = invariant_texts(cfg.model.features, order_parameters)
    except ValueError as exc:
        raise ConfigError(None, "model.features", f"invariants of the order parameters {', '.join(order_parameters)} "
                          f"({exc})", cfg.model.features) from None
    terms = []
    for j, text in enumerate(texts):
        try:
            terms.append(parse_invariant(text, order_parameters))
        except ValueError as exc:
            raise ConfigError(None, f"model.features[{j}]",
                              f"a polynomial in {', '.join(order_parameters)} ({exc})", text) from None
    return terms


def make_baseline(cfg: IDNNConfig, data: FitData):
    """The ``model.baseline`` of ``cfg`` for ``data`` (None for ``none``): ideal mixing at the data's kT
    (with ``model.temperature_input``: at each row's kT) on the sublattices of ``model.baseline_Q``
    (null: B2's map for (c, eta)).  Every row the network
    learns from must have its sublattice fractions strictly inside (0, 1), where g_ideal is defined."""
    if cfg.model.baseline == "none":
        return None
    from pf_app.idnn.baseline import IdealMixing

    names = data.order_parameters
    Q = cfg.model.baseline_Q
    if Q is None:
        if tuple(names) != ("c", "eta"):
            raise ConfigError(None, "model.baseline_Q", f"the map eta = Q x of the sublattice fractions x to the "
                              f"order parameters {', '.join(names)} (null only for B2's c, eta)", None)
        from pf_app.montecarlo.standard_models import B2_MAP

        Q = B2_MAP.Q
    Q = np.asarray(Q, float)
    if Q.shape != (len(names), len(names)):
        raise ConfigError(None, "model.baseline_Q", f"a {len(names)} x {len(names)} matrix (one row per order "
                          f"parameter {', '.join(names)})", Q.tolist())
    kT = None if cfg.model.temperature_input else data.provenance["temperature"]
    baseline = IdealMixing.from_order_parameter_map(kT, Q)
    x = np.vstack([data.x_train, data.x_val, data.x_value])
    f = baseline.fractions(x)
    bad = np.flatnonzero(np.any((f <= 0.0) | (f >= 1.0), axis=1))
    if len(bad):
        raise ConfigError(None, "model.baseline", "for ideal_mixing, data whose sublattice fractions x = Q^-1 eta "
                          "all lie in (0, 1) (drop or flag the other rows)",
                          f"{len(bad)} rows of {data.provenance['data_file']} outside, e.g. "
                          f"{', '.join(names)} = {x[bad[0]].tolist()} (fractions {f[bad[0]].tolist()})")
    return baseline


def scales(cfg: IDNNConfig, data: FitData, h_train: np.ndarray):
    """Feature shift/scale, label scales s_k and the output scale (energy per site); with a baseline
    ``data.mu_train`` is what the network learns (mu minus the baseline's)."""
    d, m = data.x_train.shape[1], h_train.shape[1]
    if cfg.scaling.inputs:
        shift, scale = h_train.mean(axis=0), h_train.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
    else:
        shift, scale = np.zeros(m), np.ones(m)
    labels = cfg.scaling.labels
    if labels == "none":
        return shift, scale, np.ones(d), 1.0
    if isinstance(labels, float):
        return shift, scale, np.full(d, labels), labels
    rms = np.sqrt(np.mean(data.mu_train ** 2, axis=0))
    s = rms if labels == "per_component" else np.full(d, np.sqrt(np.mean(rms ** 2)))
    s = np.where(s > 0, s, 1.0)
    spread = data.x_train.std(axis=0)
    output_scale = float(np.sqrt(np.mean((s * np.where(spread > 0, spread, 1.0)) ** 2)))
    return shift, scale, s, output_scale


def loss_weights(cfg: IDNNConfig, order_parameters) -> np.ndarray:
    unknown = sorted(set(cfg.loss.weights) - set(order_parameters))
    if unknown:
        raise ConfigError(None, f"loss.weights.{unknown[0]}", f"one of {', '.join(order_parameters)}",
                          "unknown order parameter")
    return np.array([cfg.loss.weights.get(n, 1.0) for n in order_parameters])


def final_errors(weights: IDNNWeights, data: FitData) -> dict:
    """MSE and max |error| of mu per order parameter on the training and validation rows."""
    out = {}
    for split, x, mu, kT in (("train", data.x_train, data.mu_train, data.kT_train),
                             ("validation", data.x_val, data.mu_val, data.kT_val)):
        if len(x) == 0:
            continue
        err = weights.evaluate(x, 1, kT)[1] - mu
        out[split] = {"mse_mu": float((err ** 2).mean(axis=0).sum()),
                      **{f"mse_mu_{n}": float((err[:, k] ** 2).mean()) for k, n in enumerate(data.order_parameters)},
                      **{f"max_abs_mu_{n}": float(np.abs(err[:, k]).max()) for k, n in enumerate(data.order_parameters)}}
    if len(data.x_value):
        out["value_max_abs"] = float(np.abs(weights.evaluate(data.x_value, 0, data.kT_value) - data.g_value).max())
    return out


def write_rows(rows: list[dict], path: Path) -> None:
    """A CSV table of rows with the same keys (the training log, the B-spline sweep)."""
    names = list(rows[0])
    lines = [",".join(names)] + [",".join(str(r[n]) for n in names) for r in rows]
    write_text_atomic(path, "\n".join(lines) + "\n")


def prepare(cfg: IDNNConfig):
    """Data, the fresh Keras IDNN and its loss objective for ``cfg`` (TensorFlow imported here)."""
    import tensorflow as tf

    from pf_app.idnn.loop import Objective
    from pf_app.idnn.model import build_idnn, invariants

    configure_tensorflow(cfg.training.threads, cfg.training.seed)
    data = load_fit_data(cfg.data, cfg.training.seed, cfg.loss.anchors, by_temperature=cfg.model.temperature_input)
    terms = invariant_terms(cfg, data.order_parameters)
    h_train = invariants(tf.constant(data.x_train), terms).numpy()
    baseline = make_baseline(cfg, data)
    learned = data if baseline is None else dataclasses.replace(
        data, mu_train=data.mu_train - baseline.evaluate(data.x_train, 1, data.kT_train)[1])
    shift, scale, label_scale, output_scale = scales(cfg, learned, h_train)
    temperature = temperature_input(data) if cfg.model.temperature_input else None
    model = build_idnn(data.order_parameters, terms, cfg.model.hidden, cfg.model.activation, shift, scale,
                       output_scale, baseline, temperature)
    objective = Objective(lambda x: model.value_and_gradient(x)[1], model, label_scale,
                          loss_weights(cfg, data.order_parameters), output_scale, cfg.loss.value_weight)
    return data, model, objective


def temperature_input(data: FitData):
    """kT as a network input, standardized over the training rows (range: the data's temperatures)."""
    from pf_app.idnn.weights import TemperatureInput

    t = data.kT_train
    spread = float(t.std())
    return TemperatureInput("kT", float(t.mean()), spread if spread > 0 else 1.0,
                            (float(min(data.provenance["temperatures"])), float(max(data.provenance["temperatures"]))))


def network_data(data: FitData) -> FitData:
    """``data`` as the optimisation loop sees it: the model's inputs (x, with kT appended when the data
    span temperatures) in place of x."""
    if data.kT_train is None:
        return data
    return dataclasses.replace(data, x_train=data.inputs("train"), x_val=data.inputs("val"),
                               x_value=data.inputs("value"))


def train(cfg: IDNNConfig, progress: bool = True, write: bool = True, resume: bool = False,
          callbacks=()) -> TrainResult:
    """Train an IDNN as configured; write its files unless ``write`` is False.

    Writing, the run checkpoints to ``<name>.checkpoint.npz`` (every ``training.checkpoint_every``
    epochs); ``resume`` continues from it.  ``callbacks`` go to :func:`pf_app.idnn.loop.fit` after
    the checkpoint's."""
    from pf_app.idnn.checkpoint import TrainingCheckpoint, run_signature

    out = Path(cfg.output.directory)
    checkpoint = None  # created first: a --resume without a checkpoint stops at once, before TensorFlow starts
    if write or resume:
        checkpoint = TrainingCheckpoint(out / f"{cfg.output.name}.checkpoint.npz", cfg.training.checkpoint_every, resume)

    import tensorflow as tf

    from pf_app.idnn.loop import fit
    from pf_app.idnn.model import to_weights
    from pf_app.idnn.plots import learning_curve

    data, model, objective = prepare(cfg)
    if checkpoint is not None:
        checkpoint.signature = run_signature(to_dict(cfg), data.provenance["data_sha256"])
    history = fit(model, objective, network_data(data), cfg.training, progress, label=cfg.output.name,
                  callbacks=[c for c in (checkpoint, *callbacks) if c is not None])
    provenance = {
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "software": f"pf_app {__version__}, tensorflow {tf.__version__}",
        **data.provenance,
        "invariants": [format_invariant(t, data.order_parameters) for t in model.invariant_terms],
        "config": to_dict(cfg),
        "stopped_by": history.stopped_by,
        "wall_time_s": history.rows[-1]["time_s"],
    }
    weights = to_weights(model, cfg.output.energy_unit or data.energy_unit, provenance)
    weights.provenance["final_errors"] = final_errors(weights, data)
    paths = {"weights": out / f"{cfg.output.name}.idnn.json", "log": out / f"{cfg.output.name}.log.csv",
             "plot": out / f"{cfg.output.name}.learning.png"}
    if write:
        weights.save(paths["weights"])
        write_rows(history.rows, paths["log"])
        learning_curve(history, paths["plot"])
    if checkpoint is not None:
        checkpoint.remove()
    return TrainResult(weights, history, paths)
