"""State points: (c, eta) sets over the physical domain, and bias centres aimed at target points.

The physical domain |eta| <= min(c, sqrt2 - c) is the unit square of the sublattice B fractions
x1 = (c + eta)/sqrt2, x2 = (c - eta)/sqrt2, so Sobol points are drawn in (x1, x2).
To aim the umbrella at a target point, kappa = target + mu_guess / (2 phi) (DESIGN.md), with mu_guess
from the mean-field (Bragg-Williams) free energy of the model, the ideal solution, or a previous IDNN.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

from pf_app.config import ConfigError
from pf_app.montecarlo.config import PointsConfig
from pf_app.montecarlo.hamiltonian import ClusterExpansion
from pf_app.montecarlo.meanfield import mean_field_mu

SQRT2 = math.sqrt(2.0)


def to_fractions(c, eta):
    """(x1, x2) from (c, eta)."""
    c, eta = np.asarray(c, float), np.asarray(eta, float)
    return (c + eta) / SQRT2, (c - eta) / SQRT2


def from_fractions(x1, x2):
    """(c, eta) from (x1, x2)."""
    x1, x2 = np.asarray(x1, float), np.asarray(x2, float)
    return (x1 + x2) / SQRT2, (x1 - x2) / SQRT2


def ideal_mu(c, eta, kT: float) -> np.ndarray:
    """dg/dc, dg/deta of the ideal solution g = kT/2 sum_s [x_s ln x_s + (1 - x_s) ln(1 - x_s)], shape (n, 2)."""
    x1, x2 = to_fractions(c, eta)
    l1, l2 = np.log(x1 / (1 - x1)), np.log(x2 / (1 - x2))
    f = kT / (2.0 * SQRT2)
    return np.column_stack([f * (l1 + l2), f * (l1 - l2)])


def guess_mu(points: np.ndarray, kT: float, guess: str | Path, model: ClusterExpansion) -> np.ndarray:
    """mu guess at points (n, 2): 'mean_field', 'ideal', 'none' (zeros) or an IDNN weights file."""
    if isinstance(guess, Path):
        from pf_app.idnn import weights

        return weights.load(guess).evaluate(points, order=1)[1]
    if guess == "mean_field":
        return mean_field_mu(model, points[:, 0], points[:, 1], kT)
    if guess == "ideal":
        return ideal_mu(points[:, 0], points[:, 1], kT)
    return np.zeros_like(points)


def kappa_for_targets(targets: np.ndarray, phi: tuple[float, float], mu: np.ndarray) -> np.ndarray:
    """kappa = target + mu / (2 phi), shape (n, 2)."""
    return targets + mu / (2.0 * np.asarray(phi, float))


def physical_points(cfg: PointsConfig, file: str | Path, key: str, check_domain: bool = True) -> np.ndarray:
    """The (c, eta) points of a points block, shape (n, 2); list entries outside the domain are errors."""
    lo, hi = cfg.margin, 1.0 - cfg.margin
    if cfg.kind == "list":
        pts = np.array(cfg.values, float).reshape(-1, 2)
        if check_domain:
            x1, x2 = to_fractions(pts[:, 0], pts[:, 1])
            bad = ~((x1 >= 0) & (x1 <= 1) & (x2 >= 0) & (x2 <= 1))
            if bad.any():
                i = int(np.argmax(bad))
                raise ConfigError(file, f"{key}.values[{i}]", "a point with |eta| <= min(c, sqrt2 - c)",
                                  list(pts[i]))
        return pts
    if cfg.kind == "sobol":
        from scipy.stats import qmc

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # balance warning for n not a power of 2
            u = qmc.Sobol(d=2, scramble=True, seed=cfg.seed).random(cfg.n)
        x1, x2 = lo + (hi - lo) * u[:, 0], lo + (hi - lo) * u[:, 1]
        if cfg.eta_nonnegative:
            x1, x2 = np.maximum(x1, x2), np.minimum(x1, x2)
        return np.column_stack(from_fractions(x1, x2))
    c, eta = np.meshgrid(cfg.c.values(), cfg.eta.values(), indexing="ij")
    c, eta = c.ravel(), eta.ravel()
    x1, x2 = to_fractions(c, eta)
    keep = (x1 >= lo - 1e-12) & (x1 <= hi + 1e-12) & (x2 >= lo - 1e-12) & (x2 <= hi + 1e-12)
    if cfg.eta_nonnegative:
        keep &= eta >= -1e-12
    if not keep.any():
        raise ConfigError(file, f"{key}.c", "a grid with points inside the physical domain (minus margin)",
                          "no point inside")
    return np.column_stack([c[keep], eta[keep]])
