"""A compiled (numba) evaluator of IDNN free energies: g, gradient and Hessian point by point.

Same mathematics as :meth:`pf_app.idnn.weights.IDNNWeights.evaluate` (the reference it is tested
against to round-off), without N-dimensional temporaries: each point's layer Jacobians and Hessians
live in small work arrays, so the cost is a few microseconds per point on one core.  Used by the
phase-field solver at every quadrature point.
"""

from __future__ import annotations

import numba
import numpy as np

from pf_app.idnn.weights import ACTIVATIONS, IDNNWeights


@numba.njit(cache=True, inline="always")
def _act(code, s):
    if code == 0:  # softplus
        p = 1.0 / (1.0 + np.exp(-s)) if s > -30.0 else np.exp(s)
        f = max(s, 0.0) + np.log1p(np.exp(-abs(s)))
        return f, p, p * (1.0 - p)
    if code == 1:  # tanh
        t = np.tanh(s)
        return t, 1.0 - t * t, -2.0 * t * (1.0 - t * t)
    if code == 2:  # logistic
        p = 1.0 / (1.0 + np.exp(-s))
        return p, p * (1.0 - p), p * (1.0 - p) * (1.0 - 2.0 * p)
    return s, 1.0, 0.0


@numba.njit(cache=True)
def _evaluate(x, t_feat, t_coef, t_pow, shift, scale, W, b, n_in, n_out, act, out_scale, out_offset,
              g, grad, hess):
    npts, d = x.shape
    m = shift.shape[0]
    nmax = W.shape[1]
    z = np.empty(m)
    dz = np.empty((m, d))
    d2z = np.empty((m, d, d))
    a = np.empty(nmax)
    ja = np.empty((nmax, m))
    ha = np.empty((nmax, m, m))
    s_new = np.empty(nmax)
    js = np.empty((nmax, m))
    hs = np.empty((nmax, m, m))
    for p in range(npts):
        z[:] = 0.0
        dz[:] = 0.0
        d2z[:] = 0.0
        for t in range(t_feat.shape[0]):
            j, c = t_feat[t], t_coef[t]
            val = c
            for k in range(d):
                val *= x[p, k] ** t_pow[t, k]
            z[j] += val
            for k in range(d):
                pk = t_pow[t, k]
                if pk == 0:
                    continue
                dk = c * pk
                for i in range(d):
                    dk *= x[p, i] ** (t_pow[t, i] - (1 if i == k else 0))
                dz[j, k] += dk
                for l in range(d):
                    pl = t_pow[t, l] - (1 if l == k else 0)
                    if pl == 0:
                        continue
                    dkl = c * pk * pl
                    for i in range(d):
                        dkl *= x[p, i] ** (t_pow[t, i] - (1 if i == k else 0) - (1 if i == l else 0))
                    d2z[j, k, l] += dkl
        for j in range(m):
            a[j] = (z[j] - shift[j]) / scale[j]
            for k in range(m):
                ja[j, k] = 1.0 if j == k else 0.0
                for l in range(m):
                    ha[j, k, l] = 0.0
        for L in range(W.shape[0]):
            ni, no = n_in[L], n_out[L]
            for o in range(no):
                s = b[L, o]
                for k in range(m):
                    js[o, k] = 0.0
                    for l in range(m):
                        hs[o, k, l] = 0.0
                for i in range(ni):
                    w = W[L, i, o]
                    s += w * a[i]
                    for k in range(m):
                        js[o, k] += w * ja[i, k]
                        for l in range(m):
                            hs[o, k, l] += w * ha[i, k, l]
                f, f1, f2 = _act(act[L], s)
                s_new[o] = f
                for k in range(m):
                    for l in range(m):
                        hs[o, k, l] = f2 * js[o, k] * js[o, l] + f1 * hs[o, k, l]
                for k in range(m):  # only after the Hessian has used the unscaled js
                    js[o, k] *= f1
            for o in range(no):
                a[o] = s_new[o]
                for k in range(m):
                    ja[o, k] = js[o, k]
                    for l in range(m):
                        ha[o, k, l] = hs[o, k, l]
        g[p] = out_offset + out_scale * a[0]
        # chain rule from z = (h - shift)/scale to x
        for k in range(d):
            acc = 0.0
            for j in range(m):
                acc += ja[0, j] * dz[j, k] / scale[j]
            grad[p, k] = out_scale * acc
            for l in range(d):
                acc = 0.0
                for i in range(m):
                    for j in range(m):
                        acc += ha[0, i, j] * dz[i, k] * dz[j, l] / (scale[i] * scale[j])
                    acc += ja[0, i] * d2z[i, k, l] / scale[i]
                hess[p, k, l] = out_scale * acc


class CompiledIDNN:
    """Packs an :class:`IDNNWeights` into flat arrays for the compiled kernel."""

    def __init__(self, w: IDNNWeights):
        terms = [(j, c, p) for j, f in enumerate(w.features) for c, p in f]
        self.t_feat = np.array([t[0] for t in terms], np.int64)
        self.t_coef = np.array([t[1] for t in terms], float)
        self.t_pow = np.array([t[2] for t in terms], np.int64)
        self.shift, self.scale = np.asarray(w.feature_shift, float), np.asarray(w.feature_scale, float)
        nmax = max(max(l.weights.shape) for l in w.layers)
        n_layers = len(w.layers)
        self.W = np.zeros((n_layers, nmax, nmax))
        self.b = np.zeros((n_layers, nmax))
        for i, l in enumerate(w.layers):
            self.W[i, : l.weights.shape[0], : l.weights.shape[1]] = l.weights
            if l.bias is not None:
                self.b[i, : len(l.bias)] = l.bias
        self.n_in = np.array([l.weights.shape[0] for l in w.layers], np.int64)
        self.n_out = np.array([l.weights.shape[1] for l in w.layers], np.int64)
        self.act = np.array([ACTIVATIONS.index(l.activation) for l in w.layers], np.int64)
        self.out_scale, self.out_offset = float(w.output_scale), float(w.output_offset)
        self.d = len(w.order_parameters)

    def evaluate(self, x: np.ndarray):
        """(g, grad, hess) at the rows of x, shapes (N,), (N, d), (N, d, d)."""
        x = np.ascontiguousarray(np.atleast_2d(x), dtype=float)
        n = x.shape[0]
        g, grad, hess = np.empty(n), np.empty((n, self.d)), np.empty((n, self.d, self.d))
        _evaluate(x, self.t_feat, self.t_coef, self.t_pow, self.shift, self.scale, self.W, self.b, self.n_in,
                  self.n_out, self.act, self.out_scale, self.out_offset, g, grad, hess)
        return g, grad, hess
