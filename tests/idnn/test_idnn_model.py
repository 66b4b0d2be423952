"""The Keras IDNN against the numpy evaluator and the JSON format; invariants; exact symmetry."""

from __future__ import annotations

import numpy as np
import pytest

from pf_app.formula import Formula
from pf_app.idnn import weights as idnn_weights
from pf_app.idnn.invariants import default_invariants, format_invariant, parse_invariant

tf = pytest.importorskip("tensorflow")

from pf_app.idnn.model import build_idnn, from_weights, to_weights  # noqa: E402
from pf_app.idnn.train import configure_tensorflow  # noqa: E402

OPS3 = ("c", "eta1", "eta2")
INV3 = ("c", "eta1^2 + eta2^2", "eta1^2*eta2^2")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    configure_tensorflow(1, 0)


def test_invariant_parser_round_trip_and_errors():
    terms = parse_invariant("2*c*eta1**2 - 0.5*eta2^4 + eta1^2 - eta1^2", OPS3)
    assert terms == [(2.0, (1, 2, 0)), (-0.5, (0, 0, 4))]
    assert parse_invariant(format_invariant(terms, OPS3), OPS3) == terms
    assert default_invariants(("c", "eta")) == ("c", "eta^2")
    # one parser for all formulas (pf_app.formula); the invariant must be a polynomial
    assert parse_invariant("(c + eta1)^2/2", OPS3) == [(0.5, (2, 0, 0)), (1.0, (1, 1, 0)), (0.5, (0, 2, 0))]
    text = "2*c*eta1^2 - 0.5*eta2**4 + (c - eta2)^3/4"
    x = np.random.default_rng(0).uniform(-1, 1, (20, 3))
    expanded = sum(coef * np.prod(x ** np.array(p), axis=1) for coef, p in parse_invariant(text, OPS3))
    # same polynomial, summed in another order: agreement to a few ulps of the terms (|term| <= 2)
    np.testing.assert_allclose(expanded, Formula.from_text(text, OPS3).numpy(x, 0), rtol=0, atol=1e-14)
    for bad, why in (("x", "unknown name 'x'"), ("eta1^", "does not parse"), ("3", "constant"),
                     ("c +", "does not parse"), ("c c", "does not parse"), ("exp(c)", "exp.. is not allowed"),
                     ("c^0.5", "integer powers"), ("c/eta1", "divides only by a non-zero number")):
        with pytest.raises(ValueError, match=why):
            parse_invariant(bad, OPS3)


def _random_idnn(seed=3):
    terms = [parse_invariant(t, OPS3) for t in INV3]
    model = build_idnn(OPS3, terms, (7, 5), "tanh", [0.5, 0.1, 0.01], [0.3, 0.2, 0.05], output_scale=0.7)
    rng = np.random.default_rng(seed)
    for layer in model.dense:
        layer.set_weights([rng.normal(size=w.shape) for w in layer.get_weights()])
    return model


def test_tf_json_tf_numpy_round_trip(tmp_path):
    """TF -> JSON -> TF is bit-identical; numpy agrees with TF to round-off (1e-13 relative)."""
    model = _random_idnn()
    x = np.random.default_rng(0).uniform([0.1, -0.4, -0.4], [1.3, 0.4, 0.4], (300, 3))
    g, grad = (t.numpy() for t in model.value_and_gradient(x))
    to_weights(model, "eV").save(tmp_path / "m.idnn.json")
    loaded = idnn_weights.load(tmp_path / "m.idnn.json")
    g2, grad2 = (t.numpy() for t in from_weights(loaded).value_and_gradient(x))
    np.testing.assert_array_equal(g2, g)
    np.testing.assert_array_equal(grad2, grad)
    gn, gradn = loaded.evaluate(x, 1)
    np.testing.assert_allclose(gn, g, rtol=1e-13, atol=1e-13 * np.abs(g).max())
    np.testing.assert_allclose(gradn, grad, rtol=1e-12, atol=1e-13 * np.abs(grad).max())


def test_published_idnn_in_keras_matches_numpy(published_idnn_dir, network_rounding):
    """Keras (possibly oneDNN-reordered sums) and numpy agree within twice the rounding bound of one
    evaluation (tests/conftest.py: fan-ins x eps x the terms in absolute value), point by point."""
    from pf_app.idnn.mechanochem import load_mechanochem

    w = load_mechanochem(published_idnn_dir)
    x = np.random.default_rng(1).uniform([0.05, -0.5], [1.35, 0.5], (500, 2))
    g, grad = (t.numpy() for t in from_weights(w).value_and_gradient(x))
    gn, gradn = w.evaluate(x, 1)
    eps = network_rounding.eps_factor(w)
    assert np.all(np.abs(g - gn) <= 2 * eps * network_rounding.value_terms(w, x))
    assert np.all(np.abs(grad - gradn) <= 2 * eps * network_rounding.gradient_terms(w, x))


def test_symmetry_is_exact_in_tf_and_numpy():
    """Invariant inputs make g even in each eta_i and symmetric under eta1 <-> eta2, bit for bit."""
    model = _random_idnn()
    w = to_weights(model)
    x = np.random.default_rng(2).uniform([0.1, -0.4, -0.4], [1.3, 0.4, 0.4], (200, 3))
    images = [x * [1, -1, 1], x * [1, 1, -1], x[:, [0, 2, 1]]]
    g, grad = (t.numpy() for t in model.value_and_gradient(x))
    gn, gradn = w.evaluate(x, 1)
    for y in images:
        np.testing.assert_array_equal(model(y).numpy(), g)
        np.testing.assert_array_equal(w.evaluate(y, 0), gn)
    flipped = model.value_and_gradient(x * [1, -1, 1])[1].numpy()
    np.testing.assert_array_equal(flipped[:, 1], -grad[:, 1])
    np.testing.assert_array_equal(w.evaluate(x * [1, -1, 1], 1)[1][:, 1], -gradn[:, 1])
    zero = x.copy()
    zero[:, 1] = 0.0
    assert np.all(model.value_and_gradient(zero)[1].numpy()[:, 1] == 0.0)
