"""A B-spline free energy g(c, eta) = S(c, eta^2) and its JSON file (numpy/scipy, no TensorFlow).

``S(u, v) = sum_ij a_ij B_i(u) N_j(v)`` with B_i, N_j B-splines of ``degree`` on clamped knot
vectors; using v = eta^2 makes g exactly even in eta.  :meth:`BSplineFreeEnergy.evaluate` has the
interface of :meth:`pf_app.idnn.weights.IDNNWeights.evaluate`: x (N, 2) = (c, eta) ->
g (N,) | (g, dg/dx (N, 2)) | (g, dg/dx, d2g/dx2 (N, 2, 2)), energy per site; the derivatives are
scipy's exact ones, including the chain rule through v = eta^2.

Outside the knot span the end polynomials are extended and an :class:`ExtrapolationWarning` names
how many points were outside and how far (once per model): a warning, not an error, because a
Newton iterate of the phase-field solver may step outside for an iteration and come back, and a
run should not die for that; but the numbers there are not data, so it is never silent.

Format ``pf_app.bspline`` version 1::

    {"format": "pf_app.bspline", "version": 1, "order_parameters": ["c", "eta"],
     "variables": ["c", "eta^2"], "degree": 3,
     "knots": [[...u knots...], [...v knots...]],      # full (clamped) knot vectors
     "coefficients": [[...], ...],                      # a_ij, shape (len(u knots) - degree - 1, ...)
     "energy_unit": "eV", "per_site": true, "provenance": {...}}
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.interpolate import BSpline, NdBSpline

from pf_app.config import ConfigError, load_json
from pf_app.atomic_files import write_json_atomic

FORMAT, VERSION = "pf_app.bspline", 1


class ExtrapolationWarning(UserWarning):
    """A B-spline free energy evaluated outside its knot span (the end polynomials are extended)."""


def basis(knots: np.ndarray, degree: int, u: np.ndarray, derivative: int = 0) -> np.ndarray:
    """All B-splines (or their ``derivative``) of a knot vector at points u: shape (len(u), n_basis)."""
    n = len(knots) - degree - 1
    return BSpline(knots, np.eye(n), degree, extrapolate=True)(u, nu=derivative)


def clamped_uniform_knots(lo: float, hi: float, interior: int, degree: int) -> np.ndarray:
    """``interior`` equally spaced interior knots on [lo, hi], end knots repeated degree + 1 times."""
    inner = np.linspace(lo, hi, interior + 2)
    return np.concatenate([np.full(degree, lo), inner, np.full(degree, hi)])


@dataclass
class BSplineFreeEnergy:
    knots_c: np.ndarray
    knots_v: np.ndarray  # knots in v = eta^2
    coefficients: np.ndarray  # (n_c, n_v)
    degree: int = 3
    energy_unit: str = "unspecified"
    provenance: dict = field(default_factory=dict)
    order_parameters: tuple[str, ...] = ("c", "eta")
    _warned: bool = field(default=False, init=False, repr=False, compare=False)

    def _check_span(self, c: np.ndarray, v: np.ndarray) -> None:
        """Warn (once per model) when points lie outside the knot span in c or v = eta^2."""
        (c0, c1), (v0, v1) = (self.knots_c[0], self.knots_c[-1]), (self.knots_v[0], self.knots_v[-1])
        dc, dv = np.maximum(c0 - c, c - c1), np.maximum(v0 - v, v - v1)  # > 0 outside
        # a few ulps past an end are round-off (eta^2 of eta = 1/sqrt2 is 0.5000000000000001), not extrapolation
        ulps = 4 * np.finfo(float).eps
        outside = (dc > ulps * max(abs(c0), abs(c1))) | (dv > ulps * max(abs(v0), abs(v1)))
        if self._warned or not outside.any():
            return
        self._warned = True
        source = self.provenance.get("source", "B-spline free energy")
        warnings.warn(f"{source}: {int(outside.sum())} of {len(c)} points outside the knot span c in [{c0:.6g}, "
                      f"{c1:.6g}], eta^2 in [{v0:.6g}, {v1:.6g}] (up to {max(dc.max(), 0.0):.3g} in c, "
                      f"{max(dv.max(), 0.0):.3g} in eta^2): the end polynomials are extended there (warned once "
                      f"per model)", ExtrapolationWarning, stacklevel=3)

    def evaluate(self, x: np.ndarray, order: int = 1):
        """g per site and (order >= 1) dg/dx (N, 2), (order >= 2) d2g/dx2 (N, 2, 2); x = (c, eta)."""
        x = np.atleast_2d(np.asarray(x, float))
        eta = x[:, 1]
        v = eta * eta
        self._check_span(x[:, 0], v)
        # scipy's compiled tensor-product evaluation: (degree + 1)^2 terms per point
        tensor = NdBSpline((self.knots_c, self.knots_v), self.coefficients, self.degree, extrapolate=True)
        points = np.column_stack([x[:, 0], v])
        s = lambda i, j: tensor(points, nu=(i, j))
        g = s(0, 0)
        if order == 0:
            return g
        s_v = s(0, 1)
        grad = np.column_stack([s(1, 0), 2.0 * eta * s_v])
        if order == 1:
            return g, grad
        hess = np.empty((len(x), 2, 2))
        hess[:, 0, 0] = s(2, 0)
        hess[:, 0, 1] = hess[:, 1, 0] = 2.0 * eta * s(1, 1)
        hess[:, 1, 1] = 2.0 * s_v + 4.0 * v * s(0, 2)
        return g, grad, hess

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "order_parameters": list(self.order_parameters),
                "variables": ["c", "eta^2"], "degree": int(self.degree),
                "knots": [np.asarray(self.knots_c, float).tolist(), np.asarray(self.knots_v, float).tolist()],
                "coefficients": np.asarray(self.coefficients, float).tolist(),
                "energy_unit": self.energy_unit, "per_site": True, "provenance": self.provenance}

    def save(self, path: str | Path) -> None:
        write_json_atomic(path, self.to_json())


def from_json(data: dict, file: str | Path = "<bspline>") -> BSplineFreeEnergy:
    """Validate a decoded ``pf_app.bspline`` document; errors name the file and the key."""
    def need(key, cond, expected, got=None):
        if not cond:
            raise ConfigError(file, key, expected, got)

    need("<top>", isinstance(data, dict), "a JSON object", type(data).__name__)
    need("format", data.get("format") == FORMAT, repr(FORMAT), data.get("format"))
    need("version", data.get("version") == VERSION, f"version {VERSION}", data.get("version"))
    need("order_parameters", data.get("order_parameters") == ["c", "eta"], "['c', 'eta']",
         data.get("order_parameters"))
    need("variables", data.get("variables") == ["c", "eta^2"], "['c', 'eta^2']", data.get("variables"))
    degree = data.get("degree")
    need("degree", isinstance(degree, int) and 1 <= degree <= 5, "an integer degree 1..5", degree)
    knots = data.get("knots")
    need("knots", isinstance(knots, list) and len(knots) == 2, "two knot vectors", type(knots).__name__)
    kv = []
    for i, t in enumerate(knots):
        try:
            t = np.asarray(t, float)
        except (TypeError, ValueError):
            t = np.zeros(0)
        need(f"knots[{i}]", t.ndim == 1 and len(t) >= 2 * degree + 2 and np.all(np.diff(t) >= 0)
             and np.all(np.isfinite(t)), f"a non-decreasing list of at least {2 * degree + 2} numbers")
        kv.append(t)
    shape = (len(kv[0]) - degree - 1, len(kv[1]) - degree - 1)
    try:
        a = np.asarray(data.get("coefficients"), float)
    except (TypeError, ValueError):
        a = np.zeros(0)
    need("coefficients", a.shape == shape and np.all(np.isfinite(a)), f"a {shape[0]} x {shape[1]} matrix of numbers",
         a.shape)
    return BSplineFreeEnergy(kv[0], kv[1], a, degree, str(data.get("energy_unit", "unspecified")),
                             dict(data.get("provenance") or {}))


def load(path: str | Path) -> BSplineFreeEnergy:
    return from_json(load_json(path, "an existing B-spline model file (pf_app.bspline JSON)"), path)
