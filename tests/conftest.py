"""Shared fixtures: paths to the real data in ../shared (tests skip, with the reason, when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PF_APP_SHARED", REPO.parent / "shared")) / "data"

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _shared(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real data {path} is absent (../shared/data is not beside this checkout)")
    return path


@pytest.fixture(scope="session")
def published_idnn_dir() -> Path:
    """The published B2 IDNN weights of Teichert et al. (2019), mechanoChemIGA text format."""
    return _shared("mechanoChemIGA_B2_IDNN")


@pytest.fixture(scope="session")
def lsms_cuau_dir() -> Path:
    """The seed's LSMS DFT data for 32-atom CuAu (npz and raw output files)."""
    return _shared("lsms_CuAu_32atoms")


@pytest.fixture(scope="session")
def lsms_fept_dir() -> Path:
    """The seed's second LSMS DFT set: 32-atom FePt on a BCT cell (npz and raw output files)."""
    return _shared("lsms_FePt_32atoms")


class _NetworkRounding:
    """Rounding bounds for an IDNN evaluated by two code paths (numpy, UFL, TensorFlow, another row order).

    A sum of n terms is exact to n eps times the sum of the terms' absolute values (Higham, Accuracy and
    Stability of Numerical Algorithms, ch. 3); carried through the layers, each evaluation of g or of its
    gradient is within ``eps_factor(w)`` times ``value_terms`` / ``gradient_terms`` of the exact value."""

    @staticmethod
    def eps_factor(w) -> float:
        """(sum of the fan-ins of every sum: features, each layer's inputs) + 4 scalings, times eps."""
        import numpy as np

        return (len(w.features) + sum(layer.weights.shape[0] for layer in w.layers) + 4) * np.finfo(float).eps

    @staticmethod
    def value_terms(w, x):
        """g's terms in absolute value: each layer's |W|^T |a| + |b|, carried to the output through |W|
        and the activation slopes."""
        import numpy as np

        from pf_app.idnn.weights import activation_derivatives

        z, _, _ = w.features_and_derivatives(x)
        a, mag = z, np.abs(z)
        for layer in w.layers:
            bias = 0.0 if layer.bias is None else layer.bias
            pre = a @ layer.weights + bias
            terms = np.abs(a) @ np.abs(layer.weights) + np.abs(bias)
            a, slope, _ = activation_derivatives(layer.activation, pre)
            mag = np.abs(slope) * (mag @ np.abs(layer.weights) + terms)
        return abs(w.output_scale) * mag[:, 0]

    @staticmethod
    def gradient_terms(w, x):
        """dg/dx with every weight and derivative factor in absolute value, (N, d)."""
        import numpy as np

        from pf_app.idnn.weights import activation_derivatives

        z, dz, _ = w.features_and_derivatives(x)
        a, mag = z, np.abs(dz)  # (N, units, d)
        for layer in w.layers:
            pre = a @ layer.weights + (0.0 if layer.bias is None else layer.bias)
            a, slope, _ = activation_derivatives(layer.activation, pre)
            mag = np.abs(slope)[:, :, None] * np.einsum("nid,io->nod", mag, np.abs(layer.weights))
        return abs(w.output_scale) * mag[:, 0, :]


@pytest.fixture(scope="session")
def network_rounding() -> _NetworkRounding:
    return _NetworkRounding()
