"""A TensorFlow-free forward pass of a trained surrogate (weights as numpy arrays), for fast
batched prediction (the benchmark's configurations per second) and for use inside Monte Carlo."""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.special import erf

from pf_app.surrogate.structures import one_hot

_ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "softplus": lambda x: np.logaddexp(0, x),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "swish": lambda x: x / (1 + np.exp(-x)),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "gelu": lambda x: 0.5 * x * (1 + erf(x / np.sqrt(2).astype(x.dtype))),  # keras default: exact erf
}


@dataclasses.dataclass(frozen=True)
class NumpySurrogate:
    """``trunk`` and ``heads[t]``: lists of (W, b, activation); predicts standardized targets."""

    species: tuple[int, ...]
    trunk: list
    heads: dict

    @classmethod
    def from_keras(cls, model, species: tuple[int, ...]) -> "NumpySurrogate":
        def dense(layer):
            w, b = layer.get_weights()
            act = layer.get_config()["activation"]
            if act not in _ACTIVATIONS:
                raise ValueError(f"activation {act!r} has no numpy twin (known: {sorted(_ACTIVATIONS)})")
            return w.astype(np.float32), b.astype(np.float32), act

        names = [layer.name for layer in model.layers]
        trunk = [dense(model.get_layer(n)) for n in names if n.startswith("trunk_")]
        tasks = [n.removeprefix("out_") for n in names if n.startswith("out_")]
        heads = {t: [dense(model.get_layer(f"head_{t}")), dense(model.get_layer(f"out_{t}"))] for t in tasks}
        return cls(tuple(species), trunk, heads)

    def predict_one_hot(self, x: np.ndarray, batch_size: int = 8192, tasks: str | None = None) -> dict[str, np.ndarray]:
        """Standardized predictions for (N, M * S) float32 one-hot inputs (only the heads of
        ``tasks``, e.g. ``"E"`` inside Monte Carlo; default all)."""
        out = {t: [] for t in (tasks or self.heads)}
        for start in range(0, len(x), batch_size):
            h = _forward(np.asarray(x[start:start + batch_size], dtype=np.float32), self.trunk)
            for t in out:
                out[t].append(_forward(h, self.heads[t]))
        return {t: np.concatenate(v)[:, 0] if t == "E" else np.concatenate(v) for t, v in out.items()}

    def predict_numbers(self, numbers: np.ndarray, batch_size: int = 8192) -> dict[str, np.ndarray]:
        """Standardized predictions for (N, M) atomic numbers in the lattice site order."""
        return self.predict_one_hot(one_hot(numbers, self.species), batch_size)


def _forward(h, layers):
    for w, b, act in layers:
        h = _ACTIVATIONS[act](h @ w + b)
    return h
