"""Where the next round asks for data (the mechanoChemML recipe, CMAME 371 (2020) 113281).

A round's points, by reason (column ``reason`` of ``points.csv``):

* ``sobol``: the next block of one scrambled Sobol sequence over the physical domain (global,
  low-discrepancy; round 0 has only these);
* ``error``: local points (Gaussian, spread ``local_radius`` in the sublattice fractions) around
  the newest points the previous committee predicted worst (each answer is compared with the
  prediction made before it was known: a genuine validation error; in round 1, which has no
  earlier model, the round-0 points are compared with the round-0 model);
* ``committee``: candidates where the members disagree most (query by committee): the largest
  sqrt(sum_k (std mu_k / s_k)^2) with s_k the RMS of the learned mu_k, at least ``local_radius``
  apart;
* ``well`` / ``nonconvex``: around the minima of the current g along eta at each c (the wells) and
  at candidates where its Hessian has a negative eigenvalue (the spinodal region).

Points whose answer could not be learned (e.g. the Monte Carlo box split into antiphase domains)
make their neighbourhood (``local_radius``) unattractive for the local reasons: asking again there
would waste points the same way.

The B2 domain: c = (x1 + x2)/sqrt2, eta = (x1 - x2)/sqrt2 >= 0 (g is even in eta) with the sublattice
fractions x1, x2 in [margin, 1 - margin]; all distances are measured in (x1, x2).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from pf_app.learn.adapters import from_fractions, to_fractions

REASONS = ("sobol", "error", "committee", "well", "nonconvex")
GRID = 64  # c values and eta values per c scanned for the wells


class B2Domain:
    """(c, eta >= 0) with sublattice fractions in [margin, 1 - margin]."""

    def __init__(self, margin: float):
        self.lo, self.hi = margin, 1.0 - margin

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Points of the unit square mapped onto the domain (x1 >= x2 by ordering the pair)."""
        x1 = self.lo + (self.hi - self.lo) * u[:, 0]
        x2 = self.lo + (self.hi - self.lo) * u[:, 1]
        return np.column_stack(from_fractions(np.maximum(x1, x2), np.minimum(x1, x2)))

    def fractions(self, x: np.ndarray) -> np.ndarray:
        return np.column_stack(to_fractions(x[:, 0], x[:, 1]))

    def from_fraction_pairs(self, f: np.ndarray) -> np.ndarray:
        """(c, eta) of fraction pairs, clipped into the domain and reflected to eta >= 0."""
        f = np.clip(f, self.lo, self.hi)
        return np.column_stack(from_fractions(f.max(axis=1), f.min(axis=1)))

    def eta_max(self, c: np.ndarray) -> np.ndarray:
        """Largest eta at c inside the domain."""
        s = math.sqrt(2.0)
        return np.maximum(np.minimum(c - s * self.lo, s * self.hi - c), 0.0)


def sobol_block(seed: int, start: int, n: int) -> np.ndarray:
    """Points start..start+n-1 of one scrambled 2-D Sobol sequence in the unit square."""
    from scipy.stats import qmc

    engine = qmc.Sobol(d=2, scramble=True, seed=seed)
    if start:
        engine.fast_forward(start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # balance warning for n not a power of 2
        return engine.random(n)


def spread_pick(f: np.ndarray, scores: np.ndarray, n: int, min_sep: float) -> np.ndarray:
    """Indices of up to ``n`` rows of ``f`` (fraction pairs) by decreasing score, each at least
    ``min_sep`` from those already picked."""
    picked: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        if len(picked) == n:
            break
        if not picked or np.min(np.linalg.norm(f[picked] - f[i], axis=1)) >= min_sep:
            picked.append(int(i))
    return np.array(picked, int)


def far_from(f: np.ndarray, avoid: np.ndarray, radius: float) -> np.ndarray:
    """Mask of rows of ``f`` farther than ``radius`` from every row of ``avoid``."""
    if len(avoid) == 0 or len(f) == 0:
        return np.ones(len(f), bool)
    d2 = ((f[:, None, :] - avoid[None, :, :]) ** 2).sum(axis=2)
    return d2.min(axis=1) > radius ** 2


def jitter(domain: B2Domain, centres: np.ndarray, n: int, radius: float, rng) -> np.ndarray:
    """``n`` points, Gaussian (sd ``radius`` in fractions) around the centres taken in turn."""
    if n == 0 or len(centres) == 0:
        return np.zeros((0, 2))
    f = domain.fractions(centres)[np.arange(n) % len(centres)]
    return domain.from_fraction_pairs(f + rng.normal(0.0, radius, f.shape))


def wells(model, domain: B2Domain) -> np.ndarray:
    """(c, eta*) where g(c, .) has an interior minimum over eta >= 0 on a GRID x GRID scan."""
    s = math.sqrt(2.0)
    c = np.linspace(s * domain.lo, s * domain.hi, GRID)
    frac = np.linspace(0.0, 1.0, GRID)
    out = []
    for ci in c:
        etas = frac * domain.eta_max(np.array([ci]))[0]
        if etas[-1] <= 0:
            continue
        g = model.evaluate(np.column_stack([np.full(GRID, ci), etas]), 0)
        j = int(np.argmin(g))
        if 0 < j < GRID - 1:
            out.append((ci, etas[j]))
    return np.array(out).reshape(-1, 2)


def nonconvex(model, x: np.ndarray) -> np.ndarray:
    """Mask of points where the Hessian of g has a negative eigenvalue."""
    _, _, hess = model.evaluate(x, 2)
    return np.linalg.eigvalsh(hess)[:, 0] < 0


@dataclass
class Choice:
    points: np.ndarray  # (n, 2) targets (c, eta)
    reasons: list[str]


@dataclass
class State:
    """What the previous rounds leave for the next choice."""

    committee: object | None = None  # pf_app.learn.committee.Committee of the last round
    mean_model: object | None = None  # its exported (single-network) model
    new_points: np.ndarray | None = None  # (n, 2) learned points of the last round
    new_errors: np.ndarray | None = None  # (n,) their scaled errors under the committee before them
    failed_targets: np.ndarray | None = None  # (m, 2) targets whose answers could not be learned
    mu_scale: np.ndarray | None = None  # (d,) RMS of the learned mu per order parameter
    sobol_used: int = 0


def choose(round_index: int, pcfg, state: State) -> Choice:
    """The points of round ``round_index`` (see the module docstring for the reasons)."""
    domain = B2Domain(pcfg.margin)
    rng = np.random.default_rng([pcfg.seed, round_index])
    if round_index == 0 or state.committee is None:
        n = pcfg.initial
        return Choice(domain.from_unit(sobol_block(pcfg.seed, state.sobol_used, n)), ["sobol"] * n)
    r = pcfg.local_radius
    failed = domain.fractions(state.failed_targets) if state.failed_targets is not None and len(state.failed_targets) \
        else np.zeros((0, 2))
    parts: list[tuple[str, np.ndarray]] = [
        ("sobol", domain.from_unit(sobol_block(pcfg.seed, state.sobol_used, pcfg.sobol)))]

    if pcfg.error and state.new_points is not None and len(state.new_points):
        f = domain.fractions(state.new_points)
        ok = far_from(f, failed, r)
        idx = np.flatnonzero(ok)[spread_pick(f[ok], state.new_errors[ok], pcfg.error, r)]
        parts.append(("error", jitter(domain, state.new_points[idx], pcfg.error, r, rng)))

    candidates = domain.from_unit(sobol_block(pcfg.seed + 1, 0, pcfg.candidates))
    fc = domain.fractions(candidates)
    allowed = far_from(fc, failed, r)
    if pcfg.committee:
        std = state.committee.predict(candidates).mu_std
        score = np.sqrt(((std / state.mu_scale) ** 2).sum(axis=1))
        idx = np.flatnonzero(allowed)[spread_pick(fc[allowed], score[allowed], pcfg.committee, r)]
        parts.append(("committee", candidates[idx]))

    if pcfg.wells:
        n_well = pcfg.wells // 2
        w = wells(state.mean_model, domain)
        if len(w):
            w = w[np.linspace(0, len(w) - 1, min(n_well, len(w))).round().astype(int)]
        parts.append(("well", jitter(domain, w, n_well if len(w) else 0, r, rng)))
        mask = nonconvex(state.mean_model, candidates) & allowed
        n_nc = pcfg.wells - n_well + (0 if len(w) else n_well)
        idx = np.flatnonzero(mask)[spread_pick(fc[mask], rng.random(int(mask.sum())), n_nc, r)]
        parts.append(("nonconvex", candidates[idx]))

    points = np.vstack([p for _, p in parts])
    reasons = [name for name, p in parts for _ in range(len(p))]
    return Choice(points, reasons)
