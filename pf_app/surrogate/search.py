"""The seed's constructive hyperparameter search (see :class:`~.config.SearchConfig`).

Layers are added one at a time.  For the new layer only, ``trials`` random (width, activation)
pairs are trained (earlier layers keep the widths and activations already chosen, but all weights
are retrained); the pair with the lowest ``val_loss + penalty * total width`` is kept.  The search
stops when that score is below ``threshold`` or ``max_layers`` layers are in place.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pf_app.progress import Progress
from pf_app.surrogate.config import NetworkConfig, SearchConfig, TrainConfig
from pf_app.surrogate.problem import Problem


def constructive_search(problem: Problem, split: dict, model_cfg: NetworkConfig, train_cfg: TrainConfig,
                        cfg: SearchConfig, seed: int = 0, progress: bool = True) -> dict:
    """Returns ``{"hidden": ((width, activation), ...), "score": ..., "trials": [...]}``."""
    from pf_app.surrogate.training import fit_method

    rng = np.random.default_rng(seed)
    train_cfg = dataclasses.replace(train_cfg, epochs=cfg.epochs)
    widths = np.arange(cfg.width_step, cfg.max_width + 1, cfg.width_step)
    chosen: tuple = ()
    trials, best = [], None
    bar = Progress("search", cfg.max_layers * cfg.trials, unit="trial", every_s=0, enabled=progress,
                   initial=0)
    for depth in range(cfg.max_layers):
        best = None
        for _ in range(cfg.trials):
            candidate = chosen + ((int(rng.choice(widths)), str(rng.choice(cfg.activations))),)
            fitted = fit_method(problem, cfg.methods, split, model_cfg, train_cfg, hidden=candidate)
            val = float(min(fitted.history["val_loss"]))
            score = val + cfg.penalty * sum(w for w, _ in candidate)
            trials.append({"hidden": candidate, "val_loss": val, "score": score,
                           "seconds": fitted.history["seconds"]})
            if best is None or score < best["score"]:
                best = trials[-1]
            bar.update(len(trials), depth=depth + 1, best=best["score"])
        chosen = best["hidden"]
        if best["score"] < cfg.threshold:
            break
    bar.close()
    return {"hidden": chosen, "score": best["score"], "trials": trials}
