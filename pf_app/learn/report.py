"""A round's figures (matplotlib, headless), written atomically into the round folder.

* ``committee.png``: over the (c, eta >= 0) domain, the committee mean and standard deviation of
  g (each member's mean over the plotted points removed before the spread is taken; g is known
  from mu only up to a constant), mu_c and mu_eta, energy per site.
* ``points.png``: left, every answer so far (learned: dots; not learnable, e.g. split Monte Carlo
  boxes: crosses) and this round's targets coloured by the reason they were chosen; right, g along
  eta at c = 1/sqrt2 for every member (thin) and the exported model (thick), all shifted to 0 at
  eta = 0: where the members part, the data do not decide g.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pf_app.idnn.plots import save_figure  # noqa: E402
from pf_app.learn.sampling import REASONS  # noqa: E402

N_C, N_ETA = 90, 45  # plotting grid


def _grid(domain):
    s = math.sqrt(2.0)
    c = np.linspace(s * domain.lo, s * domain.hi, N_C)
    frac = np.linspace(0.0, 1.0, N_ETA)
    C = np.repeat(c[None, :], N_ETA, axis=0)
    E = frac[:, None] * domain.eta_max(c)[None, :]
    return C, E


def committee_figure(path: Path, committee, domain) -> None:
    C, E = _grid(domain)
    x = np.column_stack([C.ravel(), E.ravel()])
    p = committee.predict(x)
    g = p.g_mean - p.g_mean.mean()
    panels = [("g (mean)", g), ("std g", p.g_std), ("mu_c (mean)", p.mu_mean[:, 0]),
              ("std mu_c", p.mu_std[:, 0]), ("mu_eta (mean)", p.mu_mean[:, 1]), ("std mu_eta", p.mu_std[:, 1])]
    fig, axes = plt.subplots(3, 2, figsize=(10, 10), sharex=True, sharey=True)
    for ax, (title, v) in zip(axes.ravel(), panels):
        cs = ax.contourf(C, E, v.reshape(C.shape), levels=30, cmap="magma" if title.startswith("std") else "viridis")
        fig.colorbar(cs, ax=ax)
        ax.set_title(f"{title} [energy/site]")
    for ax in axes[-1]:
        ax.set_xlabel("c")
    for ax in axes[:, 0]:
        ax.set_ylabel("eta")
    fig.suptitle(f"committee of {len(committee.members)} IDNNs")
    fig.tight_layout()
    save_figure(fig, path)


def points_figure(path: Path, committee, model, table, keep, choice) -> None:
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 5))
    x = table.x
    ax.plot(x[keep, 0], x[keep, 1], ".", ms=2, color="0.6", label=f"learned ({int(keep.sum())})")
    ax.plot(x[~keep, 0], x[~keep, 1], "x", ms=3, color="tab:red", alpha=0.5,
            label=f"not learnable ({int((~keep).sum())})")
    reasons = np.array(choice.reasons)
    for i, name in enumerate(REASONS):
        sel = reasons == name
        if sel.any():
            ax.plot(choice.points[sel, 0], choice.points[sel, 1], "o", ms=3, mfc="none", color=f"C{i}",
                    label=f"this round: {name} ({int(sel.sum())})")
    ax.set_xlabel("c")
    ax.set_ylabel("eta")
    ax.legend(fontsize=7, loc="upper right")
    c0 = 1.0 / math.sqrt(2.0)
    eta = np.linspace(0.0, c0 * 0.98, 200)
    xs = np.column_stack([np.full_like(eta, c0), eta])
    for m in committee.members:
        g = m.evaluate(xs, 0)
        bx.plot(eta, g - g[0], lw=0.8, color="0.5")
    g = model.evaluate(xs, 0)
    bx.plot(eta, g - g[0], lw=2, color="k", label="exported model")
    bx.set_xlabel("eta at c = 1/sqrt2")
    bx.set_ylabel("g - g(eta = 0) [energy/site]")
    bx.legend()
    fig.tight_layout()
    save_figure(fig, path)


def round_figures(directory: Path, committee, model, table, keep, choice, domain) -> None:
    committee_figure(Path(directory) / "committee.png", committee, domain)
    points_figure(Path(directory) / "points.png", committee, model, table, keep, choice)
