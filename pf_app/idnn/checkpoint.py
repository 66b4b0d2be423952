"""Resumable IDNN training: a callback of :func:`pf_app.idnn.loop.fit` that checkpoints and restores.

``<output.directory>/<name>.checkpoint.npz`` (written atomically every ``training.checkpoint_every``
epochs and once when the minibatch epochs end) holds everything the rest of the run depends on:

* ``model/<i>``: the network's trainable variables; ``best/<i>`` the best weights so far;
* ``optimizer/<i>``: the Keras optimizer's own variables (``Optimizer.save_own_variables``: the
  iteration count, the learning-rate variable and the slots such as Adam's moments);
* ``state``: JSON with the next epoch (the learning-rate schedule is a function of it), the optimizer
  step count, the shuffling generator's state (``numpy.random.Generator.bit_generator.state``),
  the best validation loss and, for ``patience``, the epoch and loss it counts from, whether the
  epochs are over (and whether a stop criterion ended them), the wall time so far, the log rows,
  and the run's signature (config and data checksum) that a resume must match.

The L-BFGS polish (scipy) keeps its curvature pairs inside the minimizer, so it is not checkpointed
mid-way: a run stopped during L-BFGS resumes at its start, from the saved best weights, and repeats
it exactly.  So a run stopped after epoch k and resumed ends with the same weights, bit for bit, as
one that was never stopped (same process layout; tested), because every quantity that enters
the remaining floating-point operations is restored exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pf_app.atomic_files import atomic_path
from pf_app.config import ConfigError

FORMAT, VERSION = "pf_app.idnn.checkpoint", 1
#: Keys a resumed run may change: where files go and when to stop or save, not what is computed.
FREE_KEYS = ("output", "training.max_seconds", "training.target_val_mse", "training.threads",
             "training.checkpoint_every", "data.path")


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def run_signature(config: dict, data_sha256: str, free_keys: tuple[str, ...] = FREE_KEYS) -> dict:
    """The resolved config (dotted keys, without ``free_keys``) and the data's checksum."""
    keep = {k: v for k, v in _flatten(config).items()
            if not any(k == f or k.startswith(f + ".") for f in free_keys)}
    return {**json.loads(json.dumps(keep, default=str)), "data_sha256": data_sha256}


def check_signature(path: Path, saved: dict, current: dict) -> None:
    """Refuse to resume from ``path`` when a key of the run differs from the checkpoint's."""
    for key in sorted(set(saved) | set(current)):
        if saved.get(key) != current.get(key):
            raise ConfigError(path, key, f"the value this checkpoint was made with, {saved.get(key)!r} "
                              "(start without --resume to change it)", current.get(key))


class TrainingCheckpoint:
    """Saves the run every ``every`` epochs (0: only when the epochs end); ``resume`` restores it first."""

    def __init__(self, path: str | Path, every: int = 1, resume: bool = False, signature: dict | None = None):
        """``signature``: what a resume must match (:func:`run_signature`); may be set before training."""
        self.path, self.every, self.resume, self.signature = Path(path), every, resume, signature or {}
        if resume and not self.path.is_file():
            raise ConfigError(self.path, "<file>", "a training checkpoint to resume from (run without --resume "
                              "first; a finished training removes its checkpoint)", "missing")

    # ---- callback interface of pf_app.idnn.loop.fit -----------------------------------------------
    def on_train_begin(self, run) -> None:
        if self.resume:
            self.restore(run)

    def on_epoch_end(self, run, epoch: int) -> None:
        if self.every and (epoch + 1) % self.every == 0:
            self.save(run)

    def on_epochs_end(self, run) -> None:
        self.save(run)

    def remove(self) -> None:
        """After the results are written: a finished training has nothing to resume."""
        self.path.unlink(missing_ok=True)

    # ---- the file -----------------------------------------------------------------------------------
    def save(self, run) -> None:
        opt = {}
        run.optimizer.save_own_variables(opt)
        state = {"format": FORMAT, "version": VERSION, "signature": self.signature, **run.state()}
        arrays = {f"model/{i}": v.numpy() for i, v in enumerate(run.vars)}
        arrays.update({f"best/{i}": w for i, w in enumerate(run.best[1])})
        arrays.update({f"optimizer/{k}": v for k, v in opt.items()})
        with atomic_path(self.path) as tmp:
            np.savez(tmp, state=np.array(json.dumps(state)), **arrays)

    def restore(self, run) -> None:
        with np.load(self.path) as f:
            state = json.loads(str(f["state"]))
            arrays = {k: f[k] for k in f.files if k != "state"}
        if (state.get("format"), state.get("version")) != (FORMAT, VERSION):
            raise ConfigError(self.path, "format", f"{FORMAT} version {VERSION}",
                              f"{state.get('format')} {state.get('version')}")
        check_signature(self.path, state["signature"], self.signature)
        n_opt = sum(k.startswith("optimizer/") for k in arrays)
        shapes = [tuple(v.shape) for v in run.vars]
        if [arrays[f"model/{i}"].shape for i in range(len(shapes))] != shapes or n_opt != len(run.optimizer.variables):
            raise ConfigError(self.path, "model", "variables of this network and optimizer", "a different layout")
        for i, v in enumerate(run.vars):
            v.assign(arrays[f"model/{i}"])
        run.optimizer.load_own_variables({k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("optimizer/")})
        run.load_state(state, [arrays[f"best/{i}"] for i in range(len(shapes))])
