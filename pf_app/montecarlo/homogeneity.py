"""Is the box homogeneous?  Local c and eta per block of conventional cells, and the split flag.

Below T_c an umbrella on the *global* eta (or c) can be satisfied by a box that has split into
antiphase domains of +-eta0 (or two phases of different c); mu then measures interfaces.  Per
snapshot we take the local order parameters of cubic blocks of ``block``^3 conventional cells,
c_b = (x1_b + x2_b)/sqrt2 and eta_b = (x1_b - x2_b)/sqrt2, and their central moments about the
snapshot mean (so a global sign flip of eta is not mistaken for domains).  Averaged over the
equilibrated snapshots they give, for each of c and eta,

* the bimodality coefficient BC = (skew^2 + 1)/kurtosis (1/3 Gaussian, 1 for two sharp domains);
* the excess variance: the block variance divided by the variance a homogeneous box of independent
  sites would give, sum_s x_s (1 - x_s) / (2 n_s), with n_s sites per sublattice and block.

``flag_split`` = 1 when, for c or eta, BC > ``bimodality_threshold`` (default 5/9, a uniform
distribution) *and* the excess variance > ``excess_variance_threshold`` (default 4).  Both are
needed: a nearly saturated ordered box has a skewed block distribution (high BC) but binomial
variance, and critical fluctuations raise the variance but keep BC below 5/9.
"""

from __future__ import annotations

import math

import numpy as np

from pf_app.montecarlo.estimators import bimodality_coefficient
from pf_app.montecarlo.lattice import BCCLattice

#: Per-snapshot record: (m2, m3, m4, homogeneous variance) for c, then for eta.
MOMENT_COLUMNS = ("m2_c", "m3_c", "m4_c", "var0_c", "m2_eta", "m3_eta", "m4_eta", "var0_eta")


def default_block(shape: tuple[int, ...]) -> int:
    """Block edge (conventional cells) dividing every supercell size: 3, then 4, 5, 2, else 1."""
    for b in (3, 4, 5, 2):
        if all(L % b == 0 for L in shape) and min(shape) // b >= 2:
            return b
    return 1


class BlockOrder:
    """Local c and eta of the blocks of one supercell."""

    def __init__(self, lattice: BCCLattice, block: int):
        self.block = block
        self.n_blocks = lattice.n_cells // block ** 3
        self.sites_per_sublattice = block ** 3
        self._bin = 2 * lattice.cell_block_index(block) + lattice.sublattice

    def local(self, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(c_b, eta_b) per block, each shape (n_blocks,)."""
        x = np.bincount(self._bin, weights=(sigma + 1) * 0.5, minlength=2 * self.n_blocks)
        x = x.reshape(-1, 2) / self.sites_per_sublattice
        return (x[:, 0] + x[:, 1]) / math.sqrt(2.0), (x[:, 0] - x[:, 1]) / math.sqrt(2.0)

    def moments(self, sigma: np.ndarray) -> np.ndarray:
        """One snapshot's MOMENT_COLUMNS, shape (8,)."""
        v = np.stack(self.local(sigma))  # (2, n_blocks): c_b, eta_b
        mean = v.mean(axis=1)
        d = v - mean[:, None]
        d2 = d * d
        m2, m3, m4 = d2.mean(axis=1), (d2 * d).mean(axis=1), (d2 * d2).mean(axis=1)
        x1, x2 = (mean[0] + mean[1]) / math.sqrt(2.0), (mean[0] - mean[1]) / math.sqrt(2.0)
        var0 = (x1 * (1 - x1) + x2 * (1 - x2)) / (2.0 * self.sites_per_sublattice)
        return np.array([m2[0], m3[0], m4[0], var0, m2[1], m3[1], m4[1], var0])


def split_summary(moments: np.ndarray, bimodality_threshold: float, excess_variance_threshold: float) -> dict:
    """Columns bimodality_c/eta, excess_var_c/eta and flag_split from snapshot moments (n, 8)."""
    if len(moments) == 0:
        return {"bimodality_c": math.nan, "bimodality_eta": math.nan, "excess_var_c": math.nan,
                "excess_var_eta": math.nan, "flag_split": 0}
    mean = moments.mean(axis=0)
    out, split = {}, False
    for name, (m2, m3, m4, var0) in (("c", mean[:4]), ("eta", mean[4:])):
        bc = bimodality_coefficient(m2, m3, m4)
        excess = m2 / var0 if var0 > 0 else 0.0
        out[f"bimodality_{name}"], out[f"excess_var_{name}"] = bc, excess
        split |= bc > bimodality_threshold and excess > excess_variance_threshold
    out["flag_split"] = int(split)
    return out
