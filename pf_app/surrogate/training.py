"""Train one method (e.g. "EC") on one split and evaluate it in physical units (imports TensorFlow)."""

from __future__ import annotations

import dataclasses

import numpy as np

from pf_app.surrogate.config import NetworkConfig, TrainConfig
from pf_app.surrogate.datasets import Standardizer
from pf_app.surrogate.evaluator import NumpySurrogate
from pf_app.surrogate.model import build_local_model, build_model, limit_threads, train_model
from pf_app.surrogate.problem import Problem, rmse_report_units


@dataclasses.dataclass
class FittedMethod:
    method: str
    model: object  # keras.Model
    standardizer: Standardizer
    history: dict

    def predict(self, problem: Problem, index: np.ndarray) -> dict[str, np.ndarray]:
        """Physical-unit predictions (E mixing energy eV/cell, C e/site, M mu_B/site) via numpy."""
        fast = NumpySurrogate.from_keras(self.model, problem.species)
        if fast.local:
            return self.standardizer.inverse(fast.predict_features(problem.features[index]))
        return self.standardizer.inverse(fast.predict_numbers(problem.data.numbers[index]))


def fit_method(problem: Problem, method: str, split: dict[str, np.ndarray], model_cfg: NetworkConfig,
               train_cfg: TrainConfig, hidden=None, progress: bool = False, label: str = "") -> FittedMethod:
    """Standardize on the training part, build and train the MLP for ``method``."""
    limit_threads(train_cfg.threads)
    std = problem.standardizer(split["train"], method)
    y_train = std.transform(problem.part(split["train"], method))
    y_val = std.transform(problem.part(split["validation"], method))
    if problem.features is None:
        model = build_model(method, problem.codes.shape[1], len(problem.species), model_cfg, hidden, train_cfg.seed)
    else:
        model = build_local_model(method, problem.features.shape[-1], model_cfg, hidden, train_cfg.seed)
    hist = train_model(model, problem.inputs(split["train"]), y_train, problem.inputs(split["validation"]), y_val,
                       len(problem.species), train_cfg, model_cfg.alpha, problem.perms, progress,
                       label=label or f"train {method}")
    return FittedMethod(method, model, std, hist)


def evaluate(fitted: FittedMethod, problem: Problem, index: np.ndarray) -> dict:
    """Test RMSEs in report units, standardized RMSEs, and the predictions themselves."""
    pred = fitted.predict(problem, index)
    ref = problem.part(index, fitted.method)
    std_rmse = {t: float(np.sqrt(np.mean(((pred[t] - ref[t]) / fitted.standardizer.std[t]) ** 2))) for t in pred}
    return {"rmse": rmse_report_units(pred, ref), "rmse_standardized": std_rmse, "prediction": pred}
