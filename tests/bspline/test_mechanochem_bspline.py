"""mechanoChemIGA's B-spline free energy (Cpts.txt + knots.txt): the file layout, exact derivatives in
the end spans of a clamped knot vector (where the authors' second-derivative formula is wrong),
the chain rule through eta^2, and a warning outside the knot span."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.interpolate import BSpline

from pf_app.bspline.evaluate import BSplineFreeEnergy, ExtrapolationWarning, clamped_uniform_knots
from pf_app.bspline.mechanochem import load_mechanochem_bspline, write_mechanochem_bspline
from pf_app.config import ConfigError
from pf_app.freeenergy.base import FreeEnergyConfig, build_free_energy

SQRT2 = np.sqrt(2.0)
EPS = np.finfo(float).eps

# 7-point central first derivative: exact for polynomials of degree <= 6 (error term h^6 f^(7)).
FD7 = {1: 45 / 60, 2: -9 / 60, 3: 1 / 60}


def _spline(n_c: int = 5, n_v: int = 4, seed: int = 0) -> BSplineFreeEnergy:
    """A cubic spline on the authors' knot ranges (c in [0, sqrt2], eta^2 in [0, 1/2]), coefficients O(1)."""
    kc, kv = clamped_uniform_knots(0.0, SQRT2, n_c, 3), clamped_uniform_knots(0.0, 0.5, n_v, 3)
    a = np.random.default_rng(seed).uniform(-1.0, 1.0, (len(kc) - 4, len(kv) - 4))
    return BSplineFreeEnergy(kc, kv, a, 3, "eV")


def _fd(f, x: np.ndarray, k: int, h: float) -> np.ndarray:
    """d f / d x_k by the 7-point stencil (f returns an array per row of x)."""
    out = 0.0
    for j, w in FD7.items():
        step = np.zeros(x.shape[1])
        step[k] = j * h
        out = out + w * (f(x + step) - f(x - step))
    return out / h


def test_files_in_the_authors_layout_are_read_as_written(tmp_path):
    """Headers '# p m n', knot vectors one per line, control points row i = c index (the authors'
    fitting script writes C(i, j) with i over the c knots; their reader fills CPts[i][j] row-major)."""
    (tmp_path / "knots.txt").write_text(
        "# 3 9 10\n0 0 0 0 0.707106781186548 1.4142135623731 1.4142135623731 1.4142135623731 1.4142135623731\n"
        "0 0 0 0 0.166666666666667 0.333333333333333 0.5 0.5 0.5 0.5\n")
    rows = [" ".join(f"{10 * i + j:.15g}" for j in range(6)) for i in range(5)]
    (tmp_path / "Cpts.txt").write_text("# 3 5 6\n" + "\n".join(rows) + "\n")
    s = load_mechanochem_bspline(tmp_path)
    assert s.degree == 3 and s.coefficients.shape == (5, 6)
    assert s.coefficients[2, 4] == 24.0 and s.knots_c[4] == 0.707106781186548 and s.knots_v[-1] == 0.5
    assert s.energy_unit.startswith("eV")
    ref = _spline()
    write_mechanochem_bspline(ref, tmp_path / "ours")
    back = load_mechanochem_bspline(tmp_path / "ours")  # 17 significant digits: every number back exactly
    for a, b in ((back.knots_c, ref.knots_c), (back.knots_v, ref.knots_v), (back.coefficients, ref.coefficients)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("file,text,key", [
    ("knots.txt", "3 9 10\n", "line 1"),  # no '#'
    ("knots.txt", "# 3 9\n", "line 1"),
    ("knots.txt", "# 3 9 10\n0 0 0 0 1 2 2 2 2\n", "values"),  # 9 of 19 numbers
    ("knots.txt", "# 3 9 10\n0 0 0 0.1 0.5 1 1 1 1 0 0 0 0 0.2 0.3 0.5 0.5 0.5 0.5\n", "knots of c"),  # not clamped
    ("Cpts.txt", "# 3 5 5\n" + "1 " * 25 + "\n", "line 1"),  # 5 x 5 for 9 and 10 knots
    ("Cpts.txt", "# 3 5 6\n" + "1 " * 29 + "\n", "values"),
])
def test_malformed_files_are_one_line_config_errors(tmp_path, file, text, key):
    write_mechanochem_bspline(_spline(1, 2), tmp_path)  # 9 and 10 knots, 5 x 6 control points
    (tmp_path / file).write_text(text)
    cfg = FreeEnergyConfig(kind="mechanochem_bspline", path=tmp_path)
    with pytest.raises(ConfigError) as err:
        build_free_energy(cfg, ("c", "eta"))
    assert str(err.value).startswith(f"{tmp_path / file}: {key}: expected") and "\n" not in str(err.value)


def test_derivatives_are_exact_in_the_end_spans_of_a_clamped_knot_vector():
    """In every knot span (the three at each clamped end included), the gradient matches finite
    differences of g and the Hessian finite differences of the gradient, w.r.t. (c, eta) through
    v = eta^2.  Inside one span of c and of v, g is a polynomial of degree 3 in c and 6 in eta, so the
    7-point stencil is exact there and only round-off remains: g is evaluated to ~16 eps max|a|
    ((p+1)^2 = 16 terms), and the stencil amplifies that by sum|w|/h = (110/60)/h."""
    s = _spline()
    kc, kv = np.unique(s.knots_c), np.unique(s.knots_v)
    c_mid = 0.5 * (kc[:-1] + kc[1:])  # 6 spans in c: the three end spans on each side
    v_mid = 0.5 * (kv[:-1] + kv[1:])  # 5 spans in v
    c, v = np.meshgrid(c_mid, v_mid, indexing="ij")
    x = np.column_stack([c.ravel(), np.sqrt(v.ravel())])
    # steps keeping the stencil +-3h inside the span in c and (through v = eta^2) in v
    h = 0.1 * min(np.diff(kc).min(), np.diff(kv).min() / (2 * np.sqrt(kv[-1]) + 1))
    assert np.all(x[:, 1] - 3 * h > 0)
    g, grad, hess = s.evaluate(x, 2)
    stencil = (110 / 60) / h  # sum of |weights| / h
    bound_g = np.abs(s.coefficients).max()
    # the gradient's coefficients are differences p (a_i - a_{i-1}) / (knot gap), times 2 eta <= 2 sqrt(v_max)
    bound_grad = 2 * 3 * bound_g / min(np.diff(kc).min(), np.diff(kv).min()) * max(1.0, 2 * np.sqrt(kv[-1]))
    for k in range(2):
        fd = _fd(lambda y: s.evaluate(y, 0), x, k, h)
        np.testing.assert_allclose(grad[:, k], fd, rtol=0, atol=stencil * 16 * EPS * bound_g)
        for l in range(2):
            fd = _fd(lambda y: s.evaluate(y, 1)[1][:, l], x, k, h)
            np.testing.assert_allclose(hess[:, l, k], fd, rtol=0, atol=stencil * 16 * EPS * bound_grad)
    np.testing.assert_array_equal(hess[:, 0, 1], hess[:, 1, 0])


def test_the_authors_second_derivative_formula_differs_only_near_clamped_ends():
    """Why we do not port bsplines::eval: its coefficients of S'' are
    p (p-1) (P_k - 2 P_{k-1} + P_{k-2}) / ((t_{k+p} - t_k)(t_{k+p-1} - t_k)), exact only where
    t_{k+p} - t_k = t_{k+p-1} - t_{k-1}.  On a clamped cubic vector with uniform interior knots it is
    wrong in the two spans at each end and right elsewhere; scipy's derivative (ours) is exact."""
    p, t = 3, clamped_uniform_knots(0.0, 1.0, 7, 3)  # 8 spans of width 1/8
    coef = np.random.default_rng(1).normal(size=len(t) - p - 1)
    exact = BSpline(t, coef, p)
    r = [p * (p - 1) * (coef[k] - 2 * coef[k - 1] + coef[k - 2]) / ((t[k + p] - t[k]) * (t[k + p - 1] - t[k]))
         for k in range(2, len(coef))]
    authors = BSpline(t[2:-2], np.array(r), p - 2)
    mid = (np.arange(8) + 0.5) / 8
    wrong = np.abs(authors(mid) - exact(mid, 2)) > 1e-9 * np.abs(exact(mid, 2)).max()
    assert wrong.tolist() == [True, True, False, False, False, False, True, True]
    # second derivative as a difference quotient of the first (a quadratic in each span: exact at
    # span midpoints up to round-off with the 3-point stencil)
    d = 1e-3
    np.testing.assert_allclose(exact(mid, 2), (exact(mid + d, 1) - exact(mid - d, 1)) / (2 * d), rtol=1e-9)


def test_g_is_even_in_eta_and_the_chain_rule_goes_through_eta_squared():
    s = _spline()
    x = np.column_stack([np.linspace(0.1, 1.3, 7), np.linspace(0.05, 0.6, 7)])
    mirror = x * [1, -1]
    (g, grad, hess), (gm, gradm, hessm) = s.evaluate(x, 2), s.evaluate(mirror, 2)
    np.testing.assert_array_equal(gm, g)
    np.testing.assert_array_equal(gradm, grad * [1, -1])
    np.testing.assert_array_equal(hessm[:, 0, 1], -hess[:, 0, 1])
    # at eta = 0: dg/deta = 0 and d2g/deta2 = 2 S_v (the eta^2 chain rule), not S_vv
    x0 = np.array([[0.7, 0.0]])
    b_c = BSpline(s.knots_c, np.eye(len(s.coefficients)), 3)(0.7)  # all B_i(0.7)
    tensor_v = BSpline(s.knots_v, s.coefficients.T @ b_c, 3)  # S(0.7, v)
    _, grad0, hess0 = s.evaluate(x0, 2)
    assert grad0[0, 1] == 0.0
    np.testing.assert_allclose(hess0[0, 1, 1], 2 * tensor_v(0.0, 1), rtol=1e-12)


def test_points_outside_the_knot_span_warn_once():
    s = _spline()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.evaluate(np.array([[0.0, 0.0], [SQRT2, np.sqrt(0.5)], [0.7, 0.3]]), 2)  # on the span's edges: no warning
    with pytest.warns(ExtrapolationWarning, match=r"2 of 3 points outside the knot span.*0\.1 in c"):
        s.evaluate(np.array([[SQRT2 + 0.1, 0.0], [0.7, 0.3], [0.7, 0.8]]), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.evaluate(np.array([[-0.2, 0.0]]), 0)  # already warned for this model
