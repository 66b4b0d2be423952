"""A round's figures (PNG files, see ``pf_app.viz.figures``), written atomically into the round folder.

Both figures look at the plane of the composition (first order parameter) and one ray direction u
of the ordering parameters from the disordered state: for B2 the (c, eta >= 0) plane; with several
ordering parameters the direction of the exported model's deepest well (e.g. L1_2's (1, 1, 1)/sqrt3).

* ``committee.png``: over that plane, the committee mean and standard deviation of g (each member's
  mean over the plotted points removed before the spread is taken; g is known from mu only up to a
  constant), of mu of the composition, and of mu along u (its spread: that of all ordering mu),
  energy per site.
* ``points.png``: left, every answer so far (learned: dots; not learnable, e.g. split Monte Carlo
  boxes: crosses) and this round's targets coloured by the reason they were chosen, projected on
  the plane; right, g along u at the composition of the deepest well (B2: at c = 1/sqrt2) for every
  member (thin) and the exported model (thick), all shifted to 0 at the disordered state: where the
  members part, the data do not decide g.

With a temperature range both figures are drawn at its lowest kT (the most ordered); ``points.png``'s
left panel shows the answers at every kT.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pf_app.learn.sampling import REASONS, wells
from pf_app.viz.figures import save_figure, subplots

N_C, N_ETA = 90, 45  # plotting grid


def view_kT(domain) -> float | None:
    """The kT the figures are drawn at: the lowest of a temperature range, else None (one temperature)."""
    return None if domain.kT_range is None else domain.kT_range[0]


def view(model, domain) -> tuple[np.ndarray, float]:
    """The ray direction u (S - 1,) and the composition of the plots: the deepest well's, else the
    first direction and the middle composition."""
    kT = view_kT(domain)
    w = wells(model, domain, kT)[:, :domain.n_order]
    c_mid = float(domain.compositions(3)[1])
    if domain.n_order == 2 or len(w) == 0:
        return domain.directions()[0], c_mid
    deepest = w[np.argmin(model.evaluate(w, 0, kT))]
    return deepest[1:] / np.linalg.norm(deepest[1:]), float(deepest[0])


def _plane(domain, u):
    c = domain.compositions(N_C)
    frac = np.linspace(0.0, 1.0, N_ETA)
    C = np.repeat(c[None, :], N_ETA, axis=0)
    R = frac[:, None] * np.array([domain.ray_length(ci, u[None, :])[0] for ci in c])[None, :]
    return C, R, np.column_stack([C.ravel(), R.ravel()[:, None] * u[None, :]])


def _label(domain, u) -> str:
    if domain.n_order == 2:
        return domain.names[1]
    return f"|({', '.join(domain.names[1:])})| along ({', '.join(f'{v:.2f}' for v in u)})"


def committee_figure(path: Path, committee, domain, u) -> None:
    C, R, x = _plane(domain, u)
    p = committee.predict(x, view_kT(domain))
    g = p.g_mean - p.g_mean.mean()
    comp, ray = domain.names[0], "u" if domain.n_order > 2 else domain.names[1]
    panels = [("g (mean)", g), ("std g", p.g_std), (f"mu_{comp} (mean)", p.mu_mean[:, 0]),
              (f"std mu_{comp}", p.mu_std[:, 0]), (f"mu_{ray} (mean)", p.mu_mean[:, 1:] @ u),
              (f"std mu_{ray}", np.sqrt((p.mu_std[:, 1:] ** 2).sum(axis=1)))]
    fig, axes = subplots(3, 2, figsize=(10, 10), sharex=True, sharey=True)
    for ax, (title, v) in zip(axes.ravel(), panels):
        cs = ax.contourf(C, R, v.reshape(C.shape), levels=30, cmap="magma" if title.startswith("std") else "viridis")
        fig.colorbar(cs, ax=ax)
        ax.set_title(f"{title} [energy/site]")
    for ax in axes[-1]:
        ax.set_xlabel(comp)
    for ax in axes[:, 0]:
        ax.set_ylabel(_label(domain, u))
    kT = view_kT(domain)
    fig.suptitle(f"committee of {len(committee.members)} IDNNs" + ("" if kT is None else f" at kT = {kT:g}"))
    fig.tight_layout()
    save_figure(fig, path)


def points_figure(path: Path, committee, model, table, keep, choice, domain, u, c_view) -> None:
    fig, (ax, bx) = subplots(1, 2, figsize=(12, 5))
    x = table.x
    ax.plot(x[keep, 0], x[keep, 1:] @ u, ".", ms=2, color="0.6", label=f"learned ({int(keep.sum())})")
    ax.plot(x[~keep, 0], x[~keep, 1:] @ u, "x", ms=3, color="tab:red", alpha=0.5,
            label=f"not learnable ({int((~keep).sum())})")
    reasons = np.array(choice.reasons)
    for i, name in enumerate(REASONS):
        sel = reasons == name
        if sel.any():
            ax.plot(choice.points[sel, 0], choice.points[sel, 1:domain.n_order] @ u, "o", ms=3, mfc="none", color=f"C{i}",
                    label=f"this round: {name} ({int(sel.sum())})")
    ax.set_xlabel(domain.names[0])
    ax.set_ylabel(_label(domain, u) if domain.n_order == 2 else "projection on u")
    ax.legend(fontsize=7, loc="upper right")
    r = np.linspace(0.0, 0.98 * domain.ray_length(c_view, u[None, :])[0], 200)
    xs = np.column_stack([np.full_like(r, c_view), r[:, None] * u[None, :]])
    kT = view_kT(domain)
    for m in committee.members:
        g = m.evaluate(xs, 0, kT)
        bx.plot(r, g - g[0], lw=0.8, color="0.5")
    g = model.evaluate(xs, 0, kT)
    bx.plot(r, g - g[0], lw=2, color="k", label="exported model")
    bx.set_xlabel(f"{_label(domain, u)} at {domain.names[0]} = {c_view:.4g}")
    bx.set_ylabel("g - g(disordered) [energy/site]")
    bx.legend()
    fig.tight_layout()
    save_figure(fig, path)


def round_figures(directory: Path, committee, model, table, keep, choice, domain) -> None:
    u, c_view = view(model, domain)
    committee_figure(Path(directory) / "committee.png", committee, domain, u)
    points_figure(Path(directory) / "points.png", committee, model, table, keep, choice, domain, u, c_view)
