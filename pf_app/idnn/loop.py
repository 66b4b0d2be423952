"""The optimization loop shared by the IDNN and the standard DNN: minibatch epochs, then L-BFGS.

Loss (the seed's Eq. 5 with weights and scaling)::

    L = sum_k w_k mean(r_k ((mu_k(x) - mu_k^data) / s_k)^2) + w_v mean(((g(x) - g^data) / s_g)^2)

``r_k`` are per-row weights (1/se^2 normalized to mean 1, or 1).  ``mu_fn(x)`` gives the model's mu (for an IDNN the exact gradient of g), ``g_fn`` its g (value
terms; None for models without one).  The reported ``val_mse`` is sum_k mean((mu_k - mu_k^data)^2)
in the data's units (energy per site)^2, unweighted and unscaled, so that recipes compare directly.
The weights with the best validation loss are kept (checked every evaluation).

``fit(..., callbacks=[...])`` calls, on each callback that has them, ``on_train_begin(run)``,
``on_epoch_end(run, epoch)`` after every minibatch epoch and ``on_epochs_end(run)`` when the epochs
are over (before L-BFGS).  :class:`pf_app.idnn.checkpoint.TrainingCheckpoint` is one: it saves
:meth:`_Run.state` with the variables and restores them through :meth:`_Run.load_state`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from scipy.optimize import minimize

from pf_app.progress import Progress

LBFGS_LOG_EVERY = 10  # L-BFGS iterations between validation checks / log rows


@dataclass
class Objective:
    mu_fn: object
    g_fn: object | None
    label_scale: np.ndarray  # s_k, energy per site
    weights: np.ndarray  # w_k
    value_scale: float = 1.0  # s_g, energy per site
    value_weight: float = 1.0


@dataclass
class History:
    order_parameters: tuple[str, ...]
    rows: list[dict] = field(default_factory=list)
    stopped_by: str = "completed"

    def column(self, name: str, phase: str | None = None) -> np.ndarray:
        return np.array([r[name] for r in self.rows if phase is None or r["phase"] == phase], float)


def make_optimizer(name: str, learning_rate: float):
    import keras

    cls = {"adam": keras.optimizers.Adam, "adagrad": keras.optimizers.Adagrad,
           "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}[name]
    return cls(learning_rate=learning_rate)


def learning_rate(tcfg, epoch: int) -> float:
    """lr at ``epoch`` (0-based): constant, exponential or cosine decay to final_lr_fraction * lr."""
    frac = epoch / max(tcfg.epochs - 1, 1)
    f = tcfg.final_lr_fraction
    if tcfg.schedule == "exponential":
        return tcfg.learning_rate * f ** frac
    if tcfg.schedule == "cosine":
        return tcfg.learning_rate * (f + (1.0 - f) * 0.5 * (1.0 + math.cos(math.pi * frac)))
    return tcfg.learning_rate


class _Run:
    """State of one training run: tensors, compiled steps, best weights, the log."""

    def __init__(self, model, objective: Objective, data, tcfg, progress: bool, label: str):
        self.model, self.obj, self.tcfg, self.label, self.progress = model, objective, tcfg, label, progress
        self.vars = list(model.trainable_variables)
        self.optimizer = make_optimizer(tcfg.optimizer, tcfg.learning_rate)
        self.optimizer.build(self.vars)
        # where the epochs stand (all of it is checkpointed): the next epoch, optimizer steps so far,
        # the shuffling generator, patience's reference (epoch, loss), whether the epochs are over
        # and whether a stop criterion ended them
        self.epoch, self.step, self.rng = 0, 0, np.random.default_rng(tcfg.seed)
        self.best_epoch, self.best_epoch_loss = 0, math.inf
        self.epochs_done, self.stopped = False, False
        c = lambda a: tf.constant(np.asarray(a, float))
        self.xt, self.mut, self.wt = c(data.x_train), c(data.mu_train), c(data.w_train)
        has_val = len(data.x_val) > 0
        self.xv, self.muv, self.wv = (c(data.x_val), c(data.mu_val), c(data.w_val)) if has_val else \
            (self.xt, self.mut, self.wt)
        self.xg, self.gg = c(data.x_value), c(data.g_value)
        self.inv_s2 = c(objective.weights / objective.label_scale ** 2)
        self.history = History(tuple(data.order_parameters))
        self.t0 = time.perf_counter()
        self.best = (math.inf, [v.numpy() for v in self.vars])
        self.metrics = tf.function(self._metrics, autograph=False)

    # ---- losses -------------------------------------------------------------------------------
    def _mu_loss(self, x, mu, w):
        return tf.reduce_sum(tf.reduce_mean(w * tf.square(self.obj.mu_fn(x) - mu), axis=0) * self.inv_s2)

    def _value_loss(self):
        if self.obj.g_fn is None or self.gg.shape[0] == 0 or self.obj.value_weight == 0:
            return tf.constant(0.0, tf.float64)
        r = (self.obj.g_fn(self.xg) - self.gg) / self.obj.value_scale
        return self.obj.value_weight * tf.reduce_mean(tf.square(r))

    def full_loss(self):
        return self._mu_loss(self.xt, self.mut, self.wt) + self._value_loss()

    def _metrics(self):
        sq = tf.square(self.obj.mu_fn(self.xv) - self.muv)
        weighted = tf.reduce_sum(tf.reduce_mean(self.wv * sq, axis=0) * self.inv_s2)
        return weighted + self._value_loss(), tf.reduce_mean(sq, axis=0)

    # ---- logging and stopping -----------------------------------------------------------------
    def record(self, phase: str, epoch: float, step: int, lr: float, train_loss: float) -> bool:
        """Log a row; keep the best weights; return True when a stop criterion is met.

        ``train_loss`` is the mean minibatch loss since the last row (epochs) or the full-batch
        loss (L-BFGS, start); the validation terms are computed here.
        """
        val_loss, mse = (t.numpy() for t in self.metrics())
        row = {"phase": phase, "epoch": epoch, "step": step, "time_s": time.perf_counter() - self.t0,
               "learning_rate": lr, "train_loss": float(train_loss), "val_loss": float(val_loss),
               "val_mse": float(mse.sum())}
        row.update({f"val_mse_{n}": float(v) for n, v in zip(self.history.order_parameters, mse)})
        self.history.rows.append(row)
        if val_loss < self.best[0]:
            self.best = (float(val_loss), [v.numpy() for v in self.vars])
        if not np.isfinite(train_loss):
            self.history.stopped_by = "non-finite loss"
        elif self.tcfg.target_val_mse is not None and row["val_mse"] <= self.tcfg.target_val_mse:
            self.history.stopped_by = "target_val_mse"
        elif self.tcfg.max_seconds is not None and row["time_s"] >= self.tcfg.max_seconds:
            self.history.stopped_by = "max_seconds"
        else:
            return False
        return True

    def restore_best(self):
        for v, value in zip(self.vars, self.best[1]):
            v.assign(value)

    # ---- checkpoint state (besides the model's and optimizer's variables) ----------------------
    def state(self) -> dict:
        """Plain-JSON state of the run; the best weights are ``self.best[1]``."""
        return {"epoch": self.epoch, "step": self.step, "rng": self.rng.bit_generator.state,
                "best_val_loss": self.best[0], "best_epoch": self.best_epoch, "best_epoch_loss": self.best_epoch_loss,
                "epochs_done": self.epochs_done, "stopped": self.stopped, "stopped_by": self.history.stopped_by,
                "elapsed_s": time.perf_counter() - self.t0, "rows": self.history.rows}

    def load_state(self, state: dict, best_weights: list[np.ndarray]) -> None:
        self.epoch, self.step = state["epoch"], state["step"]
        self.rng.bit_generator.state = state["rng"]
        self.best = (state["best_val_loss"], best_weights)
        self.best_epoch, self.best_epoch_loss = state["best_epoch"], state["best_epoch_loss"]
        self.epochs_done, self.stopped = state["epochs_done"], state["stopped"]
        self.history.stopped_by, self.history.rows = state["stopped_by"], state["rows"]
        self.t0 = time.perf_counter() - state["elapsed_s"]

    # ---- phase 1: minibatch epochs ------------------------------------------------------------
    def epochs(self, callbacks=()) -> bool:
        """Epochs ``self.epoch`` .. ``epochs - 1``; True when a stop criterion ended them."""
        tcfg, opt = self.tcfg, self.optimizer

        def one_step(i, total, batches):
            idx = batches[i]
            with tf.GradientTape() as tape:
                loss = self._mu_loss(tf.gather(self.xt, idx), tf.gather(self.mut, idx), tf.gather(self.wt, idx)) \
                    + self._value_loss()
            opt.apply_gradients(zip(tape.gradient(loss, self.vars), self.vars))
            return i + 1, total + loss, batches

        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32)], autograph=False)
        def run_steps(batches):
            """All minibatch steps of ``batches`` (n_steps, batch) in one graph; the mean loss."""
            n = tf.shape(batches)[0]
            _, total, _ = tf.while_loop(lambda i, total, b: i < n, one_step,
                                        (tf.constant(0), tf.constant(0.0, tf.float64), batches))
            return total / tf.cast(n, tf.float64)

        n = self.xt.shape[0]
        bs = min(tcfg.batch_size, n)
        with Progress(f"{self.label} epochs", tcfg.epochs, unit="epoch", enabled=self.progress,
                      initial=self.epoch) as bar:
            for epoch in range(self.epoch, tcfg.epochs):
                lr = learning_rate(tcfg, epoch)
                opt.learning_rate.assign(lr)
                nb = n // bs
                batches = self.rng.permutation(n)[: nb * bs].reshape(nb, bs).astype(np.int32)
                for part, chunk in enumerate(np.array_split(batches, min(tcfg.evaluations_per_epoch, nb))):
                    mean_loss = float(run_steps(chunk))
                    self.step += len(chunk)
                    if self.record("epochs", epoch + (part + 1) / min(tcfg.evaluations_per_epoch, nb), self.step,
                                   lr, mean_loss):
                        return True
                row = self.history.rows[-1]
                bar.update(epoch + 1, val_mse=row["val_mse"], train_loss=row["train_loss"])
                self.epoch = epoch + 1
                if row["val_loss"] < self.best_epoch_loss:
                    self.best_epoch, self.best_epoch_loss = epoch, row["val_loss"]
                elif tcfg.patience is not None and epoch - self.best_epoch >= tcfg.patience:
                    self.history.stopped_by = "early stopping"
                    return False
                _call(callbacks, "on_epoch_end", self, epoch)
            return False

    # ---- phase 2: full-batch L-BFGS (float64) -------------------------------------------------
    def lbfgs(self) -> None:
        tcfg = self.tcfg
        shapes = [tuple(v.shape) for v in self.vars]
        sizes = [int(np.prod(s)) for s in shapes]

        @tf.function(autograph=False)
        def loss_and_grad():
            with tf.GradientTape() as tape:
                loss = self.full_loss()
            return loss, tf.concat([tf.reshape(g, [-1]) for g in tape.gradient(loss, self.vars)], 0)

        def assign(flat):
            for v, part, shape in zip(self.vars, np.split(flat, np.cumsum(sizes)[:-1]), shapes):
                v.assign(part.reshape(shape))

        def fun(flat):
            assign(flat)
            loss, grad = loss_and_grad()
            return float(loss), grad.numpy()

        bar = Progress(f"{self.label} L-BFGS", tcfg.lbfgs_iterations, unit="it", enabled=self.progress, initial=0)
        last_epoch = self.history.rows[-1]["epoch"] if self.history.rows else 0.0
        count = [0]

        def callback(intermediate_result):
            count[0] += 1
            if count[0] % LBFGS_LOG_EVERY and count[0] != tcfg.lbfgs_iterations:
                return
            assign(intermediate_result.x)
            stop = self.record("lbfgs", last_epoch, count[0], math.nan, float(intermediate_result.fun))
            bar.update(count[0], val_mse=self.history.rows[-1]["val_mse"])
            if stop:
                raise StopIteration

        x0 = np.concatenate([v.numpy().ravel() for v in self.vars])
        result = minimize(fun, x0, jac=True, method="L-BFGS-B", callback=callback,
                          options={"maxiter": tcfg.lbfgs_iterations, "maxcor": 30, "ftol": 0.0, "gtol": 0.0})
        assign(result.x)
        bar.close()
        last = self.history.rows[-1]
        if (last["phase"], last["step"]) != ("lbfgs", count[0]):
            self.record("lbfgs", last_epoch, count[0], math.nan, float(result.fun))


def _call(callbacks, hook: str, *args) -> None:
    for cb in callbacks:
        if hasattr(cb, hook):
            getattr(cb, hook)(*args)


def fit(model, objective: Objective, data, tcfg, progress: bool = True, label: str = "train",
        callbacks=()) -> History:
    """Train ``model`` in place on ``data`` (a :class:`pf_app.idnn.data.FitData`); return the log.

    ``callbacks``: objects with any of ``on_train_begin(run)``, ``on_epoch_end(run, epoch)``,
    ``on_epochs_end(run)`` (see the module docstring), e.g. a checkpoint that resumes the run."""
    run = _Run(model, objective, data, tcfg, progress, label)
    _call(callbacks, "on_train_begin", run)
    if not run.history.rows:
        run.record("start", 0.0, 0, math.nan, float(run.full_loss()))
    if not run.epochs_done:
        run.stopped = run.history.stopped_by != "completed" or run.epochs(callbacks)
        run.epochs_done = True
        _call(callbacks, "on_epochs_end", run)
    if not run.stopped and tcfg.lbfgs_iterations > 0:
        run.restore_best()
        run.lbfgs()
    run.restore_best()
    return run.history
