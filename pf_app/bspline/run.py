"""``pf_app bspline``: table in, the best B-spline of a knot sweep out.

Writes ``<directory>/<name>.bspline.json`` (format :mod:`pf_app.bspline.evaluate`),
``<name>.sweep.csv`` (interior knots, coefficients, train/validation MSE of mu) and
``<name>.sweep.png`` (validation MSE against the number of interior knots, the seed's Fig. 9).

The sweep resumes: after each knot count its row and coefficients are added to
``<name>.sweep.checkpoint.json`` (written atomically; removed once the results are written), and
``resume=True`` (``pf_app bspline --resume``) fits only the counts not in it.  The rest of the
config and the data (sha256) must be those of the checkpoint; ``interior_knots`` may change (the
counts already fitted are taken from the checkpoint, the others fitted).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np

from pf_app import __version__
from pf_app.bspline.config import BSplineConfig
from pf_app.bspline.fit import sweep
from pf_app.config import ConfigError, to_dict
from pf_app.idnn.data import load_fit_data
from pf_app.idnn.train import write_rows
from pf_app.atomic_files import write_json_atomic

CHECKPOINT_FORMAT, CHECKPOINT_VERSION = "pf_app.bspline.sweep_checkpoint", 1


class SweepCheckpoint:
    """Finished entries of a knot sweep: {interior knots: (row, coefficients)}, kept in a JSON file."""

    def __init__(self, path: Path, resume: bool):
        self.path, self.resume, self.entries, self.signature = Path(path), resume, [], {}
        if resume and not self.path.is_file():
            raise ConfigError(self.path, "<file>", "a sweep checkpoint to resume from (run without --resume first; "
                              "a finished sweep removes its checkpoint)", "missing")

    def start(self, signature: dict) -> dict:
        """Check the run against the file (on resume); return the finished entries by knot count."""
        from pf_app.config import load_json
        from pf_app.idnn.checkpoint import check_signature

        self.signature = signature
        if not self.resume:
            return {}
        saved = load_json(self.path, "a sweep checkpoint")
        if (saved.get("format"), saved.get("version")) != (CHECKPOINT_FORMAT, CHECKPOINT_VERSION):
            raise ConfigError(self.path, "format", f"{CHECKPOINT_FORMAT} version {CHECKPOINT_VERSION}",
                              f"{saved.get('format')} {saved.get('version')}")
        check_signature(self.path, saved["signature"], signature)
        self.entries = saved["entries"]
        return {e["row"]["interior_knots"]: (e["row"], e["coefficients"]) for e in self.entries}

    def add(self, row: dict, coefficients: np.ndarray) -> None:
        if any(e["row"]["interior_knots"] == row["interior_knots"] for e in self.entries):
            return
        self.entries.append({"row": row, "coefficients": np.asarray(coefficients, float).tolist()})
        write_json_atomic(self.path, {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
                                      "signature": self.signature, "entries": self.entries})


def plot_sweep(rows: list[dict], path: Path) -> None:
    from pf_app.viz.figures import save_figure, subplots

    fig, ax = subplots(figsize=(5.5, 4))
    n = [r["interior_knots"] for r in rows]
    ax.semilogy(n, [r["train_mse"] for r in rows], "o--", label="training")
    ax.semilogy(n, [r["val_mse"] for r in rows], "o-", label="validation")
    ax.set_xlabel("interior knots per direction")
    ax.set_ylabel("MSE of mu (sum over c, eta)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path)


def run(cfg: BSplineConfig, write: bool = True, progress: bool = False, resume: bool = False) -> dict:
    """Fit the sweep (checkpointed when writing; ``resume`` continues one); return {"model", "rows",
    "best", "paths"}."""
    from pf_app.idnn.checkpoint import run_signature

    out = Path(cfg.output.directory)
    checkpoint = SweepCheckpoint(out / f"{cfg.output.name}.sweep.checkpoint.json", resume) if write or resume else None
    data = load_fit_data(cfg.data, cfg.seed)
    if data.order_parameters != ("c", "eta"):
        raise ConfigError(cfg.data.path, "order_parameters", "the B2 order parameters c, eta",
                          list(data.order_parameters))
    done = {}
    if checkpoint is not None:
        done = checkpoint.start(run_signature(to_dict(cfg), data.provenance["data_sha256"],
                                              ("output", "data.path", "interior_knots")))
    rows, model, best = sweep(data, cfg, cfg.output.energy_unit or data.energy_unit, progress, done,
                              checkpoint.add if checkpoint is not None else None)
    model.provenance.update({
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "software": f"pf_app {__version__}", **data.provenance, "config": to_dict(cfg),
        "interior_knots": best["interior_knots"], "sweep": rows,
        "final_errors": {"train_mse_mu": best["train_mse"], "validation_mse_mu": best["val_mse"]}})
    paths = {"model": out / f"{cfg.output.name}.bspline.json", "sweep": out / f"{cfg.output.name}.sweep.csv",
             "plot": out / f"{cfg.output.name}.sweep.png"}
    if write:
        model.save(paths["model"])
        write_rows(rows, paths["sweep"])
        plot_sweep(rows, paths["plot"])
    if checkpoint is not None:
        checkpoint.path.unlink(missing_ok=True)
    return {"model": model, "rows": rows, "best": best, "paths": paths}
