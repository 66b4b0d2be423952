"""The committee's exported mean network, the pool oracle and the point choice (no TensorFlow)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pf_app import mu_table
from pf_app.idnn.weights import IDNNWeights, Layer, from_json
from pf_app.learn.committee import Committee
from pf_app.learn.oracles import PoolOracle
from pf_app.learn.sampling import b2_domain, far_from, sobol_block, spread_pick


def _random_idnn(seed: int) -> IDNNWeights:
    """A softplus 2 x 6 IDNN on (c, eta^2) with its own input standardization and output scale."""
    rng = np.random.default_rng(seed)
    layers = [Layer(rng.normal(size=(2, 6)), rng.normal(size=6), "softplus"),
              Layer(rng.normal(size=(6, 6)), rng.normal(size=6), "softplus"),
              Layer(rng.normal(size=(6, 1)), None, "linear")]
    return IDNNWeights(("c", "eta"), IDNNWeights.b2_features(), layers, rng.normal(size=2), rng.uniform(0.2, 2.0, 2),
                       float(rng.uniform(0.01, 0.1)), float(rng.normal()))


def test_exported_mean_network_is_the_committee_mean_to_round_off():
    """One block-diagonal network gives the members' mean g, gradient and Hessian.

    Tolerance 1e-12 relative: float64 sums of ~20 terms per unit, reordered (folded standardization)."""
    committee = Committee([_random_idnn(s) for s in range(4)])
    mean = committee.mean_network()
    x = b2_domain(0.02).from_unit(np.random.default_rng(5).random((200, 2)))
    g, grad, hess = mean.evaluate(x, 2)
    parts = [m.evaluate(x, 2) for m in committee.members]
    for k, got in enumerate((g, grad, hess)):
        want = np.mean([p[k] for p in parts], axis=0)
        assert np.abs(got - want).max() <= 1e-12 * (1 + np.abs(want).max())
    assert len(mean.layers[0].weights[0]) == 4 * 6  # K times wider
    again = from_json(mean.to_json(), "mean.idnn.json")  # an ordinary pf_app.idnn document
    assert np.array_equal(again.evaluate(x, 0), g)
    # closest_member export: the member nearest the mean, unchanged
    i = committee.closest_member(x)
    assert np.array_equal(committee.export("closest_member", x).evaluate(x, 0), committee.members[i].evaluate(x, 0))


def test_sobol_blocks_continue_one_sequence():
    """Round r's global points are the next block of the same sequence: no point is drawn twice."""
    whole = sobol_block(3, 0, 64)
    assert np.array_equal(np.vstack([sobol_block(3, 0, 16), sobol_block(3, 16, 48)]), whole)


def test_spread_pick_keeps_points_apart_and_far_from_failures():
    rng = np.random.default_rng(0)
    f = rng.random((500, 2))
    idx = spread_pick(f, rng.random(500), 30, 0.05)
    d = np.linalg.norm(f[idx][:, None] - f[idx][None], axis=2) + np.eye(len(idx))
    assert len(idx) == 30 and d.min() >= 0.05
    mask = far_from(f, np.array([[0.5, 0.5]]), 0.2)
    assert np.all(np.linalg.norm(f[mask] - 0.5, axis=1) > 0.2) and not mask.all()


def _pool_files(tmp_path, n=300):
    rng = np.random.default_rng(1)
    x = b2_domain(0.02).from_unit(rng.random((n, 2)))
    cols = {"kT": np.full(n, 0.09), "c": x[:, 0], "eta": x[:, 1], "mu_c": x[:, 0] - 1 / math.sqrt(2),
            "mu_eta": -x[:, 1], "point_id": np.arange(n) % 7, "flag_split": (x[:, 1] < 0.1).astype(float)}
    mu_table.write(mu_table.MuTable(("c", "eta"), cols, {"energy_unit": "eV"}), tmp_path / "pool.csv")
    (tmp_path / "train.yaml").write_text("data: {path: pool.csv, validation_fraction: 0.25, "
                                         "exclude_flags: [flag_split]}\ntraining: {seed: 0}\n")
    return tmp_path / "pool.csv", tmp_path / "train.yaml"


def test_pool_oracle_never_gives_held_out_rows_nor_a_row_twice(tmp_path):
    table, train = _pool_files(tmp_path)
    oracle = PoolOracle(table, train, b2_domain(0.02))
    x_held, _ = oracle.held_out()
    held = {tuple(r) for r in x_held}
    targets = b2_domain(0.02).from_unit(np.random.default_rng(2).random((120, 2)))
    first = oracle.answer(targets[:60], 0, None, tmp_path / "r0.csv", None)
    second = oracle.answer(targets[60:], 60, None, tmp_path / "r1.csv", first)
    rows = np.concatenate([first.columns["source_row"], second.columns["source_row"]])
    assert len(set(rows)) == 120  # no pool row answered twice
    assert not held & {tuple(r) for r in np.vstack([first.x, second.x])}
    assert np.array_equal(second.columns["point_id"], 60 + np.arange(60))
    # the first answer is the nearest pool row to the first target (no row was used before it)
    pool = mu_table.read(table)
    dom = b2_domain(0.02)
    d = np.linalg.norm(dom.fractions(pool.x) - dom.fractions(targets[:1]), axis=1)
    d[[tuple(r) in held for r in pool.x]] = np.inf
    assert int(first.columns["source_row"][0]) == int(np.argmin(d))
    # answering again reads the saved round (resume) instead of drawing new rows
    again = oracle.answer(targets[60:], 60, None, tmp_path / "r1.csv", first)
    assert np.array_equal(again.columns["source_row"], second.columns["source_row"])


def test_pool_oracle_refuses_a_pool_without_the_held_out_rows(tmp_path):
    table, train = _pool_files(tmp_path)
    other = mu_table.read(table)
    mu_table.write(other.select(np.arange(len(other)) % 2 == 0), tmp_path / "half.csv")
    with pytest.raises(ValueError, match="held-out rows"):
        PoolOracle(tmp_path / "half.csv", train, b2_domain(0.02))
