"""Import IDNN weights in mechanoChemIGA's text format (``weights_i.txt``, ``bias_i.txt``).

Each file starts with ``# rows cols`` or ``# n``; ``weights_i`` is (n_in x n_out), a layer is
``a @ W + b``, hidden layers are softplus, the last layer is linear without bias.  The B2 network
of Teichert et al. (CMAME 2019) takes (c, eta^2) and gives g = 0.01 * y (trained on 100 * mu).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pf_app.config import ConfigError
from pf_app.idnn.weights import IDNNWeights, Layer


def _read_matrix(path: Path) -> np.ndarray:
    lines = path.read_text().splitlines()
    if not lines or not lines[0].startswith("#"):
        raise ConfigError(path, "line 1", "a header '# rows cols' or '# n'", lines[0] if lines else "empty file")
    shape = tuple(int(v) for v in lines[0].lstrip("#").split())
    values = np.loadtxt(lines[1:], ndmin=1).reshape(shape)
    return values


def load_mechanochem(directory: str | Path, output_scale: float = 0.01,
                     hidden_activation: str = "softplus") -> IDNNWeights:
    """Read ``weights_0..K`` and ``bias_0..K-1`` from ``directory`` as a B2 IDNN in (c, eta^2)."""
    directory = Path(directory)
    files = sorted(directory.glob("weights_*.txt"), key=lambda p: int(p.stem.split("_")[1]))
    if not files:
        raise ConfigError(directory, "weights_0.txt", "mechanoChemIGA weight files weights_<i>.txt", "none found")
    layers = []
    for i, wf in enumerate(files):
        bf = directory / f"bias_{i}.txt"
        last = i == len(files) - 1
        bias = _read_matrix(bf) if bf.exists() else None
        layers.append(Layer(_read_matrix(wf), bias, "linear" if last else hidden_activation))
    prov = {"source": str(directory), "format": "mechanoChemIGA text weights",
            "reference": "Teichert, Natarajan, Van der Ven, Garikipati, CMAME 353:201-216 (2019)"}
    return IDNNWeights(("c", "eta"), IDNNWeights.b2_features(), layers, np.zeros(2), np.ones(2),
                       output_scale, 0.0, "eV (per site, as published)", prov)
