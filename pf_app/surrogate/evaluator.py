"""A TensorFlow-free forward pass of a trained surrogate (weights as numpy arrays), for fast
batched prediction (the benchmark's configurations per second) and for use inside Monte Carlo.

Both networks of :mod:`.model`: the fixed-cell one (one-hot (N, M S) in) and the local one (site
features (N, M, F) in; the same Dense layers act on every site, E is the mean of the sites' ``out_E``
values, C and M the per-site values)."""

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
    local: bool = False  # the local-environment network (site features in)

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
        return cls(tuple(species), trunk, heads, local=len(model.inputs[0].shape) == 3)

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
        """Standardized predictions for (N, M) atomic numbers in the lattice site order (fixed-cell)."""
        return self.predict_one_hot(one_hot(numbers, self.species), batch_size)

    def site_values(self, features: np.ndarray, tasks: str | None = None) -> dict[str, np.ndarray]:
        """Local network: (..., F) site features -> each head's standardized value per site (...)."""
        h = _forward(np.asarray(features, dtype=np.float32), self.trunk)
        return {t: _forward(h, self.heads[t])[..., 0] for t in (tasks or self.heads)}

    def predict_features(self, features: np.ndarray, batch_size: int = 2048, tasks: str | None = None) -> dict[str, np.ndarray]:
        """Local network: standardized predictions for (N, M, F) site features (E: the mean of the
        site values, as the Keras model; C, M: per site)."""
        out = {t: [] for t in (tasks or self.heads)}
        for start in range(0, len(features), batch_size):
            sites = self.site_values(features[start:start + batch_size], "".join(out))
            for t in out:
                out[t].append(sites[t].mean(axis=1) if t == "E" else sites[t])
        return {t: np.concatenate(v) for t, v in out.items()}

    def predict_inputs(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Either network on its own input: one-hot (N, M S) or site features (N, M, F)."""
        return self.predict_features(x) if self.local else self.predict_one_hot(x)


def _forward(h, layers):
    for w, b, act in layers:
        h = _ACTIVATIONS[act](h @ w + b)
    return h
