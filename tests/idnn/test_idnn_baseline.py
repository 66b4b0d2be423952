"""The ideal-mixing baseline of the IDNN (``model.baseline: ideal_mixing``):
g(eta) = (kT/S) sum_s [x_s ln x_s + (1 - x_s) ln(1 - x_s)] + g_net(eta), x = Q^-1 eta.

Claims: g_ideal and its analytic derivatives are right (a hand-computed value, central differences);
every evaluator of a weights file adds the same baseline (numpy, compiled, JSON round trip, Keras,
the committee's mean network, UFL in the phase field) to round-off; the cubic symmetry of an FCC IDNN
survives it; and on exact data g = g_ideal + polynomial, a fit with the baseline recovers mu far
better than the same fit without it.

Round-off bounds (no tuning): the network part's bound is the cubic-invariants test's
(:func:`rounding_bounds`, forward error analysis); the baseline's is :func:`baseline_rounding`:
x = A eta is a dot product of S terms, within gamma_S (|A| |eta|)_s (Higham ch. 3); that error moves
each term f(x) = x ln x + (1 - x) ln(1 - x) by |f'(x)| = |ln(x / (1 - x))| times it, and moves
f'(x) by 1 / (x (1 - x)) times it; each log, product and sum adds a few ulps of the magnitudes
(gamma_8 of |x ln x| + |(1 - x) ln(1 - x)|, of |ln x| + |ln(1 - x)|); the sum over s and the
product with A add gamma_S of the magnitudes.  Two evaluators of the same exact value differ by at
most the sum of their bounds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pf_app.idnn.baseline import IdealMixing
from pf_app.idnn.weights import IDNNWeights, Layer, from_json
from pf_app.montecarlo.standard_models import B2_MAP
from test_idnn_cubic_invariants import (Q_FCC, _on_eta, assert_symmetric_under_the_24_operations, cubic_group,
                                        random_cubic_idnn, rounding_bounds)

U = np.finfo(float).eps / 2
KT_FCC = 3.0  # V_1, the FCC loop's temperature


def gamma(k: float) -> float:
    return k * U / (1 - k * U)


def baseline_rounding(b: IdealMixing, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds (N,), (N, S) on the rounding error of g_ideal and its gradient (module docstring)."""
    s = b.sublattices
    x = b.fractions(eta)
    ex = gamma(s) * (np.abs(eta) @ np.abs(b.A).T)  # error of x = A eta
    c = b.kT / s
    f_mag = np.abs(x * np.log(x)) + np.abs((1 - x) * np.log1p(-x))
    logit = np.log(x) - np.log1p(-x)
    log_mag = np.abs(np.log(x)) + np.abs(np.log1p(-x))
    g_bound = c * (np.abs(logit) * ex + (gamma(8) + gamma(s)) * f_mag).sum(axis=1)
    logit_err = ex / (x * (1 - x)) + gamma(8) * log_mag
    mu_bound = c * (logit_err @ np.abs(b.A) + gamma(s) * (np.abs(logit) @ np.abs(b.A)))
    return g_bound, mu_bound


def _fcc_fractions(n: int, seed: int, lo: float = 0.02) -> np.ndarray:
    return lo + (1 - 2 * lo) * np.random.default_rng(seed).random((n, 4))


def fcc_with_baseline(seed: int, activation: str = "softplus") -> IDNNWeights:
    w = random_cubic_idnn(seed, activation)
    w.baseline = IdealMixing.from_order_parameter_map(KT_FCC, Q_FCC)
    return w


def _bounds(w: IDNNWeights, eta: np.ndarray):
    """Rounding bounds of g and mu of a network with its baseline."""
    without = IDNNWeights(w.order_parameters, w.features, w.layers, w.feature_shift, w.feature_scale,
                          w.output_scale, w.output_offset)
    tg, tm = rounding_bounds(without, eta)
    bg, bm = baseline_rounding(w.baseline, eta)
    return tg + bg, tm + bm


# ---- (a) the baseline itself --------------------------------------------------------------------

def test_ideal_mixing_by_hand_for_b2_and_fcc():
    """B2 (kT = 2) at sublattice fractions (0.8, 0.3), i.e. (c, eta) = (1.1, 0.5)/sqrt2:
    g = (2/2) [0.8 ln 0.8 + 0.2 ln 0.2 + 0.3 ln 0.3 + 0.7 ln 0.7] = -1.1112667256...;
    FCC (kT = 3) at the L1_2-like fractions (0.85, 0.05, 0.05, 0.05):
    g = (3/4) [0.85 ln 0.85 + 0.15 ln 0.15 + 3 (0.05 ln 0.05 + 0.95 ln 0.95)] = -0.7636911134...
    Tolerance 1e-12 relative: a few roundings of numbers of order 1."""
    def f(v):
        return v * math.log(v) + (1 - v) * math.log(1 - v)

    b2 = IdealMixing.from_order_parameter_map(2.0, B2_MAP.Q)
    eta = B2_MAP.eta([0.8, 0.3])
    assert np.allclose(eta, np.array([1.1, 0.5]) / math.sqrt(2), rtol=0, atol=1e-15)
    by_hand = f(0.8) + f(0.3)
    assert by_hand == pytest.approx(-1.1112667256, abs=1e-10)
    assert b2.evaluate(eta[None], 0)[0] == pytest.approx(by_hand, rel=1e-12)
    fcc = IdealMixing.from_order_parameter_map(KT_FCC, Q_FCC)
    eta = np.array([0.85, 0.05, 0.05, 0.05]) @ Q_FCC.T
    by_hand = 0.75 * (f(0.85) + 3 * f(0.05))
    assert by_hand == pytest.approx(-0.7636911134, abs=1e-10)
    assert fcc.evaluate(eta[None], 0)[0] == pytest.approx(by_hand, rel=1e-12)
    # disordered state, x = 1/2: g = kT ln(1/2), every mu_eta zero, mu_c = 0 by symmetry
    g, mu = b2.evaluate(B2_MAP.eta([0.5, 0.5])[None], 1)
    assert g[0] == pytest.approx(2.0 * math.log(0.5), rel=1e-14) and np.all(np.abs(mu) < 1e-15)


@pytest.mark.parametrize("which", ["b2", "fcc"])
def test_analytic_derivatives_equal_central_differences(which):
    """Gradient and Hessian against central differences (step h = 1e-5) at random interior points
    (fractions in [0.05, 0.95]).  Tolerance: truncation h^2/6 max|g'''| (g''' of one term is
    (kT/S) A^3 (1/(1-x)^2 - 1/x^2), at most (kT/S) sum_s (sum_k |A_sk|)^3 / 0.05^2) plus rounding
    4 eps max|g| / h, for the gradient from g, for the Hessian from the gradient."""
    Q, kT = (B2_MAP.Q, 2.0) if which == "b2" else (Q_FCC, KT_FCC)
    b = IdealMixing.from_order_parameter_map(kT, Q)
    s = b.sublattices
    rng = np.random.default_rng(3)
    eta = (0.05 + 0.9 * rng.random((50, s))) @ Q.T
    g, grad, hess = b.evaluate(eta, 2)
    h = 1e-5
    m3 = kT / s * (np.abs(b.A).sum(axis=1) ** 3).sum() / 0.05 ** 2
    m4 = kT / s * (np.abs(b.A).sum(axis=1) ** 4).sum() * 2 / 0.05 ** 3
    for k in range(s):
        e = np.zeros(s)
        e[k] = h
        fd = (b.evaluate(eta + e, 0) - b.evaluate(eta - e, 0)) / (2 * h)
        tol = h ** 2 / 6 * m3 + 4 * np.finfo(float).eps * np.abs(g).max() / h
        assert np.abs(fd - grad[:, k]).max() <= tol, (k, np.abs(fd - grad[:, k]).max(), tol)
        fd2 = (b.evaluate(eta + e, 1)[1] - b.evaluate(eta - e, 1)[1]) / (2 * h)
        tol2 = h ** 2 / 6 * m4 + 4 * np.finfo(float).eps * np.abs(grad).max() / h
        assert np.abs(fd2 - hess[:, :, k]).max() <= tol2, (k, np.abs(fd2 - hess[:, :, k]).max(), tol2)
    assert np.all(np.isnan(b.evaluate(np.array([[0.0] * s]) + Q[:, 0] * 1.2, 0)))  # a fraction above 1


# ---- (b) every evaluator adds it ----------------------------------------------------------------

def test_weights_file_with_a_baseline_round_trips_and_old_files_stay_version_1():
    """The baseline is part of the JSON (version 2) and read back bit for bit; without one the file
    is version 1 as before, and a version-1 file with a baseline is refused."""
    from pf_app.config import ConfigError

    w = fcc_with_baseline(1)
    doc = w.to_json()
    assert doc["version"] == 2 and doc["baseline"]["kind"] == "ideal_mixing" and doc["baseline"]["kT"] == KT_FCC
    eta = _fcc_fractions(100, 2) @ Q_FCC.T
    again = from_json(doc, "w.idnn.json")
    for a, b in zip(again.evaluate(eta, 2), w.evaluate(eta, 2)):
        assert np.array_equal(a, b)
    plain = random_cubic_idnn(1, "softplus").to_json()
    assert plain["version"] == 1 and "baseline" not in plain
    with pytest.raises(ConfigError, match="w.idnn.json: baseline: expected no baseline in a version-1 file"):
        from_json({**doc, "version": 1}, "w.idnn.json")
    with pytest.raises(ConfigError, match=r"baseline\.fractions_from_order_parameters: expected a 4 x 4"):
        from_json({**doc, "baseline": {**doc["baseline"], "fractions_from_order_parameters": [[1.0]]}}, "w.idnn.json")


def test_baseline_is_added_by_numpy_compiled_keras_and_the_committee_mean():
    """g and mu of the numpy evaluator include g_ideal exactly (the network alone plus g_ideal, the
    same operations); the compiled kernel (Hessian too) to 1e-12 relative as for networks without
    it (tests/phasefield/test_pf_network.py); the trainer's Keras twin (TensorFlow's own log, log1p
    and matmul) within the sum of both round-off bounds; the committee's mean network is the mean."""
    from pf_app.idnn.compiled_network import CompiledIDNN
    from pf_app.learn.committee import Committee

    w = fcc_with_baseline(4)
    eta = _fcc_fractions(300, 5) @ Q_FCC.T
    g, mu, hess = w.evaluate(eta, 2)
    net = IDNNWeights(w.order_parameters, w.features, w.layers, w.feature_shift, w.feature_scale, w.output_scale,
                      w.output_offset)
    for a, n, b in zip((g, mu, hess), net.evaluate(eta, 2), w.baseline.evaluate(eta, 2)):
        assert np.array_equal(a, n + b)
    for got, ref in zip(CompiledIDNN(w).evaluate(eta), (g, mu, hess)):
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * max(1.0, np.max(np.abs(ref))))
    tg, tm = _bounds(w, eta)
    pytest.importorskip("tensorflow")
    from pf_app.idnn.model import from_weights, to_weights

    model = from_weights(w)
    gk, muk = (t.numpy() for t in model.value_and_gradient(eta))
    assert np.all(np.abs(gk - g) <= 2 * tg), np.max(np.abs(gk - g) / tg)
    assert np.all(np.abs(muk - mu) <= 2 * tm), np.max(np.abs(muk - mu) / tm)
    assert to_weights(model).baseline.same_as(w.baseline)
    members = [fcc_with_baseline(s) for s in (4, 6, 7)]
    mean = Committee(members).mean_network()
    assert mean.baseline.same_as(w.baseline)
    want = np.mean([m.evaluate(eta, 1)[1] for m in members], axis=0)
    assert np.abs(mean.evaluate(eta, 1)[1] - want).max() <= 1e-12 * (1 + np.abs(want).max())
    members[1].baseline = IdealMixing.from_order_parameter_map(2.0, Q_FCC)
    with pytest.raises(ValueError, match="baseline"):
        Committee(members).mean_network()


def test_exported_json_as_phase_field_ufl_equals_numpy_and_keras(tmp_path):
    """The exported file read by the phase field (``free_energy: {kind: idnn}``: NetworkFreeEnergy),
    its UFL g and dg/deta compiled and evaluated in cells, against numpy and the Keras twin: within
    the sum of the evaluators' round-off bounds (UFL's ln, sums and products are the same operations
    in C)."""
    pytest.importorskip("dolfinx_solver")  # the wheel that supplies DOLFINx: loaded first
    import pf_app.phasefield  # noqa: F401  (imports dolfinx_solver before DOLFINx)
    import ufl
    from dolfinx import fem, mesh as dmesh
    from mpi4py import MPI

    from pf_app.freeenergy.base import FreeEnergyConfig, build_free_energy
    from pf_app.idnn.weights import load

    w = fcc_with_baseline(8)
    w.save(tmp_path / "fcc.idnn.json")
    fe = build_free_energy(FreeEnergyConfig(kind="idnn", path=tmp_path / "fcc.idnn.json"), ("x", "e1", "e2", "e3"))
    domain = dmesh.create_unit_square(MPI.COMM_SELF, 8, 8)
    V0 = fem.functionspace(domain, ("DG", 0))
    n = V0.dofmap.index_map.size_local
    eta = _fcc_fractions(n, 9) @ Q_FCC.T
    fields = [fem.Function(V0) for _ in range(4)]
    for f, col in zip(fields, eta.T):
        f.x.array[:] = col
    expr = fem.Expression(ufl.as_vector([fe.ufl(fields), *fe.ufl_gradient(fields)]), np.array([[1 / 3, 1 / 3]]))
    got = expr.eval(domain, np.arange(n, dtype=np.int32)).reshape(n, 5)
    g, mu = load(tmp_path / "fcc.idnn.json").evaluate(eta, 1)
    tg, tm = _bounds(w, eta)
    assert np.all(np.abs(got[:, 0] - g) <= 2 * tg), np.max(np.abs(got[:, 0] - g) / tg)
    assert np.all(np.abs(got[:, 1:] - mu) <= 2 * tm), np.max(np.abs(got[:, 1:] - mu) / tm)
    assert np.abs(w.baseline.evaluate(eta, 0)).min() > 0.1  # the baseline is a visible part of g here
    pytest.importorskip("tensorflow")
    from pf_app.idnn.model import from_weights

    gk, muk = (t.numpy() for t in from_weights(w).value_and_gradient(eta))
    assert np.all(np.abs(got[:, 0] - gk) <= 2 * tg) and np.all(np.abs(got[:, 1:] - muk) <= 2 * tm)


# ---- (c) the cubic symmetry survives ------------------------------------------------------------

@pytest.mark.parametrize("activation", ["softplus", "tanh"])
def test_fcc_idnn_with_baseline_is_symmetric_under_the_24_operations(activation):
    """g(R eta) = g(eta), mu(R eta) = R mu(eta) for the 24 operations, within the round-off bounds
    (the cubic-invariants test's pattern, with the baseline's bound added); g_ideal alone too."""
    w = fcc_with_baseline(11, activation)
    eta = _fcc_fractions(400, 2) @ Q_FCC.T
    assert_symmetric_under_the_24_operations(w, eta, _bounds)
    for r3 in cubic_group():
        er = eta @ _on_eta(r3).T
        bg, _ = baseline_rounding(w.baseline, eta)
        bg_r, _ = baseline_rounding(w.baseline, er)
        assert np.all(np.abs(w.baseline.evaluate(er, 0) - w.baseline.evaluate(eta, 0)) <= bg + bg_r)


# ---- (d) what it is for -------------------------------------------------------------------------

KT_SYNTH = 1.0


def _truth_b2(x, order=1):
    """g = g_ideal(kT = 1, B2 sublattices) + the Landau polynomial landau_b2 (energy per site)."""
    from pf_app.idnn.synthetic import landau_b2

    b = IdealMixing.from_order_parameter_map(KT_SYNTH, B2_MAP.Q)
    return tuple(a + c for a, c in zip(b.evaluate(x, order), landau_b2(x, order)))


def _b2_points(n: int, seed: int) -> np.ndarray:
    """(c, eta) of sublattice fractions uniform in [0.02, 0.98]^2 (the loop's margin)."""
    return B2_MAP.eta(0.02 + 0.96 * np.random.default_rng(seed).random((n, 2)))


def test_baseline_recovers_mu_of_ideal_mixing_plus_polynomial_far_better(tmp_path):
    """Exact derivative data of g = g_ideal + landau_b2 (kT = 1, 1,500 points with sublattice fractions
    in [0.02, 0.98]: mu_c spans -4.9 .. +5.1, mu_eta -3.6 .. +3.7, mostly from kT ln x near the
    margin): the same 2 x 12 softplus network and recipe (30 Adam epochs, 300 L-BFGS iterations,
    seed 0), with and without ``model.baseline: ideal_mixing``.  Held-out MSE of mu (sum over c, eta)
    at 2,000 other points, measured 2026-12-02: 6.4e-4 without, 4.3e-6 with the baseline (148 x
    better).  Asserted with margin ~5 x: below 2e-5 with it, and at least 30 x better."""
    pytest.importorskip("tensorflow")
    from pf_app import mu_table
    from pf_app.config import build
    from pf_app.idnn.config import IDNNConfig
    from pf_app.idnn.synthetic import derivative_table
    from pf_app.idnn.train import train

    path = tmp_path / "mu.csv"
    mu_table.write(derivative_table(_truth_b2, _b2_points(1500, 0), temperature=KT_SYNTH), path)
    held = _b2_points(2000, 1)
    _, mu_true = _truth_b2(held, 1)
    mse = {}
    for baseline in ("none", "ideal_mixing"):
        cfg = build(IDNNConfig, {"data": {"path": str(path)}, "model": {"hidden": [12, 12], "baseline": baseline},
                                 "training": {"epochs": 30, "batch_size": 64, "lbfgs_iterations": 300, "threads": 1},
                                 "output": {"directory": str(tmp_path), "name": baseline}})
        w = train(cfg, progress=False).weights
        assert (w.baseline is None) == (baseline == "none")
        mse[baseline] = float(((w.evaluate(held, 1)[1] - mu_true) ** 2).mean(axis=0).sum())
    print("held-out MSE of mu:", mse)
    assert mse["ideal_mixing"] < 2e-5 and mse["ideal_mixing"] * 30 < mse["none"], mse


def test_baseline_config_errors_are_one_line_and_name_the_key(tmp_path):
    from pf_app import mu_table
    from pf_app.config import ConfigError, build
    from pf_app.idnn.config import IDNNConfig
    from pf_app.idnn.synthetic import derivative_table, landau_b2, landau_l12

    def cfg(path, **model):
        return build(IDNNConfig, {"data": {"path": str(path)}, "model": model, "training": {"threads": 1},
                                  "output": {"directory": str(tmp_path)}})

    with pytest.raises(ConfigError, match=r"model\.baseline: expected one of"):
        cfg("x.csv", baseline="ideal")
    with pytest.raises(ConfigError, match=r"model\.baseline_Q: expected null unless baseline is 'ideal_mixing'"):
        cfg("x.csv", baseline_Q=[[1.0]])
    with pytest.raises(ConfigError, match=r"model\.baseline_Q: expected a square invertible matrix"):
        cfg("x.csv", baseline="ideal_mixing", baseline_Q=[[1.0, 1.0], [1.0, 1.0]])
    pytest.importorskip("tensorflow")
    from pf_app.idnn.train import train

    fcc = tmp_path / "fcc.csv"
    mu_table.write(derivative_table(landau_l12, _fcc_fractions(50, 1) @ Q_FCC.T, landau_l12.order_parameters), fcc)
    with pytest.raises(ConfigError, match=r"model\.baseline_Q: expected the map eta = Q x .* \(null only for B2"):
        train(cfg(fcc, baseline="ideal_mixing"), write=False)
    with pytest.raises(ConfigError, match=r"model\.baseline_Q: expected a 4 x 4 matrix"):
        train(cfg(fcc, baseline="ideal_mixing", baseline_Q=[[1.0, 1.0], [1.0, -1.0]]), write=False)
    b2 = tmp_path / "b2.csv"
    x = _b2_points(50, 2)
    x[7] = B2_MAP.eta([1.0, 0.5])  # a fully occupied sublattice: ln 0
    mu_table.write(derivative_table(landau_b2, x), b2)
    with pytest.raises(ConfigError, match=r"model\.baseline: expected for ideal_mixing, data whose sublattice .* "
                                          r"got '1 rows of .*b2.csv outside"):
        train(cfg(b2, baseline="ideal_mixing"), write=False)
