"""Models the Monte Carlo tests share: the library's BCC/B2 and FCC/4-sublattice ones, and HCP (two basis sites)."""

from __future__ import annotations

import math

from pf_app.montecarlo.lattice import Lattice
from pf_app.montecarlo.standard_models import B2_MAP, BCC, FCC, FCC_MAP, b2_model, expansion, fcc_model  # noqa: F401

HCP_C_OVER_A = 1.6  # not the ideal 1.633: in-plane and out-of-plane neighbours at different distances
HCP = Lattice([[1, 0, 0], [-0.5, math.sqrt(3) / 2, 0], [0, 0, HCP_C_OVER_A]],
              [[1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75]], [("Mg", "Zn")] * 2)
