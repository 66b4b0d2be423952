"""Fit a B-spline free energy to derivative data by regularized linear least squares.

With S(u, v) = sum a_ij B_i(u) N_j(v), u = c, v = eta^2, the data mu_c = dS/du and
mu_eta = 2 eta dS/dv are linear in a; regularized least squares as in the seed's Eq. 38-39, here
with a ridge on Jacobi-scaled coefficients:

    a = argmin  sum_k w_k / s_k^2 |R_k^(1/2) (A_k a - mu_k)|^2 + lambda |D a|^2,
    D = diag(M)^(1/2),  M = sum_k w_k / s_k^2 A_k^T R_k A_k

(R_k: per-row weights, 1/se^2 normalized to mean 1 with ``data.weight_by_standard_errors``, else 1)

solved through the Jacobi-scaled normal equations, accumulated over row chunks (memory
O(n_coefficients^2)); the scaling makes ``lambda`` dimensionless and keeps a tiny lambda accurate.
The constant of g is not seen by derivative data; the ridge term picks the one of smallest |D a|
(``regularization: 0`` uses the minimal-norm least-squares solution directly).  Uniform knots;
:func:`sweep` fits every requested number of interior knots and reports the validation MSE (skipping
counts a resumed sweep has already fitted).
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
from scipy.linalg import LinAlgWarning, solve

from pf_app.bspline.evaluate import BSplineFreeEnergy, basis, clamped_uniform_knots

_CHUNK = 8192


def design(knots_c, knots_v, degree: int, x: np.ndarray):
    """Rows of A_c and A_eta at points x (N, 2): mu_c = A_c a, mu_eta = A_eta a (a flattened C-order)."""
    c, eta = x[:, 0], x[:, 1]
    v = eta * eta
    bu, dbu = basis(knots_c, degree, c), basis(knots_c, degree, c, 1)
    bv, dbv = basis(knots_v, degree, v), basis(knots_v, degree, v, 1)
    n = len(x)
    a_c = (dbu[:, :, None] * bv[:, None, :]).reshape(n, -1)
    a_eta = (2.0 * eta)[:, None] * (bu[:, :, None] * dbv[:, None, :]).reshape(n, -1)
    return a_c, a_eta


def fit(knots_c, knots_v, degree: int, x: np.ndarray, mu: np.ndarray, weights: np.ndarray, regularization: float):
    """Coefficients (n_c, n_v) for data x (N, 2), mu (N, 2) and residual weights (N, 2)."""
    n_c, n_v = len(knots_c) - degree - 1, len(knots_v) - degree - 1
    m = np.zeros((n_c * n_v, n_c * n_v))
    rhs = np.zeros(n_c * n_v)
    for start in range(0, len(x), _CHUNK):
        sl = slice(start, start + _CHUNK)
        for a, y, w in zip(design(knots_c, knots_v, degree, x[sl]), mu[sl].T, weights[sl].T):
            m += a.T @ (w[:, None] * a)
            rhs += a.T @ (w * y)
    d = np.sqrt(np.diag(m))
    d = np.where(d > 0, d, 1.0)  # basis functions without data keep scale 1 (the ridge sets them)
    scaled = m / d[:, None] / d[None, :]
    if regularization > 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LinAlgWarning)  # expected for tiny lambda; the ridge keeps it solvable
            coef = solve(scaled + regularization * np.eye(len(m)), rhs / d, assume_a="pos")
    else:
        coef = np.linalg.lstsq(scaled, rhs / d, rcond=None)[0]
    return (coef / d).reshape(n_c, n_v)


def mse(model: BSplineFreeEnergy, x: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Mean squared error of mu per order parameter, (energy per site)^2."""
    if len(x) == 0:
        return np.full(2, np.nan)
    return ((model.evaluate(x, 1)[1] - mu) ** 2).mean(axis=0)


def sweep(data, cfg, energy_unit: str, progress: bool = False, done: dict | None = None, on_entry=None):
    """Fit every ``cfg.interior_knots``; return (rows, best model, best row).

    ``done`` maps interior-knot counts already fitted (a resumed sweep) to their (row, coefficients),
    which are used instead of fitting again; ``on_entry(row, coefficients)`` is called after each
    count (the checkpoint of :mod:`pf_app.bspline.run`).
    """
    x_all = np.vstack([data.x_train, data.x_val])
    c_range = cfg.c_range or (float(x_all[:, 0].min()), float(x_all[:, 0].max()))
    eta2_range = cfg.eta2_range or (0.0, float((x_all[:, 1] ** 2).max()))
    s = np.sqrt(np.mean(data.mu_train ** 2, axis=0))
    if cfg.label_scaling == "common":
        s = np.full(2, np.sqrt(np.mean(s ** 2)))
    s = np.where(s > 0, s, 1.0)
    weights = data.w_train * (np.array([cfg.weights.get(n, 1.0) for n in ("c", "eta")]) / s ** 2)
    done = done or {}
    rows, best = [], None
    for n in cfg.interior_knots:
        kc = clamped_uniform_knots(*c_range, n, cfg.degree)
        kv = clamped_uniform_knots(*eta2_range, n, cfg.degree)
        if n in done:
            row, coef = done[n]
            model = BSplineFreeEnergy(kc, kv, np.asarray(coef, float), cfg.degree, energy_unit)
        else:
            coef = fit(kc, kv, cfg.degree, data.x_train, data.mu_train, weights, cfg.regularization)
            model = BSplineFreeEnergy(kc, kv, coef, cfg.degree, energy_unit)
            train, val = mse(model, data.x_train, data.mu_train), mse(model, data.x_val, data.mu_val)
            row = {"interior_knots": n, "coefficients": coef.size, "train_mse": float(train.sum()),
                   "val_mse": float(val.sum()), "val_mse_c": float(val[0]), "val_mse_eta": float(val[1])}
        rows.append(row)
        if progress:
            print(f"bspline: {n} interior knots, {model.coefficients.size} coefficients: train MSE "
                  f"{row['train_mse']:.4g}, validation MSE {row['val_mse']:.4g}"
                  + (" (from the checkpoint)" if n in done else ""), file=sys.stderr, flush=True)
        if on_entry is not None:
            on_entry(row, model.coefficients)
        score = row["val_mse"] if len(data.x_val) else row["train_mse"]
        if best is None or score < best[0]:
            best = (score, model, row)
    best[1].provenance["c_range"], best[1].provenance["eta2_range"] = list(c_range), list(eta2_range)
    return rows, best[1], best[2]
