"""Keras multitask networks: energy / per-site charge / per-site moment out.

Architecture (names are part of the format read by :mod:`.evaluator`): a shared trunk of Dense
layers ``trunk_0, trunk_1, ...``; for each task t in the method (e.g. ``"EC"``) a task-specific hidden
layer ``head_<t>`` of width ``task_width // n_tasks`` (the seed splits the width among the tasks) and
a linear output ``out_<t>``.  Loss: ``sum_t alpha_t MSE_t`` on standardized targets.

* :func:`build_model`, the fixed-cell network (the seed's): input the :func:`~.structures.one_hot`
  vector of the cell (site-major); ``out_E`` 1 value, ``out_C``, ``out_M`` M values.
* :func:`build_local_model`, the local-environment network: input the (M, F) site features of
  :mod:`.local_environment` for any number of sites M; the trunk and the heads act on every site
  alike (Dense on the last axis), ``out_<t>`` gives one value per site; C and M are those values, and
  the standardized energy of the cell is their mean over the sites (``E``, a
  ``GlobalAveragePooling1D``).  With E standardized per cell of M0 sites, z_E = (E - mean) / std,
  the site energy is ``(mean + std z_i) / M0`` [eV] and the cell's energy their sum: a sum of site
  energies, the same for every replica of a cell per site (size consistent).
TensorFlow is imported here, so import this module lazily (inside CLI functions).
"""

from __future__ import annotations

import time

import numpy as np

from pf_app.progress import Progress
from pf_app.surrogate.config import NetworkConfig, TrainConfig
from pf_app.surrogate.tensorflow_import import tensorflow_and_keras

tf, keras = tensorflow_and_keras()

tf.get_logger().setLevel("ERROR")  # no retracing warnings: one model per method is built on purpose


def limit_threads(n: int) -> None:
    """Cap TensorFlow's CPU threads (call before building models; ignored if TF already started)."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass


def output_sizes(method: str, n_sites: int) -> dict[str, int]:
    return {t: 1 if t == "E" else n_sites for t in method}


def build_model(method: str, n_sites: int, n_species: int, cfg: NetworkConfig,
                hidden: tuple[tuple[int, str], ...] | None = None, seed: int = 0) -> keras.Model:
    """The MLP for ``method`` (``"E"``, ``"EC"``, ...); ``hidden`` overrides ``cfg.hidden`` with
    (width, activation) pairs (used by the constructive search)."""
    keras.utils.set_random_seed(seed)
    hidden = hidden or tuple((w, cfg.activation) for w in cfg.hidden)
    inputs = keras.Input((n_sites * n_species,), name="one_hot")
    h = inputs
    for i, (width, act) in enumerate(hidden):
        h = keras.layers.Dense(width, activation=act, name=f"trunk_{i}")(h)
    head_width = max(1, cfg.task_width // len(method))
    outputs = {}
    for t, size in output_sizes(method, n_sites).items():
        g = keras.layers.Dense(head_width, activation=hidden[-1][1] if hidden else cfg.activation,
                               name=f"head_{t}")(h)
        outputs[t] = keras.layers.Dense(size, name=f"out_{t}")(g)
    return keras.Model(inputs, outputs, name=f"surrogate_{method}")


def build_local_model(method: str, n_features: int, cfg: NetworkConfig,
                      hidden: tuple[tuple[int, str], ...] | None = None, seed: int = 0) -> keras.Model:
    """The local-environment network for ``method`` (module docstring); ``hidden`` as in
    :func:`build_model`."""
    keras.utils.set_random_seed(seed)
    hidden = hidden or tuple((w, cfg.activation) for w in cfg.hidden)
    inputs = keras.Input((None, n_features), name="site_features")
    h = inputs
    for i, (width, act) in enumerate(hidden):
        h = keras.layers.Dense(width, activation=act, name=f"trunk_{i}")(h)
    head_width = max(1, cfg.task_width // len(method))
    outputs = {}
    for t in method:
        g = keras.layers.Dense(head_width, activation=hidden[-1][1] if hidden else cfg.activation,
                               name=f"head_{t}")(h)
        per_site = keras.layers.Dense(1, name=f"out_{t}")(g)
        outputs[t] = (keras.layers.GlobalAveragePooling1D(name="site_mean_E")(per_site) if t == "E"
                      else keras.layers.Reshape((-1,), name=f"sites_{t}")(per_site))
    return keras.Model(inputs, outputs, name=f"local_{method}")


def _dataset(inputs, targets, perms, n_species, batch_size, shuffle, seed, threads):
    """tf.data pipeline.  ``inputs``: integer site codes (N, M) of the fixed-cell network -> one-hot,
    with a random site permutation per sample (applied alike to per-site targets) when ``perms`` is
    given; or float site features (N, M, F) of the local network, passed as they are (invariant by
    construction: no augmentation).  Its thread pool is capped at ``threads`` so that parallel CV
    workers do not oversubscribe the cores."""
    options = tf.data.Options()
    options.threading.private_threadpool_size = threads
    options.threading.max_intra_op_parallelism = 1
    features = np.issubdtype(inputs.dtype, np.floating)
    data = inputs.astype(np.float32) if features else inputs.astype(np.int32)
    ds = tf.data.Dataset.from_tensor_slices((data, targets)).with_options(options)
    if shuffle:
        ds = ds.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if features:
        return ds.prefetch(2)
    perm_table = None if perms is None else tf.constant(perms, dtype=tf.int32)

    def prepare(c, y):
        if perm_table is not None:
            pick = tf.random.uniform((tf.shape(c)[0],), 0, perm_table.shape[0], dtype=tf.int32)
            p = tf.gather(perm_table, pick)
            c = tf.gather(c, p, batch_dims=1)
            y = {t: v if t == "E" else tf.gather(v, p, batch_dims=1) for t, v in y.items()}
        x = tf.reshape(tf.one_hot(c, n_species), (tf.shape(c)[0], -1))
        return x, y

    return ds.map(prepare, num_parallel_calls=1).prefetch(2)


class _ProgressCallback(keras.callbacks.Callback):
    """Epoch lines with rate and ETA while training; the last epoch reached (early stop or not) at the end."""

    def __init__(self, progress: Progress):
        super().__init__()
        self.progress = progress

    def on_epoch_end(self, epoch, logs=None):
        self.progress.update(epoch + 1, loss=float(logs["loss"]), val_loss=float(logs["val_loss"]))

    def on_train_end(self, logs=None):
        self.progress.close()


class _StopAtTarget(keras.callbacks.Callback):
    """Ends training at the first epoch whose validation loss is at or below ``target``."""

    def __init__(self, target: float):
        super().__init__()
        self.target = target

    def on_epoch_end(self, epoch, logs=None):
        if float(logs["val_loss"]) <= self.target:
            self.model.stop_training = True


def train_model(model: keras.Model, codes_train: np.ndarray, y_train: dict, codes_val: np.ndarray, y_val: dict,
                n_species: int, cfg: TrainConfig, alpha: dict[str, float], perms: np.ndarray | None = None,
                progress: bool = False, label: str = "train") -> dict:
    """Fit on standardized targets with early stopping (best validation weights restored), or
    until the validation loss reaches ``cfg.target_val_loss``.

    ``codes_*`` are (N, M) species indices (fixed-cell network) or (N, M, F) float site features
    (local network, :func:`_dataset`); ``y_*`` map task letters to standardized arrays.
    Returns the Keras history plus ``seconds`` (wall time) and ``epochs``.
    """
    tasks = list(model.output.keys()) if isinstance(model.output, dict) else list(y_train)
    steps = max(1, int(np.ceil(len(codes_train) / cfg.batch_size)))
    lr = (keras.optimizers.schedules.CosineDecay(cfg.learning_rate, cfg.epochs * steps)
          if cfg.schedule == "cosine" else cfg.learning_rate)
    model.compile(optimizer=keras.optimizers.Adam(lr), loss={t: "mse" for t in tasks},
                  loss_weights={t: float(alpha.get(t, 1.0)) for t in tasks})
    train = _dataset(codes_train, {t: y_train[t] for t in tasks}, perms if cfg.augment else None,
                     n_species, cfg.batch_size, True, cfg.seed, cfg.threads)
    val = _dataset(codes_val, {t: y_val[t] for t in tasks}, None, n_species, 4096, False, cfg.seed, cfg.threads)
    callbacks = [keras.callbacks.EarlyStopping(patience=cfg.patience, restore_best_weights=True)]
    if cfg.target_val_loss is not None:
        callbacks.append(_StopAtTarget(cfg.target_val_loss))
    if progress:
        callbacks.append(_ProgressCallback(Progress(label, cfg.epochs, unit="epoch", every_s=15, initial=0)))
    t0 = time.perf_counter()
    hist = model.fit(train, validation_data=val, epochs=cfg.epochs, verbose=0, callbacks=callbacks, shuffle=False)
    out = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    out.update(seconds=time.perf_counter() - t0, epochs=len(out["loss"]))
    return out
