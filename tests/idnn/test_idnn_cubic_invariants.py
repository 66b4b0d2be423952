"""The named invariant set ``cubic`` (FCC, four order parameters x, eta1, eta2, eta3): an IDNN on it is
symmetric under the 24 sublattice permutations of the cubic cell, which act on (eta1, eta2, eta3) as
the permutations times the sign changes of pairs, to round-off; a single sign change is not a symmetry
(eta1 eta2 eta3 changes sign: the L1_2 variants of x = 1/4 become those of x = 3/4).

Tolerance (no tuning): both evaluations are fixed float64 operation sequences on inputs whose exact
invariants are equal.  By the forward error bound (Higham, Accuracy and Stability of Numerical
Algorithms, ch. 3) each result is within gamma_N = N u / (1 - N u) (u = 2^-53) of the exact value
times its *magnitude*: the same network evaluated with every input, coefficient, weight and bias
replaced by its absolute value (tanh by the identity, which bounds it; softplus kept, it is monotone
and >= |s|).  N counts the roundings along the longest chain: per invariant (degree + terms + 4:
products, coefficient, sums, shift, scale), per layer (inputs + 1 for the dot product and bias, 4
for the activation, a few ulps), 2 for the output scale and offset.  mu's forward-mode chain repeats
every product and adds the activation derivative's input error (|f''| <= 1 times the error of s),
so N_mu = 2 N (1 + s_max) with s_max the largest pre-activation magnitude.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pf_app.idnn.invariants import INVARIANT_SETS, invariant_texts, parse_invariant
from pf_app.idnn.weights import IDNNWeights, Layer

NAMES = ("x", "eta1", "eta2", "eta3")
Q_FCC = np.array([[1, 1, 1, 1], [1, 1, -1, -1], [1, -1, -1, 1], [1, -1, 1, -1]]) / 4  # FCC_MAP's eta = Q x
U = np.finfo(float).eps / 2  # float64 unit roundoff


def cubic_group() -> list[np.ndarray]:
    """The 24 matrices on (eta1, eta2, eta3): permutations times sign changes of pairs."""
    signs = [np.diag(s) for s in ((1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1))]
    perms = [np.eye(3)[list(p)] for p in itertools.permutations(range(3))]
    return [s @ p for s in signs for p in perms]


def _on_eta(r3: np.ndarray) -> np.ndarray:
    """The 4 x 4 action (composition unchanged)."""
    r = np.eye(4)
    r[1:, 1:] = r3
    return r


def random_cubic_idnn(seed: int, activation: str) -> IDNNWeights:
    rng = np.random.default_rng(seed)
    features = [parse_invariant(t, NAMES) for t in invariant_texts("cubic", NAMES)]
    layers = [Layer(rng.normal(size=(4, 9)), rng.normal(size=9), activation),
              Layer(rng.normal(size=(9, 7)), rng.normal(size=7), activation),
              Layer(rng.normal(size=(7, 1)), None, "linear")]
    return IDNNWeights(NAMES, features, layers, rng.normal(scale=0.05, size=4), rng.uniform(0.01, 0.1, 4),
                       float(rng.uniform(0.01, 0.1)), float(rng.normal()))


def rounding_bounds(w: IDNNWeights, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on the rounding error of g (n,) and mu (n, d) at x (the module docstring's argument)."""
    absolute = IDNNWeights(w.order_parameters, [[(abs(c), p) for c, p in f] for f in w.features],
                           [Layer(np.abs(l.weights), None if l.bias is None else np.abs(l.bias),
                                  {"tanh": "linear"}.get(l.activation, l.activation)) for l in w.layers],
                           -np.abs(w.feature_shift), np.abs(w.feature_scale), abs(w.output_scale),
                           abs(w.output_offset))
    g_mag, mu_mag = absolute.evaluate(np.abs(x), 1)
    n_feature = max(max(sum(p) for _, p in f) + len(f) + 4 for f in w.features)
    n = n_feature + sum(l.weights.shape[0] + 1 + 4 for l in w.layers) + 2
    a, s_max = absolute.features_and_derivatives(np.abs(x))[0], 0.0  # pre-activations bound |s| of w
    for layer in absolute.layers[:-1]:
        s = a @ layer.weights + layer.bias
        s_max, a = max(s_max, float(s.max())), s if layer.activation == "linear" else np.logaddexp(0.0, s)
    n_mu = 2 * n * (1 + s_max)

    def gamma(k):
        return k * U / (1 - k * U)

    return gamma(n) * g_mag, gamma(n_mu) * mu_mag


def _points(n: int, seed: int) -> np.ndarray:
    """Order parameters of random sublattice fractions x in [0, 1]^4."""
    return np.random.default_rng(seed).random((n, 4)) @ Q_FCC.T


def test_cubic_group_is_the_sublattice_permutations_acting_on_eta():
    """Each of the 24 sublattice permutations P maps eta = Q x to Q P Q^-1 eta, one of the 24 matrices,
    and every one of them arises (the group that maps the L1_2 variants onto each other)."""
    q_inv = np.linalg.inv(Q_FCC)
    actions = []
    for p in itertools.permutations(range(4)):
        r = Q_FCC @ np.eye(4)[list(p)] @ q_inv
        assert np.allclose(r[0], [1, 0, 0, 0]) and np.allclose(r[:, 0], [1, 0, 0, 0])
        actions.append(np.round(r[1:, 1:]).astype(int))
    group = {tuple(g.astype(int).ravel()) for g in cubic_group()}
    assert {tuple(a.ravel()) for a in actions} == group and len(group) == 24


def assert_symmetric_under_the_24_operations(w, x: np.ndarray, bounds) -> tuple[np.ndarray, np.ndarray]:
    """g(R x) = g(x) and mu(R x) = R mu(x) for the 24 operations R, each within the sum of the
    rounding bounds ``bounds(w, points) -> (of g, of mu)`` at both points (mu's carried through R).
    Returns g(x) and its bound."""
    g, mu = w.evaluate(x, 1)
    tol_g, tol_mu = bounds(w, x)
    for r3 in cubic_group():
        r = _on_eta(r3)
        xr = x @ r.T
        g_r, mu_r = w.evaluate(xr, 1)
        tg, tm = bounds(w, xr)
        assert np.all(np.abs(g_r - g) <= tol_g + tg), np.max(np.abs(g_r - g) / (tol_g + tg))
        # g(R eta) = g(eta) for orthogonal R  =>  mu(R eta) = R mu(eta)
        assert np.all(np.abs(mu_r - mu @ r.T) <= tol_mu + tm + np.abs(tol_mu @ np.abs(r.T))), \
            np.max(np.abs(mu_r - mu @ r.T) / (tol_mu + tm))
    return g, tol_g


@pytest.mark.parametrize("activation", ["softplus", "tanh"])
def test_cubic_idnn_is_symmetric_under_the_24_operations_and_not_under_one_sign_flip(activation):
    w = random_cubic_idnn(11, activation)
    x = _points(400, 2)
    g, tol_g = assert_symmetric_under_the_24_operations(w, x, rounding_bounds)
    flip = _on_eta(np.diag([-1.0, 1.0, 1.0]))  # eta1 -> -eta1 alone: the product invariant changes sign
    g_f = w.evaluate(x @ flip.T, 0)
    tg_f, _ = rounding_bounds(w, x @ flip.T)
    broken = np.abs(g_f - g) > 1e6 * (tol_g + tg_f)
    assert broken.mean() > 0.95, broken.mean()  # a generic network sees the sign of eta1 eta2 eta3


def test_keras_twin_of_a_cubic_idnn_is_symmetric_too():
    """The trainer's float64 Keras model (same invariants, TensorFlow's own summation order) obeys the
    same bound."""
    pytest.importorskip("tensorflow")
    from pf_app.idnn.model import from_weights

    w = random_cubic_idnn(5, "softplus")
    model = from_weights(w)
    x = _points(100, 4)
    g, mu = (t.numpy() for t in model.value_and_gradient(x))
    tol_g, tol_mu = rounding_bounds(w, x)
    for r3 in cubic_group():
        r = _on_eta(r3)
        g_r, mu_r = (t.numpy() for t in model.value_and_gradient(x @ r.T))
        tg, tm = rounding_bounds(w, x @ r.T)
        assert np.all(np.abs(g_r - g) <= tol_g + tg)
        assert np.all(np.abs(mu_r - mu @ r.T) <= tol_mu + tm + np.abs(tol_mu @ np.abs(r.T)))


def test_invariant_sets_are_named_in_configs_and_checked():
    assert invariant_texts("cubic", ("c", "a", "b", "d")) == (
        "c", "a*b*d", "a^2 + b^2 + d^2", "a^2*b^2 + a^2*d^2 + b^2*d^2")
    assert invariant_texts("b2", ("c", "eta")) == invariant_texts(None, ("c", "eta")) == ("c", "eta^2")
    assert invariant_texts(["c", "eta^4"], ("c", "eta")) == ("c", "eta^4")
    with pytest.raises(ValueError, match="needs 4 order parameters"):
        invariant_texts("cubic", ("c", "eta"))
    with pytest.raises(ValueError, match="unknown invariant set"):
        invariant_texts("hexagonal", NAMES)
    assert set(INVARIANT_SETS) >= {"b2", "cubic"}
    from pf_app.config import ConfigError, build
    from pf_app.idnn.config import IDNNArchitectureConfig

    assert build(IDNNArchitectureConfig, {"features": "cubic"}).features == "cubic"
    with pytest.raises(ConfigError, match="model.features: expected a list of polynomials or an invariant set"):
        build(IDNNArchitectureConfig, {"features": "hexagonal"}, key="model")
