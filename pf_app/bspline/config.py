"""Typed configuration of the B-spline fit (``python -m pf_app bspline <config.yaml>``).

Keys are listed in ``docs/idnn.md``; example ``inputs/bspline_b2.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pf_app.config import bounded
from pf_app.idnn.config import OutputConfig, TrainingTableConfig


@dataclass(frozen=True)
class BSplineConfig:
    data: TrainingTableConfig
    degree: int = bounded(3, ge=1, le=5)  # 3 = cubic
    interior_knots: tuple[int, ...] = (2, 4, 6, 8, 12, 16, 24)  # sweep; the best on validation is saved
    regularization: float = bounded(1e-8, ge=0.0)  # ridge lambda relative to the mean diagonal of A^T A
    c_range: tuple[float, float] | None = None  # knot span in c (default: the data's range)
    eta2_range: tuple[float, float] | None = None  # knot span in eta^2 (default: 0 to the data's maximum)
    label_scaling: Literal["common", "per_component"] = "common"  # as the IDNN's scaling.labels
    weights: dict[str, float] = field(default_factory=dict)  # per order parameter c, eta (default 1)
    seed: int = 0  # train/validation split
    output: OutputConfig = field(default_factory=lambda: OutputConfig(name="bspline"))

    def check(self, fail):
        if not self.interior_knots or any(n < 0 for n in self.interior_knots):
            fail("interior_knots", "a non-empty list of counts >= 0", list(self.interior_knots))
        for key in ("c_range", "eta2_range"):
            r = getattr(self, key)
            if r is not None and not r[0] < r[1]:
                fail(key, "[low, high] with low < high", list(r))
        unknown = sorted(set(self.weights) - {"c", "eta"})
        if unknown:
            fail(f"weights.{unknown[0]}", "a weight for c or eta", "unknown order parameter")
