"""``pf_app bspline``: table in, the best B-spline of a knot sweep out.

Writes ``<directory>/<name>.bspline.json`` (format :mod:`pf_app.bspline.evaluate`),
``<name>.sweep.csv`` (interior knots, coefficients, train/validation MSE of mu) and
``<name>.sweep.png`` (validation MSE against the number of interior knots, the seed's Fig. 9).
"""

from __future__ import annotations

import datetime
from pathlib import Path

from pf_app import __version__
from pf_app.bspline.config import BSplineConfig
from pf_app.bspline.fit import sweep
from pf_app.config import ConfigError, to_dict
from pf_app.idnn.data import load_fit_data
from pf_app.idnn.train import write_rows


def plot_sweep(rows: list[dict], path: Path) -> None:
    from pf_app.idnn.plots import plt, save_figure

    fig, ax = plt.subplots(figsize=(5.5, 4))
    n = [r["interior_knots"] for r in rows]
    ax.semilogy(n, [r["train_mse"] for r in rows], "o--", label="training")
    ax.semilogy(n, [r["val_mse"] for r in rows], "o-", label="validation")
    ax.set_xlabel("interior knots per direction")
    ax.set_ylabel("MSE of mu (sum over c, eta)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path)


def run(cfg: BSplineConfig, write: bool = True, progress: bool = False) -> dict:
    """Fit the sweep; return {"model", "rows", "best", "paths"}."""
    data = load_fit_data(cfg.data, cfg.seed)
    if data.order_parameters != ("c", "eta"):
        raise ConfigError(cfg.data.path, "order_parameters", "the B2 order parameters c, eta",
                          list(data.order_parameters))
    rows, model, best = sweep(data, cfg, cfg.output.energy_unit or data.energy_unit, progress)
    model.provenance.update({
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "software": f"pf_app {__version__}", **data.provenance, "config": to_dict(cfg),
        "interior_knots": best["interior_knots"], "sweep": rows,
        "final_errors": {"train_mse_mu": best["train_mse"], "validation_mse_mu": best["val_mse"]}})
    out = Path(cfg.output.directory)
    paths = {"model": out / f"{cfg.output.name}.bspline.json", "sweep": out / f"{cfg.output.name}.sweep.csv",
             "plot": out / f"{cfg.output.name}.sweep.png"}
    if write:
        model.save(paths["model"])
        write_rows(rows, paths["sweep"])
        plot_sweep(rows, paths["plot"])
    return {"model": model, "rows": rows, "best": best, "paths": paths}
