"""Phase behaviour from semi-grand-canonical tables: order parameter and heat capacity vs T, T-x diagram.

Input: a pf_app.mu_table table written by an ``ensemble: sgc`` campaign (columns kT, c, mu_c,
abs_eta = <|eta|>, heat_capacity = M var(E/M - mu.x)/kT^2 per site in units of k_B, binder_eta).
The B fraction is x = c / sqrt2.

* ``order_vs_T.png``: <|eta|> and C vs kT, one curve per mu_c (coloured by mu_c).
* ``phase_diagram.png``: the sampled (x, kT) points coloured by <|eta|>, the order-disorder boundary
  and tie lines across two-phase regions (see :func:`boundaries`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from pf_app.mu_table import MuTable

SQRT2 = math.sqrt(2.0)
ORDERED_ABS_ETA = 0.25  # <|eta|> above which a point counts as B2-ordered (max 1/sqrt2)


def _groups(values: np.ndarray, decimals: int = 9):
    keys = np.round(values, decimals)
    return [(k, np.flatnonzero(keys == k)) for k in np.unique(keys)]


def boundaries(table: MuTable, ordered_abs_eta: float = ORDERED_ABS_ETA, jump: float = 0.05, steepness: float = 3.0):
    """(order-disorder points [(x, kT)], tie lines [(x_left, x_right, kT)]) from the mu_c scans.

    At each kT, an interval between consecutive mu_c is a two-phase gap when x jumps by more than
    ``jump`` *and* by more than ``steepness`` times the change over each neighbouring interval (a
    steep but continuous x(mu) is not a gap); the order-disorder boundary lies where <|eta|> crosses
    ``ordered_abs_eta`` between consecutive points that are not separated by a gap.
    """
    cols = table.columns
    x, order = cols["c"] / SQRT2, cols["abs_eta"]
    od, ties = [], []
    for kT, idx in _groups(cols["kT"]):
        idx = idx[np.argsort(cols["mu_c"][idx])]
        dx = np.abs(np.diff(x[idx]))
        for n, (a, b) in enumerate(zip(idx[:-1], idx[1:])):
            neighbours = np.r_[dx[n - 1] if n > 0 else 0.0, dx[n + 1] if n + 1 < len(dx) else 0.0]
            if dx[n] > jump and dx[n] > steepness * neighbours.max():
                ties.append((min(x[a], x[b]), max(x[a], x[b]), kT))
            elif (order[a] > ordered_abs_eta) != (order[b] > ordered_abs_eta):
                w = (ordered_abs_eta - order[a]) / (order[b] - order[a])  # linear interpolation
                od.append((x[a] + w * (x[b] - x[a]), kT))
    return od, ties


def peak_temperatures(table: MuTable) -> dict[float, float]:
    """kT of the heat-capacity maximum for each mu_c scan."""
    cols = table.columns
    return {float(mu): float(cols["kT"][idx][np.argmax(cols["heat_capacity"][idx])])
            for mu, idx in _groups(cols["mu_c"])}


def plot_order_vs_temperature(table: MuTable, path: Path) -> None:
    import matplotlib.cm
    import matplotlib.colors

    from pf_app.viz.figures import save_figure, subplots

    cols = table.columns
    fig, (ax1, ax2) = subplots(1, 2, figsize=(10, 4))
    groups = _groups(cols["mu_c"])
    mus = [mu for mu, _ in groups]
    norm = matplotlib.colors.Normalize(min(mus), max(mus) if max(mus) > min(mus) else min(mus) + 1)
    cmap = matplotlib.colormaps["coolwarm"]
    for mu, idx in groups:
        idx = idx[np.argsort(cols["kT"][idx])]
        colour = cmap(norm(mu))
        ax1.plot(cols["kT"][idx], cols["abs_eta"][idx], "o-", ms=3, color=colour)
        ax2.plot(cols["kT"][idx], cols["heat_capacity"][idx], "o-", ms=3, color=colour)
    fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax2, label="mu_c")
    unit = table.meta.get("energy_unit", "")
    ax1.set(xlabel=f"kT [{unit}]", ylabel="<|eta|>", title="B2 order parameter")
    ax2.set(xlabel=f"kT [{unit}]", ylabel="C per site [k_B]", title="heat capacity")
    fig.tight_layout()
    save_figure(fig, path)


def plot_phase_diagram(table: MuTable, path: Path) -> None:
    from pf_app.viz.figures import save_figure, subplots

    cols = table.columns
    od, ties = boundaries(table)
    fig, ax = subplots(figsize=(6, 4.5))
    sc = ax.scatter(cols["c"] / SQRT2, cols["kT"], c=cols["abs_eta"], s=12, cmap="viridis", vmin=0, vmax=1 / SQRT2)
    fig.colorbar(sc, ax=ax, label="<|eta|>")
    if od:
        od_arr = np.array(sorted(od))  # the boundary T(x) is single valued: a dome
        ax.plot(od_arr[:, 0], od_arr[:, 1], "r.-", lw=1, label="order-disorder")
    for i, (xl, xr, kT) in enumerate(ties):
        ax.plot([xl, xr], [kT, kT], "k-", lw=0.8, label="two-phase (tie line)" if i == 0 else None)
    unit = table.meta.get("energy_unit", "")
    ax.set(xlabel="x (B fraction)", ylabel=f"kT [{unit}]", xlim=(0, 1), title="T-x phase diagram")
    if od or ties:
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def plot_all(table: MuTable, folder: str | Path) -> list[Path]:
    """Both figures into ``folder``; returns their paths."""
    folder = Path(folder)
    paths = [folder / "order_vs_T.png", folder / "phase_diagram.png"]
    plot_order_vs_temperature(table, paths[0])
    plot_phase_diagram(table, paths[1])
    return paths
