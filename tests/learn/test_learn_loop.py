"""The active-learning loop on a known free energy (exact derivative data of the Landau polynomial
:func:`pf_app.idnn.synthetic.landau_b2`): it recovers g, its committee's spread shrinks where it adds
points, and a loop killed mid-round resumes without asking for any point twice.

One reference loop (2 rounds, 2 tiny IDNNs per round) is shared by the tests; the resume test starts
from a copy of its finished round 0 and is killed in round 1.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml

from pf_app import mu_table
from pf_app.idnn.synthetic import landau_b2
from pf_app.learn import oracles
from pf_app.learn.committee import Committee
from pf_app.learn.config import load_learn_config
from pf_app.learn.sampling import DUPLICATE_DISTANCE, b2_domain

pytest.importorskip("tensorflow")

from pf_app.learn.loop import _read_points, run_loop  # noqa: E402
from pf_app.idnn.weights import load  # noqa: E402

VAL_TARGET = 1e-4  # eV^2: held-out MSE of mu; RMS error 0.01 eV against mu_c spanning +-2.4 eV (0.4 %)

SETTINGS = {
    "oracle": {"kind": "exact", "free_energy": "landau_b2", "held_out": 1000},
    "train": {"data": {"validation_fraction": 0.2},
              "model": {"hidden": [8, 8], "features": ["c", "eta^2"]},
              "training": {"epochs": 30, "batch_size": 32, "lbfgs_iterations": 150, "threads": 1, "seed": 0}},
    "points": {"initial": 64, "sobol": 16, "error": 16, "committee": 24, "wells": 8, "candidates": 512},
    "committee": {"members": 2},
    "stop": {"val_mse": 1e-9, "max_points": 1000, "max_rounds": 2},  # run both rounds
}


def _config(tmp_path, name, **stop):
    data = {**SETTINGS, "stop": {**SETTINGS["stop"], **stop}, "output": {"directory": str(tmp_path / name),
                                                                         "name": "landau"}}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("learn")
    path = _config(tmp, "ref")
    summary = run_loop(load_learn_config(path), path, progress=False)
    return tmp / "ref", summary


def _members(round_dir, k=2):
    return Committee([load(round_dir / "models" / f"member{i}.idnn.json") for i in range(k)])


def test_loop_recovers_the_landau_free_energy(reference):
    """Held-out MSE of mu below VAL_TARGET, and g (up to a constant) within what that mu error allows.

    On the convex triangle a gradient error e(x) = grad(g - g_true) changes g - g_true by at most
    diameter x max|e| between any two points; the check uses the largest error seen on 4,000 points."""
    out, summary = reference
    assert summary["rounds"] == 2 and summary["points"] == 2 * 64
    model = load(out / "landau.idnn.json")
    x = b2_domain(0.02).from_unit(np.random.default_rng(7).random((4000, 2)))
    g, mu = model.evaluate(x, 1)
    g_true, mu_true = landau_b2(x, 1)
    mse = ((mu - mu_true) ** 2).mean(axis=0).sum()
    assert mse < VAL_TARGET, mse
    dg = g - g_true
    diameter = math.sqrt(2.0) * (1 - 2 * 0.02)  # the hypotenuse; (c, eta) is (x1, x2) rotated by 45 degrees
    assert np.ptp(dg) <= diameter * np.linalg.norm(mu - mu_true, axis=1).max()
    # the wells of g(1/sqrt2, eta) at eta = +-sqrt(0.2) (where -1.6 eta + 8 eta^3 = 0)
    eta = np.linspace(0.0, 0.65, 651)
    well = eta[np.argmin(model.evaluate(np.column_stack([np.full_like(eta, 1 / math.sqrt(2)), eta]), 0))]
    assert abs(well - math.sqrt(0.2)) < 0.01, well  # 2 % of the well position for < 0.4 % errors in mu


def test_committee_spread_shrinks_where_points_are_added(tmp_path):
    """Two members trained on exact data with c < 0.9 disagree far more on c > 0.9 (where they
    extrapolate) than where they have data; after 60 points are added on c > 0.9 they agree there."""
    from pf_app.learn import adapters

    domain = b2_domain(0.02)
    x = domain.from_unit(np.random.default_rng(3).random((2000, 2)))  # ~26 % of them at c >= 0.9
    data, gap = x[x[:, 0] < 0.9][:150], x[x[:, 0] >= 0.9]
    probe_gap, added = gap[:200], gap[200:260]
    assert len(added) == 60

    def committee(points, name):
        table = tmp_path / f"{name}.csv"
        mu_table.write(adapters.exact_table(landau_b2, points), table)
        return Committee([adapters.train_member(SETTINGS["train"], table, k, tmp_path / name, f"m{k}", False)
                          for k in range(2)])

    def spread(c, pts):
        return np.sqrt((c.predict(pts).mu_std ** 2).sum(axis=1).mean())

    before = committee(data, "before")
    after = committee(np.vstack([data, added]), "after")
    assert spread(before, probe_gap) > 3 * spread(before, data), (spread(before, probe_gap), spread(before, data))
    assert spread(after, probe_gap) < 0.3 * spread(before, probe_gap), (spread(before, probe_gap),
                                                                          spread(after, probe_gap))


def test_killed_loop_resumes_without_duplicated_points(reference, tmp_path, monkeypatch):
    """Kill in round 1 after 10 answers; the rerun asks only for the missing points, no two targets
    coincide (a round drops repeated targets, :func:`pf_app.learn.sampling.distinct`), and its table is
    the reference loop's table at the same round, row for row."""
    ref_out, _ = reference
    path = _config(tmp_path, "killed")
    shutil.copytree(ref_out / "rounds" / "r000", tmp_path / "killed" / "rounds" / "r000")  # a finished round
    answers = {"n": 64}
    real = oracles.adapters.exact_table

    def dying(free_energy, x):
        answers["n"] += 1
        if answers["n"] == 64 + 10 + 1:
            raise KeyboardInterrupt  # the kill, between two rows of round 1
        return real(free_energy, x)

    monkeypatch.setattr(oracles.adapters, "exact_table", dying)
    with pytest.raises(KeyboardInterrupt):
        run_loop(load_learn_config(path), path, progress=False)
    partial = mu_table.read(tmp_path / "killed" / "rounds" / "r001" / "oracle.csv")
    assert len(partial) == 10
    monkeypatch.setattr(oracles.adapters, "exact_table", real)
    asked = {"n": 0}

    def counting(free_energy, x):
        asked["n"] += 1
        return real(free_energy, x)

    monkeypatch.setattr(oracles.adapters, "exact_table", counting)
    summary = run_loop(load_learn_config(path), path, progress=False)
    assert asked["n"] == 64 - 10  # only round 1's missing points
    table = mu_table.read(tmp_path / "killed" / "rounds" / "r001" / "table.csv")
    ids = table.columns["point_id"]
    assert len(np.unique(ids)) == len(ids) == summary["points"] == 128
    # no two targets of the loop on one point, not even round-off apart (sampling.DUPLICATE_DISTANCE)
    f = b2_domain(0.02).fractions(np.column_stack([table.columns["target_c"], table.columns["target_eta"]]))
    d2 = ((f[:, None, :] - f[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(d2, np.inf)
    assert np.sqrt(d2.min()) > DUPLICATE_DISTANCE
    # the killed run chose the reference's round-1 points, with the same reasons, and its table is the
    # reference's, row for row (the round-0 models are read back exactly: JSON floats round-trip)
    killed_points, ref_points = (_read_points(out / "rounds" / "r001" / "points.csv", b2_domain(0.02))
                                 for out in (tmp_path / "killed", ref_out))
    assert np.array_equal(killed_points.points, ref_points.points) and killed_points.reasons == ref_points.reasons
    ref = mu_table.read(ref_out / "rounds" / "r001" / "table.csv")
    for name in ("point_id", "target_c", "target_eta", "c", "eta", "mu_c", "mu_eta"):
        assert np.array_equal(table.columns[name], ref.columns[name]), name


def test_bad_config_is_one_line_and_leaves_no_output(tmp_path):
    path = _config(tmp_path, "bad")
    data = yaml.safe_load(path.read_text())
    data["points"]["initial"] = 0
    path.write_text(yaml.safe_dump(data))
    run = subprocess.run([sys.executable, "-m", "pf_app", "learn", str(path)], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1].startswith(f"error: {path}: points.initial: expected a number >= 1")
    assert not (tmp_path / "bad").exists()
    data["points"]["initial"] = 10
    data["train"]["output"] = {"directory": "x"}
    path.write_text(yaml.safe_dump(data))
    run = subprocess.run([sys.executable, "-m", "pf_app", "learn", str(path)], capture_output=True, text=True)
    assert run.returncode == 2 and "train.output" in run.stderr
