"""State points: order-parameter sets over the physical domain, and bias centres aimed at target points.

The physical domain is the image eta = Q x of the unit cube of sublattice fractions x, so Sobol
points are drawn in x (with ``eta_nonnegative``: sorted x_1 >= x_2 >= ..., for two sublattices the
eta >= 0 half of the B2 domain).  To aim the umbrella at a target point, kappa = target +
mu_guess / (2 phi) (DESIGN.md), with mu_guess from the mean-field (Bragg-Williams) free energy of the
model, the ideal solution, or a previous IDNN.

B2 convenience (two sublattices, Q = [[1, 1], [1, -1]]/sqrt2): :func:`to_fractions` and
:func:`from_fractions` convert between (c, eta) and (x1, x2).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

from pf_app.config import ConfigError
from pf_app.montecarlo.config import PointsConfig
from pf_app.montecarlo.meanfield import MeanField
from pf_app.montecarlo.order_parameters import OrderParameterMap

SQRT2 = math.sqrt(2.0)


def to_fractions(c, eta):
    """B2: (x1, x2) from (c, eta)."""
    c, eta = np.asarray(c, float), np.asarray(eta, float)
    return (c + eta) / SQRT2, (c - eta) / SQRT2


def from_fractions(x1, x2):
    """B2: (c, eta) from (x1, x2)."""
    x1, x2 = np.asarray(x1, float), np.asarray(x2, float)
    return (x1 + x2) / SQRT2, (x1 - x2) / SQRT2


def ideal_mu(eta, kT, order_map: OrderParameterMap) -> np.ndarray:
    """dg/deta of the ideal solution g = (kT/S) sum_s [x_s ln x_s + (1 - x_s) ln(1 - x_s)], shape (n, K)
    (kT a number or one per point)."""
    x = order_map.fractions(np.atleast_2d(eta))
    kT = np.asarray(kT, float)
    return ((kT[:, None] if kT.ndim else kT) / x.shape[-1] * np.log(x / (1 - x))) @ order_map.Q_inv


def guess_mu(points: np.ndarray, kT, guess: str | Path, order_map: OrderParameterMap,
             mean_field: MeanField | None) -> np.ndarray:
    """mu guess at points (n, K) and kT (a number or one per point): 'mean_field', 'ideal', 'none'
    (zeros) or an IDNN weights file (a model with a temperature input is evaluated at kT)."""
    if isinstance(guess, Path):
        from pf_app.idnn import weights

        return weights.load(guess).evaluate(points, order=1, kT=kT)[1]
    if guess == "mean_field":
        kT = np.asarray(kT, float)
        if kT.ndim == 0:
            return mean_field.mu(points, float(kT))
        return np.vstack([mean_field.mu(p[None, :], float(t)) for p, t in zip(points, kT)]).reshape(len(points), -1)
    if guess == "ideal":
        return ideal_mu(points, kT, order_map)
    return np.zeros_like(points)


def kappa_for_targets(targets: np.ndarray, phi, mu: np.ndarray) -> np.ndarray:
    """kappa = target + mu / (2 phi), shape (n, K)."""
    return targets + mu / (2.0 * np.asarray(phi, float))


def physical_points(cfg: PointsConfig, order_map: OrderParameterMap, file: str | Path, key: str,
                    check_domain: bool = True) -> np.ndarray:
    """The eta points of a points block, shape (n, K); list entries outside the domain are errors."""
    lo, hi = cfg.margin, 1.0 - cfg.margin
    s = order_map.n
    if cfg.kind == "list":
        pts = np.array(cfg.values, float).reshape(-1, s)
        if check_domain:
            bad = ~order_map.in_domain(pts)
            if bad.any():
                i = int(np.argmax(bad))
                raise ConfigError(file, f"{key}.values[{i}]", "a point whose sublattice fractions "
                                  "x = Q^-1 eta lie in [0, 1]", list(pts[i]))
        return pts
    if cfg.kind == "sobol":
        from scipy.stats import qmc

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # balance warning for n not a power of 2
            u = qmc.Sobol(d=s, scramble=True, seed=cfg.seed).random(cfg.n)
        x = lo + (hi - lo) * u
        if cfg.eta_nonnegative:
            x = -np.sort(-x, axis=1)
        return order_map.eta(x)
    axes = np.meshgrid(*(span.values() for span in cfg.grid), indexing="ij")
    pts = np.column_stack([a.ravel() for a in axes])
    x = order_map.fractions(pts)
    keep = np.all((x >= lo - 1e-12) & (x <= hi + 1e-12), axis=1)
    if cfg.eta_nonnegative:
        keep &= np.all(x[:, :-1] >= x[:, 1:] - 1e-12, axis=1)
    if not keep.any():
        raise ConfigError(file, f"{key}.grid", "a grid with points inside the physical domain (minus margin)",
                          "no point inside")
    return pts[keep]
