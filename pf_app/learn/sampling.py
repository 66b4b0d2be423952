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
* ``well`` / ``nonconvex``: around the minima of the current g at each composition (the wells: the
  lowest interior minimum along rays from the disordered state; for B2 along eta) and at candidates
  where its Hessian has a negative eigenvalue (the spinodal region).  The bias centres that aim the
  Monte Carlo at a target are kappa = target + mu_pred / (2 phi) (the campaign computes them from the
  exported model, :mod:`pf_app.montecarlo.targets`).

A round never asks twice for one point: its targets closer than DUPLICATE_DISTANCE (in the fractions)
to an earlier target of the round or of an earlier round are dropped (the first one is kept, so the
choice is deterministic and a resumed loop makes it again) and the round is filled up with the next
Sobol points.  Coincident targets arise when local points are clipped onto the same corner of the
domain, or when the committee and the non-convex reason pick the same candidate.

Points whose answer could not be learned (e.g. the Monte Carlo box split into antiphase domains)
make their neighbourhood (``local_radius``) unattractive for the local reasons: asking again there
would waste points the same way.

The domain (:class:`Domain`): eta = Q x (Q with its scale, e.g. the B2 map (c, eta) or the FCC
4-sublattice map (x, eta1, eta2, eta3)) for sublattice fractions x in [margin, 1 - margin], reduced to
sorted fractions x_1 >= x_2 >= ... (for B2: eta >= 0): the invariants must make g symmetric under
every permutation of the sublattices (B2: g even in eta; FCC ``cubic``: the 24 operations).  The
first order parameter is the composition (a row of Q with equal entries), the others vanish in the
disordered state (rows summing to zero).  All distances are measured in the fractions x.

With a temperature range (``temperature: {lo, hi}`` of the loop config) kT is one more coordinate of
every point, the last: points are (eta, kT), the unit cube and the distances gain the coordinate
t = (kT - lo) / (hi - lo), and every model evaluation takes each point's kT (:func:`evaluate`).  The
wells are searched at WELL_TEMPERATURES temperatures evenly over the range.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from pf_app.learn import adapters
from pf_app.montecarlo.order_parameters import OrderParameterMap
from pf_app.montecarlo.standard_models import B2_MAP

REASONS = ("sobol", "error", "committee", "well", "nonconvex")
GRID = 64  # compositions, and points per ray from the disordered state, scanned for the wells
DIRECTIONS = 32  # rays per composition scanned for the wells (one when there is one ordering parameter)
DUPLICATE_DISTANCE = 1e-9  # in fractions: targets closer than this are one point (round-off apart at most)
WELL_TEMPERATURES = 5  # temperatures (evenly over the range) at which the wells are searched


class Domain:
    """Order parameters eta = Q x of sorted sublattice fractions x in [margin, 1 - margin]^S, and with
    ``kT_range`` (lo, hi) a thermal energy per point (the last coordinate)."""

    def __init__(self, Q, names, margin: float, kT_range: tuple[float, float] | None = None):
        self.kT_range = None if kT_range is None else (float(kT_range[0]), float(kT_range[1]))
        # the map checks Q (square, invertible) and the names and converts eta <-> x; the ordering cell
        # does not enter the loop (only the sublattice fractions do), so it is the identity here
        self.map = OrderParameterMap(np.eye(3, dtype=int), Q, names)
        self.names = self.map.names
        self.lo, self.hi = margin, 1.0 - margin
        Q = self.map.Q
        if not self.map.is_composition[0] or Q[0, 0] == 0:
            raise ValueError("the first row of Q must be the composition (equal entries)")
        if len(Q) > 1 and not np.allclose(Q[1:].sum(axis=1), 0.0, atol=1e-12 * np.abs(Q).max()):
            raise ValueError("the rows of Q after the first must sum to zero (ordering parameters vanish "
                             "in the disordered state)")

    @property
    def n_order(self) -> int:
        """Order parameters S (the sublattices)."""
        return len(self.names)

    @property
    def dim(self) -> int:
        """Coordinates of a point: the order parameters, and kT with a temperature range."""
        return self.n_order + (self.kT_range is not None)

    def eta(self, fractions: np.ndarray) -> np.ndarray:
        """Order parameters (n, S) of sublattice fractions (n, S)."""
        return self.map.eta(fractions)

    def split(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(eta (n, S), kT (n,) or None) of points (n, dim)."""
        points = np.atleast_2d(points)
        s = self.n_order
        return points[:, :s], (points[:, s] if self.kT_range is not None else None)

    def points_of(self, table) -> np.ndarray:
        """The points (n, dim) of a mu table's rows: its order parameters, then its kT column if kT varies."""
        return table.x if self.kT_range is None else np.column_stack([table.x, table.columns["kT"]])

    def fractions(self, points: np.ndarray) -> np.ndarray:
        """Coordinates of points (n, dim) in which distances are measured: the sublattice fractions
        (n, S), then t = (kT - lo)/(hi - lo) with a temperature range."""
        eta, kT = self.split(points)
        f = self.map.fractions(eta)
        if kT is None:
            return f
        lo, hi = self.kT_range
        return np.column_stack([f, (kT - lo) / (hi - lo)])

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Points of the unit cube (n, dim) mapped onto the domain (fractions sorted)."""
        u = np.asarray(u, float)
        s = self.n_order
        return self.from_fractions(np.column_stack([self.lo + (self.hi - self.lo) * u[:, :s], u[:, s:]]))

    def from_fractions(self, f: np.ndarray) -> np.ndarray:
        """Points of coordinates (n, dim) (:meth:`fractions`), clipped into the domain and sorted."""
        f = np.asarray(f, float)
        s = self.n_order
        eta = self.eta(-np.sort(-np.clip(f[:, :s], self.lo, self.hi), axis=1))
        if self.kT_range is None:
            return eta
        lo, hi = self.kT_range
        return np.column_stack([eta, lo + (hi - lo) * np.clip(f[:, s], 0.0, 1.0)])

    def compositions(self, n: int) -> np.ndarray:
        """``n`` compositions (first order parameter) evenly over the domain's range."""
        q = self.map.Q[0].sum()
        return np.linspace(q * self.lo, q * self.hi, n)

    def directions(self) -> np.ndarray:
        """Unit vectors (k, S - 1) of the ordering parameters pointing into the sorted domain: first
        the S - 1 edges of the sorted region (fractions enriched on the first 1, 2, ... sublattices:
        B2; for FCC L1_2, L1_0 and L1_2 of the other composition), then (S > 2) the directions of
        DIRECTIONS Sobol points between them."""
        s = self.n_order
        k = np.arange(1, s)[:, None]
        eta = self.eta((np.arange(s)[None, :] < k) - k / s)[:, 1:]  # row k: 1 on k sublattices, minus the mean
        if s > 2:
            eta = np.vstack([eta, self.from_unit(sobol_block(0, 0, DIRECTIONS, s))[:, 1:]])
        return eta / np.linalg.norm(eta, axis=1, keepdims=True)

    def ray_length(self, c: float, u: np.ndarray) -> np.ndarray:
        """Largest r >= 0 with (c, r u) inside the domain, per direction u (k, S - 1)."""
        x0 = self.map.fractions(np.r_[c, np.zeros(self.n_order - 1)])
        v = self.map.fractions(np.column_stack([np.zeros(len(u)), u]))  # (k, S)
        with np.errstate(divide="ignore", invalid="ignore"):
            limit = np.where(v > 0, (self.hi - x0) / v, np.where(v < 0, (self.lo - x0) / v, np.inf))
        return np.maximum(limit.min(axis=1), 0.0)

    def ray_points(self, c: float, u: np.ndarray, frac: np.ndarray) -> np.ndarray:
        """(k * len(frac), S) points (c, t r_max u) for t in ``frac``, direction by direction."""
        r = self.ray_length(c, u)[:, None, None] * frac[None, :, None] * u[:, None, :]
        r = r.reshape(-1, self.n_order - 1)
        return np.column_stack([np.full(len(r), c), r])


def b2_domain(margin: float, kT_range: tuple[float, float] | None = None) -> Domain:
    """(c, eta >= 0) with sublattice fractions x1, x2 in [margin, 1 - margin] (the B2 map of DESIGN.md)."""
    return Domain(B2_MAP.Q, B2_MAP.names, margin, kT_range)


def domain_of(cfg) -> Domain:
    """The domain of a :class:`pf_app.learn.config.LearnConfig`: the ``monte_carlo`` oracle's campaign's
    order parameters, else the config's ``order_parameters`` (null: B2); its ``temperature`` range."""
    t = None if cfg.temperature is None else (cfg.temperature.lo, cfg.temperature.hi)
    if cfg.oracle.kind == "monte_carlo":
        ops = adapters.campaign_order_parameters(cfg.oracle.campaign, cfg.oracle.campaign_set)
        Q, scale, names = ops.Q, ops.scale, ops.names
    elif cfg.order_parameters is None:
        Q, scale, names = B2_MAP.Q, 1.0, B2_MAP.names
    else:
        Q, scale, names = cfg.order_parameters.Q, cfg.order_parameters.scale, cfg.order_parameters.names
    return Domain(scale * np.asarray(Q, float), names, cfg.points.margin, t)


def predict(committee, domain: Domain, points: np.ndarray):
    """``committee.predict`` at points (n, dim): their order parameters, at their kT if they have one."""
    eta, kT = domain.split(points)
    return committee.predict(eta) if kT is None else committee.predict(eta, kT)


def evaluate(model, domain: Domain, points: np.ndarray, order: int = 1):
    """``model.evaluate`` at points (n, dim): their order parameters, at their kT if they have one."""
    eta, kT = domain.split(points)
    return model.evaluate(eta, order) if kT is None else model.evaluate(eta, order, kT)


def sobol_block(seed: int, start: int, n: int, dim: int = 2) -> np.ndarray:
    """Points start..start+n-1 of one scrambled ``dim``-D Sobol sequence in the unit cube."""
    from scipy.stats import qmc

    engine = qmc.Sobol(d=dim, scramble=True, seed=seed)
    if start:
        engine.fast_forward(start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # balance warning for n not a power of 2
        return engine.random(n)


def spread_pick(f: np.ndarray, scores: np.ndarray, n: int, min_sep: float) -> np.ndarray:
    """Indices of up to ``n`` rows of ``f`` (sublattice fractions) by decreasing score, each at least
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
    from scipy.spatial import cKDTree

    return cKDTree(avoid).query(f, k=1)[0] > radius  # memory O(len(f) + len(avoid)): avoid may be every target


def jitter(domain: Domain, centres: np.ndarray, n: int, radius: float, rng) -> np.ndarray:
    """``n`` points, Gaussian (sd ``radius`` in fractions) around the centres taken in turn."""
    if n == 0 or len(centres) == 0:
        return np.zeros((0, domain.dim))
    f = domain.fractions(centres)[np.arange(n) % len(centres)]
    return domain.from_fractions(f + rng.normal(0.0, radius, f.shape))


def wells(model, domain: Domain, kT: float | None = None) -> np.ndarray:
    """The wells of g: at each of GRID compositions, the lowest interior minimum of g along the rays
    from the disordered state (GRID points per ray, :meth:`Domain.directions`); for one ordering
    parameter the minimum of g(c, .) over eta >= 0.  With a temperature range: at ``kT``, or (None) at
    WELL_TEMPERATURES temperatures over the range, the points with their kT."""
    if domain.kT_range is not None and kT is None:
        found = [wells(model, domain, t) for t in np.linspace(*domain.kT_range, WELL_TEMPERATURES)]
        return np.vstack(found)
    frac = np.linspace(0.0, 1.0, GRID)
    directions = domain.directions()
    out = []
    for c in domain.compositions(GRID):
        pts = domain.ray_points(c, directions, frac)
        g = (model.evaluate(pts, 0) if kT is None else model.evaluate(pts, 0, kT)).reshape(len(directions), GRID)
        # (a ray of length 0: j = 0, no well)
        j = np.argmin(g, axis=1)
        interior = (j > 0) & (j < GRID - 1)
        if interior.any():
            k = np.flatnonzero(interior)[np.argmin(g[interior, j[interior]])]
            out.append(pts[k * GRID + j[k]])
    out = np.array(out).reshape(-1, domain.n_order)
    return out if kT is None else np.column_stack([out, np.full(len(out), kT)])


def nonconvex(model, domain: Domain, x: np.ndarray) -> np.ndarray:
    """Mask of points where the Hessian of g (in the order parameters) has a negative eigenvalue."""
    _, _, hess = evaluate(model, domain, x, 2)
    return np.linalg.eigvalsh(hess)[:, 0] < 0


@dataclass
class Choice:
    points: np.ndarray  # (n, dim) target order parameters (and kT)
    reasons: list[str]


@dataclass
class State:
    """What the previous rounds leave for the next choice."""

    committee: object | None = None  # pf_app.learn.committee.Committee of the last round
    mean_model: object | None = None  # its exported (single-network) model
    new_points: np.ndarray | None = None  # (n, d) learned points of the last round
    new_errors: np.ndarray | None = None  # (n,) their scaled errors under the committee before them
    failed_targets: np.ndarray | None = None  # (m, d) targets whose answers could not be learned
    asked: np.ndarray | None = None  # (k, d) every target of the earlier rounds
    mu_scale: np.ndarray | None = None  # (d,) RMS of the learned mu per order parameter
    sobol_used: int = 0


def new_rows(f: np.ndarray, earlier: np.ndarray, distance: float) -> np.ndarray:
    """Mask of the rows of ``f`` (fractions) farther than ``distance`` from every row of ``earlier``
    and from every row of ``f`` before them that the mask keeps (the first of coincident rows stays)."""
    keep = far_from(f, earlier, distance)
    for i in np.flatnonzero(keep)[1:]:
        kept = np.flatnonzero(keep[:i])
        keep[i] = not np.any(((f[kept] - f[i]) ** 2).sum(axis=1) <= distance ** 2)
    return keep


def distinct(choice: Choice, asked: np.ndarray | None, pcfg, sobol_start: int, domain: Domain) -> Choice:
    """``choice`` without the targets that repeat one of it or of ``asked`` (see the module docstring),
    filled up to its length with the Sobol points from index ``sobol_start`` on (reason ``sobol``)."""
    n, d = len(choice.points), domain.dim
    earlier = domain.fractions(asked) if asked is not None and len(asked) else np.zeros((0, d))
    points, reasons = choice.points, list(choice.reasons)
    for _ in range(8):  # scrambled Sobol points do not repeat: one fill-up, rarely a second
        keep = new_rows(domain.fractions(points), earlier, DUPLICATE_DISTANCE)
        points, reasons = points[keep], [x for x, k in zip(reasons, keep) if k]
        if len(points) == n:
            break
        extra = domain.from_unit(sobol_block(pcfg.seed, sobol_start, n - len(points), d))
        sobol_start += len(extra)
        points, reasons = np.vstack([points, extra]), reasons + ["sobol"] * len(extra)
    else:
        raise RuntimeError(f"could not find {n} distinct targets")  # Sobol points repeating: not seen
    return Choice(points, reasons)


def choose(round_index: int, pcfg, state: State, domain: Domain) -> Choice:
    """The points of round ``round_index`` (see the module docstring for the reasons), all distinct
    from each other and from ``state.asked``."""
    if round_index == 0 or state.committee is None:
        n = pcfg.initial
        choice = Choice(domain.from_unit(sobol_block(pcfg.seed, state.sobol_used, n, domain.dim)), ["sobol"] * n)
    else:
        n = pcfg.sobol
        choice = _choose_by_reason(round_index, pcfg, state, domain)
    return distinct(choice, state.asked, pcfg, state.sobol_used + n, domain)


def _choose_by_reason(round_index: int, pcfg, state: State, domain: Domain) -> Choice:
    """The points of a round after the first, reason by reason (they may coincide: :func:`distinct`)."""
    d = domain.dim
    rng = np.random.default_rng([pcfg.seed, round_index])
    r = pcfg.local_radius
    failed = domain.fractions(state.failed_targets) if state.failed_targets is not None and len(state.failed_targets) \
        else np.zeros((0, d))
    parts: list[tuple[str, np.ndarray]] = [
        ("sobol", domain.from_unit(sobol_block(pcfg.seed, state.sobol_used, pcfg.sobol, d)))]

    if pcfg.error and state.new_points is not None and len(state.new_points):
        f = domain.fractions(state.new_points)
        ok = far_from(f, failed, r)
        idx = np.flatnonzero(ok)[spread_pick(f[ok], state.new_errors[ok], pcfg.error, r)]
        parts.append(("error", jitter(domain, state.new_points[idx], pcfg.error, r, rng)))

    candidates = domain.from_unit(sobol_block(pcfg.seed + 1, 0, pcfg.candidates, d))  # the same every round
    fc = domain.fractions(candidates)
    asked = domain.fractions(state.asked) if state.asked is not None and len(state.asked) else np.zeros((0, d))
    allowed = far_from(fc, failed, r) & far_from(fc, asked, DUPLICATE_DISTANCE)  # a candidate is asked once
    if pcfg.committee:
        std = predict(state.committee, domain, candidates).mu_std
        score = np.sqrt(((std / state.mu_scale) ** 2).sum(axis=1))
        idx = np.flatnonzero(allowed)[spread_pick(fc[allowed], score[allowed], pcfg.committee, r)]
        parts.append(("committee", candidates[idx]))
        allowed[idx] = False  # not picked again for the non-convex reason

    if pcfg.wells:
        n_well = pcfg.wells // 2
        w = wells(state.mean_model, domain)
        if len(w):
            w = w[np.linspace(0, len(w) - 1, min(n_well, len(w))).round().astype(int)]
        parts.append(("well", jitter(domain, w, n_well if len(w) else 0, r, rng)))
        mask = nonconvex(state.mean_model, domain, candidates) & allowed
        n_nc = pcfg.wells - n_well + (0 if len(w) else n_well)
        idx = np.flatnonzero(mask)[spread_pick(fc[mask], rng.random(int(mask.sum())), n_nc, r)]
        parts.append(("nonconvex", candidates[idx]))

    points = np.vstack([p for _, p in parts])
    reasons = [name for name, p in parts for _ in range(len(p))]
    return Choice(points, reasons)
