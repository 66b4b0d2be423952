"""The B-spline knot sweep resumes: counts finished before a stop are taken from the checkpoint,
not fitted again, and the result is the uninterrupted sweep's (the same numbers: JSON keeps every
digit of the rows and coefficients, and a fit is a deterministic function of the same inputs)."""

from __future__ import annotations

import numpy as np
import pytest

from pf_app import mu_table
from pf_app.bspline import fit as bspline_fit
from pf_app.bspline.config import BSplineConfig
from pf_app.bspline.run import run
from pf_app.config import ConfigError, build
from pf_app.idnn.synthetic import derivative_table, landau_b2, sample_b2


REAL_FIT = bspline_fit.fit


class Interrupted(Exception):
    """Stands for a kill during a fit."""


def _cfg(table, out, **changes):
    return build(BSplineConfig, {"data": {"path": str(table)}, "interior_knots": [1, 3, 6],
                                 "output": {"directory": str(out), "name": "s"}, **changes})


def _count_fits(monkeypatch, stop_at_coefficients: int | None = None) -> list[int]:
    """Record the coefficient count of every fit; raise Interrupted at ``stop_at_coefficients``."""
    calls = []

    def counting(knots_c, knots_v, degree, *args):
        n = (len(knots_c) - degree - 1) * (len(knots_v) - degree - 1)
        if n == stop_at_coefficients:
            raise Interrupted
        calls.append(n)
        return REAL_FIT(knots_c, knots_v, degree, *args)

    monkeypatch.setattr(bspline_fit, "fit", counting)
    return calls


def test_stopped_sweep_resumes_with_the_finished_counts_and_the_same_result(tmp_path, monkeypatch):
    table = tmp_path / "mu.csv"
    mu_table.write(derivative_table(landau_b2, sample_b2(1500, seed=0)), table)
    once = run(_cfg(table, tmp_path / "once"))
    _count_fits(monkeypatch, stop_at_coefficients=(6 + 4) ** 2)  # the third count, 6 interior knots
    with pytest.raises(Interrupted):
        run(_cfg(table, tmp_path / "stopped"))
    checkpoint = tmp_path / "stopped" / "s.sweep.checkpoint.json"
    assert checkpoint.is_file()
    with pytest.raises(ConfigError, match=r"s\.sweep\.checkpoint\.json: regularization: expected the value"):
        run(_cfg(table, tmp_path / "stopped", regularization=1e-6), resume=True)
    calls = _count_fits(monkeypatch)
    resumed = run(_cfg(table, tmp_path / "stopped"), resume=True)
    assert calls == [(6 + 4) ** 2]  # only the unfinished count was fitted
    assert resumed["rows"] == once["rows"]
    np.testing.assert_array_equal(resumed["model"].coefficients, once["model"].coefficients)
    assert not checkpoint.exists() and (tmp_path / "stopped" / "s.bspline.json").is_file()
    with pytest.raises(ConfigError, match="a sweep checkpoint to resume from"):
        run(_cfg(table, tmp_path / "stopped"), resume=True)
