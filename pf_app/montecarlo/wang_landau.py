"""Wang-Landau density of states g(E) on a fixed cell at fixed composition, and the canonical
thermodynamics it gives at every temperature.

Walk (Wang and Landau, PRL 86, 2050 (2001); the LSMS authors' WL-LSMS): swap moves as in
:mod:`.fixed_cell_mc`, accepted with ``min(1, g(E_old) / g(E_new))``; after every step each walker
adds ``ln f`` to ln g of its current energy bin and 1 to the histogram H.  W walkers share one
ln g and H (one energy call per step for all of them; updates applied in walker order).  Stage 1:
``ln f`` starts at 1 and is halved whenever H is flat (every visited bin >= ``flatness`` x mean),
then H is reset.  Stage 2 (Belardinelli and Pereyra, PRE 75, 046701 (2007)): once ``ln f`` < 1/t,
``ln f = 1/t`` with t = steps of all walkers / number of bins, until ``ln f <= ln_f_final``; this
removes the saturation error of plain halving.  Moves leaving ``[e_min, e_max)`` are rejected, and
in stage 2 also moves into a bin stage 1 never visited (its ln g would start far below its
neighbours' and hold the walker for ~1/ln f steps): start walkers at the ends of the range (e.g. from
quenches) so that stage 1 finds every bin.
Each walker's ``observable`` is accumulated per bin at every step (microcanonical averages: within a
bin every state has the same weight, whatever the current g).

Energies in eV per cell; ``kT`` in eV; heat capacity per cell in units of k_B.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
from scipy.special import logsumexp

from pf_app.montecarlo.fixed_cell_mc import SwapProposals, WalkerState, accept, evaluate_in_batches, propose


@dataclasses.dataclass
class DensityOfStates:
    """``edges`` (n_bins + 1,) eV; ``ln_g`` (n_bins,) up to a constant, -inf where never visited;
    ``observable_mean`` (n_bins,) microcanonical average of the observable (nan where unsampled)."""

    edges: np.ndarray
    ln_g: np.ndarray
    observable_mean: np.ndarray
    steps: int  # steps per walker (both stages)
    ln_f: float  # the final modification factor

    @property
    def centres(self) -> np.ndarray:
        return 0.5 * (self.edges[1:] + self.edges[:-1])

    def normalized(self, total_states: float) -> np.ndarray:
        """ln g shifted so that the visited bins hold ``total_states`` states (e.g. C(M, n_B))."""
        seen = np.isfinite(self.ln_g)
        return self.ln_g - logsumexp(self.ln_g[seen]) + np.log(total_states)

    def thermodynamics(self, kT_eV: np.ndarray) -> dict[str, np.ndarray]:
        """Canonical averages at each ``kT`` from g(E) (bin centres as energies): ``energy_eV``
        <E>, ``heat_capacity_kB`` (<E^2> - <E>^2) / kT^2 per cell, ``order_parameter`` <Q>."""
        seen = np.isfinite(self.ln_g)
        e, ln_g, q = self.centres[seen], self.ln_g[seen], self.observable_mean[seen]
        kT = np.atleast_1d(np.asarray(kT_eV, dtype=float))
        ln_w = ln_g[None, :] - (e[None, :] - e.min()) / kT[:, None]
        w = np.exp(ln_w - logsumexp(ln_w, axis=1, keepdims=True))
        mean_e = w @ e
        var_e = w @ (e ** 2) - mean_e ** 2
        q_ok = np.isfinite(q)
        w_q = w[:, q_ok] / w[:, q_ok].sum(axis=1, keepdims=True)
        return {"kT_eV": kT, "energy_eV": mean_e, "heat_capacity_kB": np.maximum(var_e, 0) / kT ** 2,
                "order_parameter": w_q @ q[q_ok]}


def wang_landau(energy: Callable, state: WalkerState, e_min: float, e_max: float, n_bins: int, seed,
                ln_f_final: float = 1e-5, flatness: float = 0.8, check_every: int = 1000,
                observable: Callable | None = None, batch: int | None = None,
                max_steps: int = 10 ** 8, progress=None) -> DensityOfStates:
    """g(E) on ``n_bins`` equal bins of [e_min, e_max) (eV per cell); every walker in ``state``
    must start inside.  ``observable(occ) -> (W,)`` is averaged per bin; ``progress``
    (a callable taking ``ln_f`` and the steps) is called at every flatness check."""
    edges = np.linspace(e_min, e_max, n_bins + 1)
    width = (e_max - e_min) / n_bins

    def bin_of(e):
        return np.floor((e - e_min) / width).astype(np.int64)

    bins = bin_of(state.energy_eV)
    if (bins < 0).any() or (bins >= n_bins).any():
        raise ValueError(f"walker energies {state.energy_eV.min():.6g}..{state.energy_eV.max():.6g} eV "
                         f"outside [{e_min:.6g}, {e_max:.6g})")
    n_walkers = len(state.occ)
    proposals = SwapProposals(n_walkers, state.a_sites.shape[1], state.b_sites.shape[1], seed)
    ln_g = np.zeros(n_bins)
    hist = np.zeros(n_bins)
    seen = np.zeros(n_bins, dtype=bool)
    q_sum, q_count = np.zeros(n_bins), np.zeros(n_bins)
    ln_f, one_over_t = 1.0, False
    step = 0
    # the run ends in the 1/t stage: halving alone (fast with many walkers) would stop at the
    # saturation error of plain Wang-Landau, so stage 1 goes on until ln f < 1/t
    while (not one_over_t or ln_f > ln_f_final) and step < max_steps:
        step += 1
        ia, ib, u = proposals.next()
        trial, site_a, site_b = propose(state, ia, ib)
        e_trial = evaluate_in_batches(energy, trial, batch)
        b_trial = bin_of(e_trial)
        inside = (b_trial >= 0) & (b_trial < n_bins)
        b_safe = np.where(inside, b_trial, 0)
        if one_over_t:  # ln g of a bin first found now would start ~ln g below its neighbours' and trap
            inside &= seen[b_safe]  # the walker for ~1/ln f steps: the 1/t stage refines stage 1's bins
        # accept with g_old / g_new = exp(ln g_old - ln g_new), ln g read before this step's updates
        take = inside & (u < np.exp(np.minimum(ln_g[bins] - ln_g[b_safe], 0.0)))
        accept(state, take, trial, e_trial, ia, ib, site_a, site_b)
        bins = np.where(take, b_trial, bins)
        np.add.at(ln_g, bins, ln_f)
        np.add.at(hist, bins, 1.0)
        seen[bins] = True
        if observable is not None:
            np.add.at(q_sum, bins, observable(state.occ))
            np.add.at(q_count, bins, 1.0)
        if one_over_t:
            ln_f = n_bins / (step * n_walkers)
        elif step % check_every == 0:
            h = hist[seen]
            if h.min() >= flatness * h.mean():
                ln_f /= 2
                hist[:] = 0
            if ln_f < n_bins / (step * n_walkers):
                one_over_t = True
                ln_f = n_bins / (step * n_walkers)
        if progress is not None and step % check_every == 0:
            progress(ln_f, step)
    ln_g = np.where(seen, ln_g - ln_g[seen].min(), -np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        q_mean = np.where(q_count > 0, q_sum / q_count, np.nan)
    return DensityOfStates(edges, ln_g, q_mean, step, ln_f)
