"""Import IDNN weights in mechanoChemIGA's text format (``weights_i.txt``, ``bias_i.txt``).

Each file starts with ``# rows cols`` or ``# n``; ``weights_i`` is (n_in x n_out), a layer is
``a @ W + b``, hidden layers are softplus, the last layer is linear without bias.  The B2 network
of Teichert et al. (CMAME 2019) takes (c, eta^2) and gives g = 0.01 * y (trained on 100 * mu).

A malformed folder (a missing or unnumbered file, a bad header, non-numbers, too few or too many
values, layer shapes that do not chain from 2 inputs to 1 output) is a :class:`ConfigError` naming
the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from pf_app.config import ConfigError
from pf_app.idnn.weights import IDNNWeights, Layer

N_INPUTS = 2  # the B2 invariants (c, eta^2)


def _read_matrix(path: Path, expected: str) -> np.ndarray:
    """The array of one file: header ``# rows cols`` (matrix) or ``# n`` (vector), then the values."""
    if not path.is_file():
        raise ConfigError(path, "<file>", f"an existing mechanoChemIGA file ({expected})", "missing")
    first, _, rest = path.read_text().partition("\n")
    try:
        shape = tuple(int(v) for v in first.lstrip("#").split()) if first.startswith("#") else ()
    except ValueError:
        shape = ()
    if len(shape) not in (1, 2) or min(shape) < 1:
        raise ConfigError(path, "line 1", "a header '# rows cols' or '# n' with positive counts",
                          first.strip() or "empty file")
    try:
        values = np.array(rest.split(), dtype=float)
    except ValueError as exc:
        raise ConfigError(path, "values", "numbers after the header", str(exc)) from None
    if values.size != int(np.prod(shape)):
        raise ConfigError(path, "values", f"{' x '.join(map(str, shape))} = {int(np.prod(shape))} numbers "
                          f"after the header '{first.strip()}'", values.size)
    if not np.all(np.isfinite(values)):
        raise ConfigError(path, "values", "finite numbers", "nan or inf")
    return values.reshape(shape)


def _weight_files(directory: Path) -> list[Path]:
    """``weights_0.txt`` .. ``weights_K.txt``, numbered without gaps."""
    if not directory.is_dir():
        raise ConfigError(directory, "<folder>", "a folder of mechanoChemIGA weights_<i>.txt files", "missing")
    numbered = {}
    for p in directory.glob("weights_*.txt"):
        m = re.fullmatch(r"weights_(\d+)", p.stem)
        if m is None:
            raise ConfigError(p, "<file name>", "weights_<i>.txt with a layer number i", p.name)
        numbered[int(m.group(1))] = p
    if not numbered:
        raise ConfigError(directory, "weights_0.txt", "mechanoChemIGA weight files weights_<i>.txt", "none found")
    missing = sorted(set(range(max(numbered) + 1)) - set(numbered))
    if missing:
        raise ConfigError(directory / f"weights_{missing[0]}.txt", "<file>",
                          f"layers numbered 0..{max(numbered)} without gaps", "missing")
    return [numbered[i] for i in range(len(numbered))]


def load_mechanochem(directory: str | Path, output_scale: float = 0.01,
                     hidden_activation: str = "softplus") -> IDNNWeights:
    """Read ``weights_0..K`` and ``bias_0..K-1`` from ``directory`` as a B2 IDNN in (c, eta^2)."""
    directory = Path(directory)
    files = _weight_files(directory)
    layers, n_in = [], N_INPUTS
    for i, wf in enumerate(files):
        last = i == len(files) - 1
        W = _read_matrix(wf, f"layer {i} weights")
        n_out = 1 if last else (W.shape[1] if W.ndim == 2 else 0)
        if W.shape != (n_in, n_out) or n_out < 1:
            expected = f"'# {n_in} {n_out}'" if last else f"'# {n_in} <units>'"
            raise ConfigError(wf, "line 1", f"{expected} (layer {i}: {n_in} inputs"
                              + (", 1 output: the free energy)" if last else ")"), " ".join(map(str, W.shape)))
        bf = directory / f"bias_{i}.txt"
        bias = None
        if bf.exists() or not last:  # hidden layers have a bias; the output layer may
            bias = _read_matrix(bf, f"layer {i} bias")
            if bias.shape != (n_out,):
                raise ConfigError(bf, "line 1", f"'# {n_out}' (one bias per unit of weights_{i})",
                                  " ".join(map(str, bias.shape)))
        layers.append(Layer(W, bias, "linear" if last else hidden_activation))
        n_in = n_out
    prov = {"source": str(directory), "format": "mechanoChemIGA text weights",
            "reference": "Teichert, Natarajan, Van der Ven, Garikipati, CMAME 353:201-216 (2019)"}
    return IDNNWeights(("c", "eta"), IDNNWeights.b2_features(), layers, np.zeros(2), np.ones(2),
                       output_scale, 0.0, "eV (per site, as published)", prov)
