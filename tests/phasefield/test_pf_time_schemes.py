"""Convergence order of the time schemes, and the error-based step controller."""

from __future__ import annotations

import numpy as np
import pytest

from pfcase import read_energy, read_state, run_case, write_case

SMOOTH = {
    "mesh": {"lengths": [1.0, 1.0], "cells": [12, 12]},
    "free_energy": {"kind": "formula", "formula": "(c - 0.5)**2 - 0.5*eta**2 + 0.25*eta**4"},
    "mobility": {"kind": "constant", "M": 1.0, "L": 1.0},
    "gradient": {"kappa_c": 0.01, "kappa_eta": 0.01},
    "initial": {"c": {"kind": "formula", "formula": "0.5 + 0.1*cos(2*pi*x)"},
                "eta": {"kind": "formula", "formula": "0.2*cos(2*pi*y) + 0.1*sin(2*pi*x)"}},
}


def _final(tmp_path, name, scheme, dt, t_end=0.4):
    path = write_case(tmp_path, name, **SMOOTH, time={"scheme": scheme, "t_end": t_end, "dt": dt, "adapt": "fixed"},
                      solver={"rtol": 1e-12, "atol": 1e-14})
    case, _ = run_case(path)
    return read_state(case.output_dir)[1]


@pytest.mark.parametrize("scheme, order", [("backward_euler", 1.0), ("bdf2", 2.0)])
def test_observed_order_of_accuracy(tmp_path, scheme, order):
    """Same mesh, so the spatial error cancels: errors against a reference with dt/64 must shrink
    as dt^p.  Observed p within 0.15 of the theoretical order (the asymptotic range is reached at
    these dt for this smooth solution; the first BDF2 step is backward Euler, a local O(dt^2) error
    that does not spoil second order)."""
    ref = _final(tmp_path, "ref", "bdf2", 0.4 / 256)
    dts = [0.1, 0.05, 0.025]
    errors = [np.max(np.abs(_final(tmp_path, f"{scheme}{i}", scheme, dt) - ref)[:, [0, 2]]) for i, dt in enumerate(dts)]
    rates = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(np.abs(rates - order) < 0.15), (errors, rates)


def test_error_controller_meets_tolerance_and_adapts(tmp_path):
    """With local-error control the step grows while the solution relaxes, and a tighter
    tolerance gives a more accurate end state (errors against a fine fixed-step reference)."""
    ref = _final(tmp_path, "ref", "bdf2", 0.4 / 256)
    errs = []
    for name, tol in (("loose", 1e-3), ("tight", 1e-5)):
        path = write_case(tmp_path, name, **SMOOTH, time={"scheme": "backward_euler", "t_end": 0.4, "dt": 0.01,
                                                          "adapt": "error", "error": {"tolerance": tol}})
        case, _ = run_case(path)
        e = read_energy(case.output_dir)
        errs.append(np.max(np.abs(read_state(case.output_dir)[1] - ref)[:, [0, 2]]))
        assert abs(e["t"][-1] - 0.4) < 1e-12
    assert errs[1] < errs[0] / 5
