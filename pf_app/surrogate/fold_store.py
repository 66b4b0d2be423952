"""Finished cross-validation folds on disk, so that a killed run resumes with them kept.

One file per fold, ``<output>/cv_folds/fold_<f>.npz`` (format ``pf_app.surrogate.cv_fold/1``, see
docs/formats.md), written atomically when the fold finishes.  A later run with the same
``fingerprint`` (a hash of everything that decides a fold's numbers: data, selection, methods,
network, training recipe, seed, k) and the same test indices reuses it instead of training again;
a file that does not match is ignored and overwritten.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from pf_app.atomic_files import atomic_path

FORMAT = "pf_app.surrogate.cv_fold/1"


def fingerprint(*parts) -> str:
    """sha256 of the JSON of ``parts`` (plain data: dicts, lists, numbers, strings)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class FoldStore:
    """``load(fold, test_index)`` -> a fold result of :func:`~.cv.fold_job` or None; ``save(result)``."""

    def __init__(self, directory: str | Path, key: str):
        self.directory, self.key = Path(directory), key

    def path(self, fold: int) -> Path:
        return self.directory / f"fold_{fold}.npz"

    def save(self, result: dict) -> None:
        arrays = {"format": np.array(FORMAT), "fingerprint": np.array(self.key),
                  "test_index": np.asarray(result["test_index"])}
        meta = {"fold": int(result["fold"]), "methods": {}}
        for method, r in result["methods"].items():
            meta["methods"][method] = {k: v for k, v in r.items() if k != "prediction"}
            for task, pred in r["prediction"].items():
                arrays[f"prediction__{method}__{task}"] = np.asarray(pred)
        arrays["meta"] = np.array(json.dumps(meta))
        with atomic_path(self.path(result["fold"])) as tmp:
            np.savez(tmp, **arrays)

    def load(self, fold: int, test_index: np.ndarray) -> dict | None:
        path = self.path(fold)
        if not path.is_file():
            return None
        try:
            with np.load(path) as z:
                if str(z["format"]) != FORMAT or str(z["fingerprint"]) != self.key \
                        or not np.array_equal(z["test_index"], test_index):
                    return None
                meta = json.loads(str(z["meta"]))
                for method, r in meta["methods"].items():
                    r["prediction"] = {t: z[f"prediction__{method}__{t}"] for t in method}
        except (OSError, KeyError, ValueError):  # a foreign or damaged file: train the fold again
            return None
        return {"fold": meta["fold"], "test_index": np.asarray(test_index), "methods": meta["methods"]}
