"""Framework-neutral IDNN weights (JSON) and an exact numpy evaluator of g, its gradient and Hessian.

Format ``pf_app.idnn`` version 1 (documented in ``docs/formats.md``)::

    {"format": "pf_app.idnn", "version": 1,
     "order_parameters": ["c", "eta"],             # the physical inputs x, in this order
     "features": [[{"coef": 1.0, "powers": [1, 0]}],   # invariant inputs h_j(x): polynomials,
                  [{"coef": 1.0, "powers": [0, 2]}]],  # here (c, eta^2) -> g even in eta
     "feature_shift": [0, 0], "feature_scale": [1, 1], # network input z_j = (h_j - shift_j)/scale_j
     "layers": [{"weights": [[...]], "bias": [...], "activation": "softplus"}, ...],
     "output_scale": 0.01, "output_offset": 0.0,       # g = offset + scale * y(z)
     "energy_unit": "...", "per_site": true,
     "provenance": {...}}

Version 2 is version 1 plus ``"baseline"``: an analytic part of g added to the network,
g = baseline(x) + offset + scale * y(z); ``{"kind": "ideal_mixing", "kT": ..., "fractions_from_order_parameters":
A}`` is the ideal mixing free energy of the sublattice fractions A x (:mod:`pf_app.idnn.baseline`).
A file without a baseline is written as version 1 (unchanged); version 1 is read as version 2 without one.

Version 3 is version 2 plus ``"temperature"``: g(x; kT) with the thermal energy a parameter input,
``{"name": "kT", "shift": s, "scale": t, "range": [lo, hi]}``.  The network's inputs are the invariants'
z followed by ``(kT - s)/t`` (so the first layer has one more row); derivatives are taken with respect
to the order parameters only, at fixed kT (g is integrable in x; kT is no order parameter).  ``range``
is the kT span of the training data (information: evaluation outside it is an extrapolation).  A
baseline of a version-3 file may have ``"kT": "temperature"``: it follows the input kT.  Files without
a temperature are written as version 1 or 2, as before.

A layer maps a (rows x n_in) to a @ W + b with W of shape (n_in x n_out), then the activation
(``softplus``, ``tanh``, ``logistic`` or ``linear``).  ``bias`` may be null (no bias).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pf_app.config import ConfigError, load_json
from pf_app.atomic_files import write_json_atomic

FORMAT, VERSION = "pf_app.idnn", 3
READABLE_VERSIONS = (1, 2, 3)  # 1: no baseline; 2: no temperature input
ACTIVATIONS = ("softplus", "tanh", "logistic", "linear")


def _logistic(s):
    return 0.5 * (1.0 + np.tanh(0.5 * s))


def activation_derivatives(name: str, s: np.ndarray):
    """Value, first and second derivative of an activation at ``s``."""
    if name == "softplus":
        p = _logistic(s)
        return np.logaddexp(0.0, s), p, p * (1.0 - p)
    if name == "tanh":
        t = np.tanh(s)
        return t, 1.0 - t * t, -2.0 * t * (1.0 - t * t)
    if name == "logistic":
        p = _logistic(s)
        return p, p * (1.0 - p), p * (1.0 - p) * (1.0 - 2.0 * p)
    if name == "linear":
        return s, np.ones_like(s), np.zeros_like(s)
    raise ValueError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")


def _monomial(x: np.ndarray, powers) -> np.ndarray:
    """prod_k x_k^p_k by repeated products: exact under x_k -> -x_k for even p_k (numpy's vectorized
    ``power`` is not), and the same operation order as the Keras twin in :mod:`pf_app.idnn.model`."""
    out = np.ones(len(x))
    for k, p in enumerate(powers):
        if p:
            xp = x[:, k]
            for _ in range(int(p) - 1):
                xp = xp * x[:, k]
            out = out * xp
    return out


def _rows_times(t: np.ndarray, W: np.ndarray) -> np.ndarray:
    """t @ W over the last axis as one 2-D matrix product (numpy batches N-D matmul slowly)."""
    return (t.reshape(-1, t.shape[-1]) @ W).reshape(*t.shape[:-1], W.shape[1])


@dataclass
class Layer:
    weights: np.ndarray  # (n_in, n_out)
    bias: np.ndarray | None  # (n_out,) or None
    activation: str


@dataclass(frozen=True)
class TemperatureInput:
    """The thermal energy as the network's last input, (kT - shift) / scale; ``range`` (lo, hi) the kT
    of the training data, in the model's energy unit."""

    name: str = "kT"
    shift: float = 0.0
    scale: float = 1.0
    range: tuple[float, float] = (0.0, 0.0)

    def column(self, kT, n: int) -> np.ndarray:
        """The scaled input (n,) for kT (a number or n numbers); a missing kT is an error."""
        if kT is None:
            raise ValueError(f"this free energy depends on the temperature: give {self.name} "
                             f"(trained for {self.range[0]:g} .. {self.range[1]:g})")
        t = np.broadcast_to(np.asarray(kT, float), (n,))
        return (t - self.shift) / self.scale

    def to_json(self) -> dict:
        return {"name": self.name, "shift": float(self.shift), "scale": float(self.scale),
                "range": [float(v) for v in self.range]}


@dataclass
class IDNNWeights:
    order_parameters: tuple[str, ...]
    features: list[list[tuple[float, tuple[int, ...]]]]  # per feature: terms (coef, powers)
    layers: list[Layer]
    feature_shift: np.ndarray
    feature_scale: np.ndarray
    output_scale: float = 1.0
    output_offset: float = 0.0
    energy_unit: str = "unspecified"
    provenance: dict = field(default_factory=dict)
    baseline: object | None = None  # pf_app.idnn.baseline.IdealMixing (g = baseline + network), or None
    temperature: TemperatureInput | None = None  # kT as the last network input (version 3), or None

    @property
    def n_inputs(self) -> int:
        """Inputs of the first layer: the invariants, and kT when the model has it."""
        return len(self.features) + (self.temperature is not None)

    # ---- construction -------------------------------------------------------------------------
    @staticmethod
    def b2_features() -> list[list[tuple[float, tuple[int, ...]]]]:
        """The B2 invariants (c, eta^2)."""
        return [[(1.0, (1, 0))], [(1.0, (0, 2))]]

    # ---- evaluation ---------------------------------------------------------------------------
    def features_and_derivatives(self, x: np.ndarray, kT=None):
        """h (N,m), dh/dx (N,m,d), d2h/dx2 (N,m,d,d) of the scaled network inputs z (with a temperature
        input m includes it as the last column, its derivatives with respect to x zero)."""
        x = np.atleast_2d(np.asarray(x, float))
        n, d = x.shape
        m = len(self.features)
        h = np.zeros((n, m))
        dh = np.zeros((n, m, d))
        d2h = np.zeros((n, m, d, d))
        for j, terms in enumerate(self.features):
            for coef, powers in terms:
                p = np.asarray(powers)
                h[:, j] += coef * _monomial(x, p)
                for k in range(d):
                    if p[k] == 0:
                        continue
                    pk = p.copy()
                    pk[k] -= 1
                    dh[:, j, k] += coef * p[k] * _monomial(x, pk)
                    for l in range(d):
                        if pk[l] == 0:
                            continue
                        pkl = pk.copy()
                        pkl[l] -= 1
                        d2h[:, j, k, l] += coef * p[k] * pk[l] * _monomial(x, pkl)
        inv = 1.0 / self.feature_scale
        z, dz, d2z = (h - self.feature_shift) * inv, dh * inv[None, :, None], d2h * inv[None, :, None, None]
        if self.temperature is None:
            return z, dz, d2z
        t = self.temperature.column(kT, n)
        return (np.column_stack([z, t]), np.concatenate([dz, np.zeros((n, 1, d))], axis=1),
                np.concatenate([d2z, np.zeros((n, 1, d, d))], axis=1))

    def network(self, z: np.ndarray, order: int = 2):
        """y(z) and its derivatives wrt z: y (N,), dy (N,m), d2y (N,m,m) (None above ``order``).

        Forward mode with the derivative indices first, so that every layer is one matrix product
        over all points, derivatives and units at once: (N*m*m, n_in) @ (n_in, n_out)."""
        n, m = z.shape
        a, ja, ha = z, None, None  # ja: (N, m, n) = da_i/dz_k stored [n, k, i]; ha: (N, m, m, n)
        for layer in self.layers:
            W = layer.weights
            s = a @ W + (0.0 if layer.bias is None else layer.bias)
            f, f1, f2 = activation_derivatives(layer.activation, s)
            if order >= 1:
                js = np.broadcast_to(W, (n, m, W.shape[1])) if ja is None else _rows_times(ja, W)
            if order >= 2:
                hs = 0.0 if ha is None else _rows_times(ha, W)
                ha = f2[:, None, None, :] * js[:, :, None, :] * js[:, None, :, :] + f1[:, None, None, :] * hs
            if order >= 1:
                ja = f1[:, None, :] * js
            a = f
        y = a[:, 0]
        return y, (ja[:, :, 0] if order >= 1 else None), (ha[..., 0] if order >= 2 else None)

    def evaluate(self, x: np.ndarray, order: int = 1, kT=None):
        """g(x) per site, and (order >= 1) dg/dx (N,d), (order >= 2) d2g/dx2 (N,d,d).

        ``kT`` (a number or one per row, energy unit of the model): required by a model with a
        temperature input, ignored by one without (its g does not depend on T)."""
        z, dz, d2z = self.features_and_derivatives(x, kT)
        y, dy, d2y = self.network(z, order)
        g = self.output_offset + self.output_scale * y
        if order == 0:
            return g if self.baseline is None else g + self.baseline.evaluate(x, 0, kT)
        grad = self.output_scale * (dy[:, :, None] * dz).sum(axis=1)
        if order == 1:
            return (g, grad) if self.baseline is None else self._with_baseline(x, 1, kT, g, grad)
        dzT = dz.transpose(0, 2, 1)
        hess = self.output_scale * (dzT @ d2y @ dz + (dy[:, :, None, None] * d2z).sum(axis=1))
        return (g, grad, hess) if self.baseline is None else self._with_baseline(x, 2, kT, g, grad, hess)

    def _with_baseline(self, x, order: int, kT, *network):
        """The network's g and derivatives plus the baseline's (the same order)."""
        return tuple(a + b for a, b in zip(network, self.baseline.evaluate(x, order, kT)))

    # ---- JSON ---------------------------------------------------------------------------------
    def to_json(self) -> dict:
        version = 3 if self.temperature is not None else 2 if self.baseline is not None else 1
        out = {
            "format": FORMAT, "version": version,
            "order_parameters": list(self.order_parameters),
            "features": [[{"coef": float(c), "powers": [int(p) for p in pw]} for c, pw in f] for f in self.features],
            "feature_shift": [float(v) for v in self.feature_shift],
            "feature_scale": [float(v) for v in self.feature_scale],
            "layers": [{"weights": np.asarray(l.weights, float).tolist(),
                        "bias": None if l.bias is None else np.asarray(l.bias, float).tolist(),
                        "activation": l.activation} for l in self.layers],
            "output_scale": float(self.output_scale), "output_offset": float(self.output_offset),
            "energy_unit": self.energy_unit, "per_site": True,
            "provenance": self.provenance,
        }
        if self.baseline is not None:
            out["baseline"] = self.baseline.to_json()
        if self.temperature is not None:
            out["temperature"] = self.temperature.to_json()
        return out

    def save(self, path: str | Path) -> None:
        write_json_atomic(path, self.to_json())


def from_json(data: dict, file: str | Path = "<idnn>") -> IDNNWeights:
    """Validate a decoded ``pf_app.idnn`` document; errors name the file and the key."""
    def need(key, cond, expected, got=None):
        if not cond:
            raise ConfigError(file, key, expected, got)

    need("format", data.get("format") == FORMAT, f"{FORMAT!r}", data.get("format"))
    version = data.get("version")
    need("version", version in READABLE_VERSIONS, f"one of the versions {list(READABLE_VERSIONS)}", version)
    need("baseline", version >= 2 or data.get("baseline") is None, "no baseline in a version-1 file", data.get("baseline"))
    need("temperature", version >= 3 or data.get("temperature") is None, "no temperature in a version-1 or -2 file",
         data.get("temperature"))
    temperature = _temperature_from_json(data.get("temperature"), need)
    ops = tuple(data.get("order_parameters") or ())
    need("order_parameters", len(ops) >= 1 and all(isinstance(o, str) for o in ops), "a list of names", ops)
    feats = []
    for j, f in enumerate(data.get("features") or []):
        terms = []
        for t, term in enumerate(f):
            key = f"features[{j}][{t}]"
            need(key, isinstance(term, dict) and "coef" in term and "powers" in term, "{coef, powers}", term)
            need(f"{key}.powers", len(term["powers"]) == len(ops)
                 and all(int(p) == p and p >= 0 for p in term["powers"]),
                 f"{len(ops)} non-negative integer powers", term["powers"])
            terms.append((float(term["coef"]), tuple(int(p) for p in term["powers"])))
        feats.append(terms)
    need("features", len(feats) >= 1, "at least one invariant feature", data.get("features"))
    m = len(feats)
    shift = np.asarray(data.get("feature_shift", [0.0] * m), float)
    scale = np.asarray(data.get("feature_scale", [1.0] * m), float)
    need("feature_shift", shift.shape == (m,), f"{m} numbers", shift.tolist())
    need("feature_scale", scale.shape == (m,) and np.all(scale != 0), f"{m} non-zero numbers", scale.tolist())
    layers, n_in = [], m + (temperature is not None)
    for i, l in enumerate(data.get("layers") or []):
        w = np.asarray(l.get("weights"), float)
        need(f"layers[{i}].weights", w.ndim == 2 and w.shape[0] == n_in, f"a matrix with {n_in} rows", w.shape)
        b = None if l.get("bias") is None else np.asarray(l["bias"], float)
        need(f"layers[{i}].bias", b is None or b.shape == (w.shape[1],), f"{w.shape[1]} numbers or null")
        act = l.get("activation", "linear")
        need(f"layers[{i}].activation", act in ACTIVATIONS, f"one of {ACTIVATIONS}", act)
        layers.append(Layer(w, b, act))
        n_in = w.shape[1]
    need("layers", len(layers) >= 1 and n_in == 1, "layers ending in a single output", n_in)
    from pf_app.idnn.baseline import baseline_from_json

    baseline = baseline_from_json(data.get("baseline"), len(ops), need, temperature is not None)
    return IDNNWeights(ops, feats, layers, shift, scale, float(data.get("output_scale", 1.0)),
                       float(data.get("output_offset", 0.0)), str(data.get("energy_unit", "unspecified")),
                       dict(data.get("provenance") or {}), baseline, temperature)


def _temperature_from_json(t, need) -> TemperatureInput | None:
    if t is None:
        return None
    need("temperature", isinstance(t, dict), "{name, shift, scale, range}", t)
    shift, scale, rng = t.get("shift", 0.0), t.get("scale", 1.0), t.get("range")
    need("temperature.shift", isinstance(shift, (int, float)) and np.isfinite(shift), "a number", shift)
    need("temperature.scale", isinstance(scale, (int, float)) and np.isfinite(scale) and scale != 0,
         "a non-zero number", scale)
    need("temperature.range", isinstance(rng, list) and len(rng) == 2 and all(isinstance(v, (int, float)) for v in rng)
         and 0 < rng[0] <= rng[1], "[lo, hi] with 0 < lo <= hi (the training data's kT)", rng)
    return TemperatureInput(str(t.get("name", "kT")), float(shift), float(scale), (float(rng[0]), float(rng[1])))


def load(path: str | Path) -> IDNNWeights:
    return from_json(load_json(path, "an existing IDNN weights file (pf_app.idnn JSON)"), path)
