"""Fitting data from a chemical-potential table: temperature selection, train/validation split.

Shared by the IDNN trainer and the B-spline fit.  ``x`` are order parameters (N, d), ``mu`` the
derivatives dg/dx (N, d) in the table's energy unit per site.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pf_app import mu_table
from pf_app.config import ConfigError


@dataclass
class FitData:
    order_parameters: tuple[str, ...]
    x_train: np.ndarray
    mu_train: np.ndarray
    x_val: np.ndarray
    mu_val: np.ndarray
    x_value: np.ndarray  # points with known g (value column and anchors), (M, d)
    g_value: np.ndarray  # (M,)
    w_train: np.ndarray  # residual weights (N, d): 1/se^2 normalized to mean 1, or ones
    w_val: np.ndarray
    energy_unit: str
    provenance: dict  # file, sha256, rows used, temperature (or temperatures)
    kT_train: np.ndarray | None = None  # (N,) the rows' kT when the data span several temperatures, else None
    kT_val: np.ndarray | None = None
    kT_value: np.ndarray | None = None

    def inputs(self, split: str) -> np.ndarray:
        """x of ``split`` ('train', 'val', 'value'), with the kT column appended when there is one."""
        x, kT = getattr(self, f"x_{split}"), getattr(self, f"kT_{split}")
        return x if kT is None else np.column_stack([x, kT])


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def split_indices(n: int, validation_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random train/validation row indices (seeded); at least one training row."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = min(int(round(validation_fraction * n)), n - 1)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def load_fit_data(cfg, seed: int, anchors=(), by_temperature: bool = False) -> FitData:
    """Read ``cfg.path`` (a :class:`pf_app.idnn.config.TrainingTableConfig`) and split it with ``seed``.

    ``by_temperature``: rows of several temperatures (``cfg.temperatures``, null: all) with their kT in
    ``kT_train`` etc.; otherwise the rows of one temperature."""
    table = mu_table.read(cfg.path, drop_invalid=cfg.drop_invalid)
    temps = np.unique(table.columns["kT"])
    if by_temperature:
        temperature = None
        if cfg.temperatures is not None:
            rows = np.zeros(len(table), bool)
            for t in cfg.temperatures:
                hit = np.isclose(table.columns["kT"], t, rtol=1e-9, atol=0.0)
                if not hit.any():
                    raise ConfigError(cfg.path, "data.temperatures", f"temperatures of the table {temps.tolist()}", t)
                rows |= hit
            table = table.select(rows)
    elif cfg.temperature is None:
        if len(temps) > 1:
            raise ConfigError(cfg.path, "data.temperature", f"one of the table's temperatures {temps.tolist()}",
                              "nothing (the table has several)")
        temperature = float(temps[0])
    else:
        temperature = cfg.temperature
        rows = np.isclose(table.columns["kT"], temperature, rtol=1e-9, atol=0.0)
        if not rows.any():
            raise ConfigError(cfg.path, "data.temperature", f"one of the table's temperatures {temps.tolist()}",
                              temperature)
        table = table.select(rows)
    excluded = 0
    for name in cfg.exclude_flags:
        if name not in table.columns:
            raise ConfigError(cfg.path, "data.exclude_flags", f"columns of the table ({', '.join(table.columns)})", name)
        keep = table.columns[name] == 0
        excluded += int((~keep).sum())
        table = table.select(keep)
    if len(table) == 0:
        raise ConfigError(cfg.path, "data.exclude_flags", "some rows left after excluding flagged rows", "none")
    d = len(table.order_parameters)
    weights = _standard_error_weights(table, cfg.path) if cfg.weight_by_standard_errors else np.ones((len(table), d))
    x_value = np.zeros((0, d))
    g_value = np.zeros(0)
    if cfg.value_column is not None:
        if cfg.value_column not in table.columns:
            raise ConfigError(cfg.path, "data.value_column", f"a column of the table ({', '.join(table.columns)})",
                              cfg.value_column)
        g = table.columns[cfg.value_column]
        known = np.isfinite(g)
        x_value, g_value = table.x[known], g[known]
    kT_value = table.columns["kT"][known] if cfg.value_column is not None else np.zeros(0)
    for i, a in enumerate(anchors):
        if len(a.x) != d:
            raise ConfigError(None, f"loss.anchors[{i}].x", f"{d} coordinates ({', '.join(table.order_parameters)})",
                              list(a.x))
        if by_temperature and a.kT is None:
            raise ConfigError(None, f"loss.anchors[{i}].kT", "the anchor's temperature (a model with a temperature "
                              "input)", None)
        x_value = np.vstack([x_value, np.asarray(a.x, float)[None]])
        g_value = np.append(g_value, a.g)
        kT_value = np.append(kT_value, np.nan if a.kT is None else a.kT)
    train, val = split_indices(len(table), cfg.validation_fraction, seed)
    x, mu = table.x, table.mu
    provenance = {"data_file": str(cfg.path), "data_sha256": sha256_of(cfg.path), "rows": len(table),
                  "excluded_flagged_rows": excluded, "train_rows": len(train), "validation_rows": len(val)}
    if by_temperature:
        provenance["temperatures"] = [float(t) for t in np.unique(table.columns["kT"])]
    else:
        provenance["temperature"] = temperature
    w = weights / weights[train].mean(axis=0)
    kT = table.columns["kT"]
    by_t = (kT[train], kT[val], kT_value) if by_temperature else (None, None, None)
    return FitData(table.order_parameters, x[train], mu[train], x[val], mu[val], x_value, g_value, w[train], w[val],
                   table.meta.get("energy_unit", "unspecified"), provenance, *by_t)


def _standard_error_weights(table, path) -> np.ndarray:
    """1/se^2 per row and order parameter; the se columns must exist and be positive."""
    se = table.se()
    if se is None:
        names = ", ".join(f"se_mu_{n}" for n in table.order_parameters)
        raise ConfigError(path, "data.weight_by_standard_errors", f"columns {names} in the table", "missing")
    bad = ~(np.isfinite(se) & (se > 0))
    if bad.any():
        row, k = np.argwhere(bad)[0]
        raise ConfigError(path, f"se_mu_{table.order_parameters[k]}[row {row}]", "a positive standard error",
                          float(se[row, k]))
    return 1.0 / se ** 2
