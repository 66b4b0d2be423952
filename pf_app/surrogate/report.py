"""The seed's tables and figures from cross-validation results (see :func:`~.cv.run_cross_validation`).

Files written in the output folder: ``cv_rmse.csv`` / ``cv_rmse.md`` (RMSE mean and standard
deviation over the folds, per method and quantity, in meV/cell, e/site, mu_B/site and standardized;
the linear pair model's energy row alongside), ``cv_folds.csv`` (the RMSE of every fold, method and
quantity), ``timing.csv`` / ``timing.md``, ``scatter_<Q>.png`` (predicted vs reference in report
units, the RMSE over all test folds in each panel) and ``learning_curves.png`` (per task).
"""

from __future__ import annotations

import csv
import io

import numpy as np

from pf_app.atomic_files import write_text_atomic
from pf_app.surrogate.problem import REPORT_UNITS, Problem

PAIR_MODEL = "linear pair"


def rmse_rows(cv: dict, pair_rmse: list[float]) -> list[dict]:
    """One row per (method, quantity): mean and std over folds, report units and standardized."""
    rows = []
    folds = cv["folds"]
    methods = list(folds[0]["methods"])
    for q in "ECM":
        for method in (m for m in methods if q in m):
            vals = np.array([f["methods"][method]["rmse"][q] for f in folds])
            std_vals = np.array([f["methods"][method]["rmse_standardized"][q] for f in folds])
            rows.append({"quantity": q, "method": method, "kind": "STL" if len(method) == 1 else "MTL",
                         "unit": REPORT_UNITS[q][1], "folds": len(vals), "rmse_mean": vals.mean(),
                         "rmse_std": vals.std(ddof=1) if len(vals) > 1 else 0.0,
                         "rmse_standardized_mean": std_vals.mean(),
                         "rmse_standardized_std": std_vals.std(ddof=1) if len(vals) > 1 else 0.0})
        if q == "E" and pair_rmse:
            vals = np.array(pair_rmse)
            rows.append({"quantity": "E", "method": PAIR_MODEL, "kind": "baseline", "unit": REPORT_UNITS["E"][1],
                         "folds": len(vals), "rmse_mean": vals.mean(),
                         "rmse_std": vals.std(ddof=1) if len(vals) > 1 else 0.0,
                         "rmse_standardized_mean": float("nan"), "rmse_standardized_std": float("nan")})
    return rows


def fold_rows(cv: dict, pair_rmse: list[float]) -> list[dict]:
    """One row per (fold, method, quantity): the test RMSE in report units and standardized."""
    rows = []
    for i, f in enumerate(cv["folds"]):
        for method, r in f["methods"].items():
            for q in (t for t in "ECM" if t in method):
                rows.append({"fold": f["fold"], "quantity": q, "method": method, "unit": REPORT_UNITS[q][1],
                             "rmse": r["rmse"][q], "rmse_standardized": r["rmse_standardized"][q]})
        if pair_rmse:
            rows.append({"fold": f["fold"], "quantity": "E", "method": PAIR_MODEL, "unit": REPORT_UNITS["E"][1],
                         "rmse": pair_rmse[i], "rmse_standardized": float("nan")})
    return rows


def timing_rows(cv: dict, predictions_per_second: dict[str, float] | None = None) -> list[dict]:
    rows = []
    for method in cv["folds"][0]["methods"]:
        secs = [f["methods"][method]["seconds"] for f in cv["folds"]]
        epochs = [f["methods"][method]["epochs"] for f in cv["folds"]]
        rows.append({"method": method, "train_seconds_mean": float(np.mean(secs)),
                     "train_seconds_max": float(np.max(secs)), "epochs_mean": float(np.mean(epochs)),
                     "predictions_per_second": (predictions_per_second or {}).get(method, float("nan"))})
    return rows


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: f"{v:.6g}" if isinstance(v, float) else v for k, v in r.items()} for r in rows)
    return buf.getvalue()


def to_markdown(rows: list[dict]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(f"{r[k]:.4g}" if isinstance(r[k], float) else str(r[k]) for k in keys) + " |"
              for r in rows]
    return "\n".join(lines) + "\n"


def write_tables(directory, cv: dict, pair_rmse: list[float], predictions_per_second=None) -> dict[str, list]:
    tables = {"cv_rmse": rmse_rows(cv, pair_rmse), "timing": timing_rows(cv, predictions_per_second)}
    for name, rows in tables.items():
        write_text_atomic(directory / f"{name}.csv", to_csv(rows))
        write_text_atomic(directory / f"{name}.md", to_markdown(rows))
    tables["cv_folds"] = fold_rows(cv, pair_rmse)
    write_text_atomic(directory / "cv_folds.csv", to_csv(tables["cv_folds"]))
    return tables


def plot_scatter(directory, cv: dict, problem: Problem) -> list:
    """``scatter_<Q>.png``: prediction vs reference over all test folds in report units (E: mixing
    energy, meV/cell), one panel per method, its RMSE over all test points in the title."""
    from pf_app.viz.figures import save_figure, subplots

    paths = []
    methods = list(cv["folds"][0]["methods"])
    for q in "ECM":
        with_q = [m for m in methods if q in m]
        if not with_q:
            continue
        factor, unit = REPORT_UNITS[q]
        fig, axes = subplots(1, len(with_q), figsize=(3.4 * len(with_q), 3.4), squeeze=False)
        ref = factor * np.concatenate([problem.targets[q][f["test_index"]].ravel() for f in cv["folds"]])
        for ax, m in zip(axes[0], with_q):
            pred = factor * np.concatenate([np.ravel(f["methods"][m]["prediction"][q]) for f in cv["folds"]])
            ax.plot(ref, pred, ".", ms=1, alpha=0.4)
            lim = [min(ax.get_xlim()[0], ax.get_ylim()[0]), max(ax.get_xlim()[1], ax.get_ylim()[1])]
            ax.plot(lim, lim, "k-", lw=0.5)
            rmse = float(np.sqrt(np.mean((pred - ref) ** 2)))
            ax.set_title(f"{q} by {m}: RMSE {rmse:.4g} {unit}", fontsize=9)
            ax.set_xlabel(f"reference [{unit}]")
            ax.locator_params(nbins=4)  # large energies (FePt: 1e5 meV) keep readable tick labels
        axes[0][0].set_ylabel(f"predicted [{unit}]")
        fig.tight_layout()
        paths.append(save_figure(fig, directory / f"scatter_{q}.png"))
    return paths


def plot_learning_curves(directory, cv: dict):
    """``learning_curves.png``: per method, each task's loss (MSE of its standardized target) per
    epoch, training solid and validation dashed, every fold."""
    from pf_app.viz.figures import save_figure, subplots

    methods = list(cv["folds"][0]["methods"])
    fig, axes = subplots(1, len(methods), figsize=(3.2 * len(methods), 3.0), squeeze=False, sharey=True)
    colours = {"E": "C0", "C": "C1", "M": "C2"}
    for ax, m in zip(axes[0], methods):
        for f in cv["folds"]:
            hist = f["methods"][m].get("history", {})
            for t in m:
                train = hist.get(f"{t}_loss", f["methods"][m]["loss"] if len(m) == 1 else None)
                val = hist.get(f"val_{t}_loss", f["methods"][m]["val_loss"] if len(m) == 1 else None)
                first = f is cv["folds"][0]
                if train is not None:
                    ax.semilogy(train, "-", color=colours[t], lw=0.8, label=f"{t} train" if first else None)
                if val is not None:
                    ax.semilogy(val, "--", color=colours[t], lw=0.8, label=f"{t} validation" if first else None)
        ax.set_title(m)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=6)
    axes[0][0].set_ylabel("MSE of the standardized target")
    fig.tight_layout()
    return save_figure(fig, directory / "learning_curves.png")
