"""k-fold cross-validation of every method, folds in parallel (process pool or mpi4py.futures).

Each fold is one job: it trains every requested method on that fold's training part (early
stopping on its validation part) and evaluates on the held-out part.  Workers each run TensorFlow
with ``train.threads`` intra-op threads, so ``workers * threads`` should not exceed the cores.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import time

import numpy as np

from pf_app.progress import Progress
from pf_app.surrogate.config import NetworkConfig, TrainConfig
from pf_app.surrogate.fold_store import FoldStore
from pf_app.surrogate.pairmodel import LinearPairModel
from pf_app.surrogate.problem import Problem, rmse_report_units


def fold_job(problem: Problem, fold: int, split: dict, methods: tuple[str, ...], model_cfg: NetworkConfig,
             train_cfg: TrainConfig, hidden=None, progress: bool = False) -> dict:
    """Train and test every method on one fold (runs in a worker; imports TensorFlow).
    With ``progress`` each model prints epoch lines with an ETA (to the worker's stderr)."""
    from pf_app.surrogate.training import evaluate, fit_method

    out = {"fold": fold, "test_index": split["test"], "methods": {}}
    for method in methods:
        fitted = fit_method(problem, method, split, model_cfg, train_cfg, hidden, progress,
                            label=f"fold {fold} {method}")
        result = evaluate(fitted, problem, split["test"])
        # history: the summed loss and, for several tasks, each task's (E_loss, val_E_loss, ...)
        result.update(seconds=fitted.history["seconds"], epochs=fitted.history["epochs"],
                      loss=fitted.history["loss"], val_loss=fitted.history["val_loss"],
                      history={k: v for k, v in fitted.history.items() if isinstance(v, list)})
        out["methods"][method] = result
    return out


def pair_baseline(problem: Problem, folds: list[dict], n_shells: int = 4) -> list[float]:
    """Energy RMSE [meV/cell] of the linear pair model on each fold (fitted on train + validation)."""
    if len(problem.species) != 2:
        return []
    rmse = []
    for split in folds:
        fit_index = np.concatenate([split["train"], split["validation"]])
        model = LinearPairModel(problem.data.lattice, problem.species, n_shells).fit(
            problem.data.numbers[fit_index], problem.targets["E"][fit_index])
        pred = {"E": model.predict(problem.data.numbers[split["test"]])}
        rmse.append(rmse_report_units(pred, problem.part(split["test"], "E"))["E"])
    return rmse


def _executor(kind: str, workers: int):
    if kind == "mpi":
        from mpi4py.futures import MPIPoolExecutor

        # main=False: workers must not run the CLI's __main__ (the jobs need only pf_app.surrogate)
        return MPIPoolExecutor(max_workers=workers, main=False)
    # spawn: never fork a parent that may already hold TensorFlow threads
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def run_cross_validation(problem: Problem, folds: list[dict], methods: tuple[str, ...], model_cfg: NetworkConfig,
                         train_cfg: TrainConfig, workers: int = 1, executor: str = "process",
                         fold_ids: tuple[int, ...] | None = None, hidden=None, progress: bool = True,
                         store: FoldStore | None = None) -> dict:
    """Results of every fold (sorted by fold) plus ``wall_seconds`` and ``resumed`` (the folds
    taken from ``store`` instead of trained); ``workers == 1`` runs in-process.  With a ``store``
    each fold is saved as it finishes, so a killed run continues with its finished folds kept."""
    fold_ids = tuple(range(len(folds))) if fold_ids is None else tuple(fold_ids)
    results = []
    if store is not None:
        results = [r for r in (store.load(f, folds[f]["test"]) for f in fold_ids) if r is not None]
    resumed = [r["fold"] for r in results]
    todo = [f for f in fold_ids if f not in resumed]

    def finished(result):
        results.append(result)
        if store is not None:
            store.save(result)

    # a line per finished fold; within a fold (in-process or in each worker) the models print epoch lines
    bar = Progress("cross-validation", len(fold_ids), unit="fold", every_s=0, enabled=progress,
                   initial=len(resumed))
    t0 = time.perf_counter()
    if workers == 1 or len(todo) <= 1:
        for f in todo:
            finished(fold_job(problem, f, folds[f], methods, model_cfg, train_cfg, hidden, progress))
            bar.update(len(results))
    else:
        with _executor(executor, min(workers, len(todo))) as pool:
            jobs = [pool.submit(fold_job, problem, f, folds[f], methods, model_cfg, train_cfg, hidden, progress)
                    for f in todo]
            for job in cf.as_completed(jobs):
                finished(job.result())
                bar.update(len(results), last_fold=results[-1]["fold"])
    bar.close()
    results.sort(key=lambda r: r["fold"])
    return {"folds": results, "wall_seconds": time.perf_counter() - t0, "resumed": resumed}
