"""Is the box homogeneous?  Local order parameters per block of ordering cells, and the split flag.

Below T_c an umbrella on the *global* eta (or c) can be satisfied by a box that has split into
antiphase domains of +-eta0 (or two phases of different c); mu then measures interfaces.  Per
snapshot we take the local sublattice fractions x_b of cubic blocks of ``block``^3 ordering cells,
their order parameters eta_b = Q x_b, and, for every order parameter, the central moments about the
snapshot mean (so a global sign flip of eta is not mistaken for domains).  Averaged over the
equilibrated snapshots they give, for each order parameter k,

* the bimodality coefficient BC = (skew^2 + 1)/kurtosis (1/3 Gaussian, 1 for two sharp domains);
* the excess variance: the block variance divided by the variance a homogeneous box of independent
  sites would give, sum_s Q_ks^2 x_s (1 - x_s) / n_s, with n_s sites per sublattice and block.

``flag_split`` = 1 when, for any order parameter, BC > ``bimodality_threshold`` (default 5/9, a
uniform distribution) *and* the excess variance > ``excess_variance_threshold`` (default 4).  Both
are needed: a nearly saturated ordered box has a skewed block distribution (high BC) but binomial
variance, and critical fluctuations raise the variance but keep BC below 5/9.
"""

from __future__ import annotations

import math

import numpy as np

from pf_app.montecarlo.estimators import bimodality_coefficient
from pf_app.montecarlo.lattice import Supercell
from pf_app.montecarlo.order_parameters import OrderParameterMap

#: Per-snapshot record per order parameter: (m2, m3, m4, homogeneous variance).
MOMENTS_PER_PARAMETER = 4


def default_block(shape: tuple[int, ...]) -> int:
    """Block edge (ordering cells) dividing every supercell size: 3, then 4, 5, 2, else 1."""
    for b in (3, 4, 5, 2):
        if all(L % b == 0 for L in shape) and min(shape) // b >= 2:
            return b
    return 1


class BlockOrder:
    """Local order parameters of the blocks of one supercell."""

    def __init__(self, supercell: Supercell, order_map: OrderParameterMap, block: int):
        self.block, self.order_map = block, order_map
        self.n_sub = supercell.n_sublattices
        u = supercell.ordering_cell_coordinates() // block
        nb = [L // block for L in supercell.repeats]
        self.n_blocks = int(np.prod(nb))
        self.sites_per_sublattice = block ** 3
        block_id = u[:, 0] + nb[0] * (u[:, 1] + nb[1] * u[:, 2])
        self._bin = self.n_sub * block_id + supercell.sublattice

    def local_fractions(self, sigma: np.ndarray) -> np.ndarray:
        """x per block and sublattice, shape (n_blocks, S)."""
        x = np.bincount(self._bin, weights=(sigma + 1) * 0.5, minlength=self.n_sub * self.n_blocks)
        return x.reshape(-1, self.n_sub) / self.sites_per_sublattice

    def moments(self, sigma: np.ndarray) -> np.ndarray:
        """One snapshot's (m2, m3, m4, var0) for every order parameter, flattened, shape (4 K,)."""
        x = self.local_fractions(sigma)
        v = self.order_map.eta(x).T  # (K, n_blocks)
        d = v - v.mean(axis=1)[:, None]
        d2 = d * d
        m2, m3, m4 = d2.mean(axis=1), (d2 * d).mean(axis=1), (d2 * d2).mean(axis=1)
        xm = x.mean(axis=0)
        var0 = (self.order_map.Q ** 2 @ (xm * (1 - xm))) / self.sites_per_sublattice
        return np.column_stack([m2, m3, m4, var0]).ravel()


def split_summary(moments: np.ndarray, names: tuple[str, ...], bimodality_threshold: float,
                  excess_variance_threshold: float) -> dict:
    """Columns bimodality_<name>, excess_var_<name> and flag_split from snapshot moments (n, 4 K)."""
    if len(moments) == 0:
        out = {}
        for n in names:
            out[f"bimodality_{n}"], out[f"excess_var_{n}"] = math.nan, math.nan
        return {**out, "flag_split": 0}
    mean = moments.mean(axis=0).reshape(len(names), MOMENTS_PER_PARAMETER)
    out, split = {}, False
    for name, (m2, m3, m4, var0) in zip(names, mean):
        bc = bimodality_coefficient(m2, m3, m4)
        excess = m2 / var0 if var0 > 0 else 0.0
        out[f"bimodality_{name}"], out[f"excess_var_{name}"] = bc, excess
        split |= bc > bimodality_threshold and excess > excess_variance_threshold
    out["flag_split"] = int(split)
    return out
