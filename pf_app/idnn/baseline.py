"""An analytic part of the free energy added to the network: g(eta) = g_ideal(eta) + g_net(eta).

``ideal_mixing`` is the point-approximation (Bragg-Williams) ideal mixing free energy per site of S
equal sublattices::

    g_ideal(eta) = (kT / S) sum_s [x_s ln x_s + (1 - x_s) ln(1 - x_s)],     x = A eta,

with x_s the fraction of the second species (sigma = +1) on sublattice s and A = Q^-1 the inverse of
the order-parameter map eta = Q x of the data (:class:`pf_app.montecarlo.order_parameters.
OrderParameterMap`, the scale folded into Q).  Its derivatives are analytic::

    dg_ideal/deta_k = (kT / S) sum_s A_sk ln(x_s / (1 - x_s)),
    d2g_ideal/deta_k deta_l = (kT / S) sum_s A_sk A_sl / (x_s (1 - x_s)).

g_ideal is a sum of one function over the sublattices, so it is invariant under every sublattice
permutation: an IDNN whose invariants make g_net symmetric stays symmetric with it.  It carries the
kT ln x divergence of mu at the edges of the composition domain, which a network of smooth units
fits badly; the network is trained on mu - dg_ideal/deta and every evaluator adds g_ideal back
(numpy :meth:`IdealMixing.evaluate`, TensorFlow :meth:`IdealMixing.tf`, UFL :meth:`IdealMixing.ufl`).
Outside 0 < x_s < 1 g_ideal is not defined (NaN), as the physics says.

JSON (the ``baseline`` entry of a ``pf_app.idnn`` version-2 file, docs/formats.md)::

    {"kind": "ideal_mixing", "kT": 3.0,
     "fractions_from_order_parameters": [[...], ...]}   # A (S x S): x = A eta

In a model with a temperature input (version 3) ``"kT": "temperature"`` makes g_ideal follow the
evaluation temperature (``kT=None`` here; every evaluator then takes kT: a number or one per row,
in TensorFlow a column, in UFL a number or a Constant).

No TensorFlow import at module level (the phase-field side reads this file).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BASELINES = ("none", "ideal_mixing")


@dataclass
class IdealMixing:
    """g_ideal of S equal sublattices at thermal energy ``kT`` (energy unit of the data, per site);
    ``kT`` None: at the temperature each evaluation is given (a model with a temperature input)."""

    kT: float | None
    A: np.ndarray  # (S, S): sublattice fractions x = A eta

    kind = "ideal_mixing"

    def __post_init__(self):
        self.kT = None if self.kT is None else float(self.kT)
        self.A = np.atleast_2d(np.asarray(self.A, float))
        if self.A.shape[0] != self.A.shape[1]:
            raise ValueError(f"the fraction map must be square, got shape {self.A.shape}")
        if self.kT is not None and not (np.isfinite(self.kT) and self.kT > 0):
            raise ValueError(f"kT must be a positive number, got {self.kT}")

    @classmethod
    def from_order_parameter_map(cls, kT: float | None, Q) -> "IdealMixing":
        """From eta = Q x (Q with its scale folded in)."""
        return cls(kT, np.linalg.inv(np.asarray(Q, float)))

    def _kT(self, kT):
        """The fixed kT, else the evaluation's (required)."""
        if self.kT is not None:
            return self.kT
        if kT is None:
            raise ValueError("this ideal-mixing baseline follows the temperature: give kT")
        return kT

    @property
    def sublattices(self) -> int:
        return self.A.shape[0]

    def fractions(self, eta: np.ndarray) -> np.ndarray:
        return np.atleast_2d(np.asarray(eta, float)) @ self.A.T

    # ---- numpy --------------------------------------------------------------------------------
    def evaluate(self, eta: np.ndarray, order: int = 1, kT=None):
        """g_ideal (N,), and (order >= 1) its gradient (N, S), (order >= 2) its Hessian (N, S, S);
        ``kT`` (a number or (N,)) only when the baseline follows the temperature."""
        from scipy.special import xlogy

        x = self.fractions(eta)
        c = np.asarray(self._kT(kT), float) / self.sublattices
        if c.ndim:
            c = np.broadcast_to(c, (len(x),))
            cg, cH = c[:, None], c[:, None, None]
        else:
            cg = cH = c
        with np.errstate(invalid="ignore", divide="ignore"):
            bad = (x < 0) | (x > 1)
            g = c * np.where(bad, np.nan, xlogy(x, x) + xlogy(1.0 - x, 1.0 - x)).sum(axis=1)
            if order == 0:
                return g
            grad = cg * ((np.log(x) - np.log1p(-x)) @ self.A)
            if order == 1:
                return g, grad
            w = 1.0 / (x * (1.0 - x))
            hess = cH * np.einsum("ns,sk,sl->nkl", w, self.A, self.A)
        return g, grad, hess

    # ---- TensorFlow (training) ----------------------------------------------------------------
    def tf(self, eta, kT=None):
        """g_ideal (N,) as a TensorFlow expression of eta (N, S) (float64; ``kT`` a tensor (N,) when the
        baseline follows the temperature); its gradient is autodiff."""
        import tensorflow as tf

        x = tf.matmul(eta, tf.constant(self.A), transpose_b=True)  # rows: A @ eta_n
        terms = x * tf.math.log(x) + (1.0 - x) * tf.math.log1p(-x)
        return (self._kT(kT) / self.sublattices) * tf.reduce_sum(terms, axis=1)

    # ---- UFL (phase field) --------------------------------------------------------------------
    def _ufl_fractions(self, fields):
        return [sum(float(self.A[s, k]) * f for k, f in enumerate(fields)) for s in range(self.sublattices)]

    def ufl(self, fields, kT=None):
        import ufl

        c = self._kT(kT) / self.sublattices
        return c * sum(x * ufl.ln(x) + (1.0 - x) * ufl.ln(1.0 - x) for x in self._ufl_fractions(fields))

    def ufl_gradient(self, fields, kT=None):
        import ufl

        c = self._kT(kT) / self.sublattices
        logit = [ufl.ln(x) - ufl.ln(1.0 - x) for x in self._ufl_fractions(fields)]
        return [c * sum(float(self.A[s, k]) * logit[s] for s in range(self.sublattices)) for k in range(len(fields))]

    # ---- JSON ---------------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"kind": self.kind, "kT": "temperature" if self.kT is None else self.kT,
                "fractions_from_order_parameters": self.A.tolist()}

    def same_as(self, other) -> bool:
        return isinstance(other, IdealMixing) and self.kT == other.kT and np.array_equal(self.A, other.A)


def baseline_from_json(data, n_order_parameters: int, need, has_temperature: bool = False) -> IdealMixing | None:
    """The ``baseline`` entry of a weights file (None or absent: no baseline); ``need(key, cond,
    expected, got)`` raises the file's error; ``has_temperature``: the model has a kT input."""
    if data is None:
        return None
    need("baseline", isinstance(data, dict) and data.get("kind") == "ideal_mixing",
         "null or {kind: ideal_mixing, kT, fractions_from_order_parameters}", data)
    kT = data.get("kT")
    if has_temperature and kT == "temperature":
        kT = None
    else:
        need("baseline.kT", isinstance(kT, (int, float)) and kT > 0,
             "a positive thermal energy" + (" or 'temperature'" if has_temperature else ""), kT)
    A = np.asarray(data.get("fractions_from_order_parameters"), float)
    need("baseline.fractions_from_order_parameters", A.shape == (n_order_parameters, n_order_parameters)
         and np.all(np.isfinite(A)), f"a {n_order_parameters} x {n_order_parameters} matrix (x = A eta)", A.tolist())
    return IdealMixing(kT, A)
