"""Is a chemical-potential field mu(c, eta) the gradient of one free energy?  Measured two ways.

* loop mismatch: for each small rectangle in (c, eta), |closed line integral of mu . dx| divided by
  the integral of |mu . dx| along the same loop (0 for a gradient field, up to quadrature round-off);
* curl: dmu_c/deta - dmu_eta/dc by central differences, relative to |dmu_c/deta| + |dmu_eta/dc|.

``mu_fn(x)`` maps points (N, 2) to mu (N, 2) (numpy), e.g. ``lambda x: weights.evaluate(x, 1)[1]``.
The default region c in [0.4, 1.0], |eta| <= 0.3 lies inside the B2 domain.
"""

from __future__ import annotations

import numpy as np

DEFAULT_BOX = ((0.4, 1.0), (-0.3, 0.3))


def _rectangles(box, cells: int):
    cs = np.linspace(*box[0], cells + 1)
    es = np.linspace(*box[1], cells + 1)
    return [((cs[i], cs[i + 1]), (es[j], es[j + 1])) for i in range(cells) for j in range(cells)]


def loop_mismatch(mu_fn, box=DEFAULT_BOX, cells: int = 3, points: int = 24) -> np.ndarray:
    """Relative closed-loop mismatch per rectangle (cells x cells rectangles tiling ``box``)."""
    t, w = np.polynomial.legendre.leggauss(points)
    s, w = 0.5 * (t + 1.0), 0.5 * w
    out = []
    for (c0, c1), (e0, e1) in _rectangles(box, cells):
        corners = np.array([[c0, e0], [c1, e0], [c1, e1], [c0, e1], [c0, e0]])
        total = absolute = 0.0
        for a, b in zip(corners[:-1], corners[1:]):
            x = a + s[:, None] * (b - a)
            integrand = mu_fn(x) @ (b - a)
            total += w @ integrand
            absolute += w @ np.abs(integrand)
        out.append(abs(total) / absolute)
    return np.array(out)


def relative_curl(mu_fn, x: np.ndarray, h: float = 1e-4) -> float:
    """RMS of the curl over RMS of its two terms at points ``x`` (N, 2); central differences."""
    dc, de = np.array([h, 0.0]), np.array([0.0, h])
    dmuc_de = (mu_fn(x + de)[:, 0] - mu_fn(x - de)[:, 0]) / (2 * h)
    dmue_dc = (mu_fn(x + dc)[:, 1] - mu_fn(x - dc)[:, 1]) / (2 * h)
    curl = dmuc_de - dmue_dc
    scale = np.sqrt(np.mean(dmuc_de ** 2 + dmue_dc ** 2))
    return float(np.sqrt(np.mean(curl ** 2)) / scale)


def measure(mu_fn, box=DEFAULT_BOX) -> dict:
    """Both measures on the default grid of rectangles and 400 interior points."""
    rng = np.random.default_rng(0)
    x = rng.uniform([box[0][0], box[1][0]], [box[0][1], box[1][1]], (400, 2))
    loops = loop_mismatch(mu_fn, box)
    return {"loop_mismatch_max": float(loops.max()), "loop_mismatch_rms": float(np.sqrt(np.mean(loops ** 2))),
            "relative_curl": relative_curl(mu_fn, x)}
