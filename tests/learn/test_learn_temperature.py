"""``pf_app learn`` with kT as a dimension of its domain (``temperature: {lo, hi}``): points (c, eta, kT),
answers at the asked-for kT, a committee of g(x; kT) networks, and a held-out error over the whole
(c, eta, kT) domain; the Monte Carlo oracle gives each target its own temperature."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from pf_app import mu_table
from pf_app.config import ConfigError
from pf_app.learn.config import load_learn_config
from pf_app.learn.sampling import b2_domain, choose, State

pytest.importorskip("tensorflow")

from pf_app.learn.loop import run_loop  # noqa: E402
from pf_app.idnn.weights import load  # noqa: E402

KT = (0.08, 0.16)  # around the mean-field kT_c = 0.148 of the synthetic free energy
SETTINGS = {
    "oracle": {"kind": "exact", "free_energy": "mean_field_b2", "held_out": 500},
    "temperature": {"lo": KT[0], "hi": KT[1]},
    "train": {"model": {"hidden": [10, 10], "baseline": "ideal_mixing"},
              "training": {"epochs": 40, "batch_size": 32, "lbfgs_iterations": 200, "threads": 1, "seed": 0}},
    "points": {"initial": 96, "sobol": 16, "error": 16, "committee": 16, "wells": 8, "candidates": 256},
    "committee": {"members": 2},
    "stop": {"val_mse": 1e-12, "max_points": 1000, "max_rounds": 2},
}


def _write(tmp_path, data, name="learn.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({**data, "output": {"directory": str(tmp_path / "out"), "name": "mf"}}))
    return path


def test_points_span_the_temperature_range_and_carry_their_kT(tmp_path):
    domain = b2_domain(0.02, KT)
    choice = choose(0, load_learn_config(_write(tmp_path, SETTINGS)).points, State(), domain)
    eta, kT = domain.split(choice.points)
    assert choice.points.shape == (96, 3) and eta.shape == (96, 2)
    assert KT[0] <= kT.min() < KT[0] + 0.01 and KT[1] - 0.01 < kT.max() <= KT[1]  # Sobol: 96 points cover it
    assert np.all(domain.map.in_domain(eta)) and np.all(eta[:, 1] >= 0)
    back = domain.from_fractions(domain.fractions(choice.points))
    np.testing.assert_allclose(back, choice.points, rtol=0, atol=1e-12)


def test_config_needs_a_temperature_range_exactly_for_a_temperature_dependent_free_energy(tmp_path):
    no_range = {k: v for k, v in SETTINGS.items() if k != "temperature"}
    with pytest.raises(ConfigError, match="temperature"):
        load_learn_config(_write(tmp_path, no_range))
    with pytest.raises(ConfigError, match="train.model.temperature_input"):
        load_learn_config(_write(tmp_path, {**SETTINGS, "train": {**SETTINGS["train"], "model": {
            **SETTINGS["train"]["model"], "temperature_input": False}}}))


@pytest.mark.slow
def test_loop_over_c_eta_kT_learns_a_temperature_dependent_g(tmp_path):
    """Two rounds on the Bragg-Williams g(c, eta; kT): the answers are at the asked-for kT, the
    exported committee mean takes kT, and its held-out MSE of mu over (c, eta, kT) is below 1e-5 eV^2
    (RMS 3 meV against mu_c spanning +-0.5 eV) and falls from round 0 to round 1."""
    path = _write(tmp_path, SETTINGS)
    summary = run_loop(load_learn_config(path), path, progress=False)
    out = tmp_path / "out"
    model = load(summary["model"])
    assert model.temperature is not None and model.temperature.range[0] >= KT[0] - 1e-12
    table = mu_table.read(out / "rounds" / "r001" / "table.csv")
    points = (out / "rounds" / "r001" / "points.csv").read_text().splitlines()
    header = points[0].split(",")
    asked = np.array([float(r.split(",")[header.index("kT")]) for r in points[1:]])
    np.testing.assert_array_equal(table.columns["kT"][-len(asked):], asked)
    lines = (out / "history.csv").read_text().splitlines()
    column = lines[0].split(",").index("held_out_mse")
    held = [float(line.split(",")[column]) for line in lines[1:]]
    assert held[-1] < 1e-5 and held[-1] < held[0], held


def test_monte_carlo_oracle_runs_each_target_at_its_own_kT(tmp_path):
    """The oracle's campaign gets umbrella.points.kT (and temperatures: null): one row per target, at
    the target's kT, with the loop's point ids and target columns."""
    from pf_app.learn.oracles import MonteCarloOracle

    template = {
        "lattice": {"cell": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "positions": [[0, 0, 0], [0.5, 0.5, 0.5]],
                    "species": [["A", "B"], ["A", "B"]]},
        "cluster_expansion": {"cutoffs": [1.5, 1.0], "ecis": {"pairs": [0.02]}, "energy_unit": "eV"},
        "order_parameters": {"Q": [[1, 1], [1, -1]], "scale": 0.7071067811865476, "names": ["c", "eta"]},
        "supercell": [4, 4, 4], "temperatures": [0.09], "ensemble": "umbrella",
        "umbrella": {"phi": [0.06, 0.12], "guess": "ideal"},
        "sampling": {"se_target": 0.01, "min_sweeps": 40, "max_sweeps": 200, "chunk_sweeps": 40},
        "output": {"table": str(tmp_path / "unused.csv")}, "run": {"backend": "serial"},
    }
    (tmp_path / "campaign.yaml").write_text(yaml.safe_dump(template))
    domain = b2_domain(0.02, KT)
    targets = np.array([[0.7, 0.2, 0.085], [0.6, 0.1, 0.15]])
    oracle = MonteCarloOracle(tmp_path / "campaign.yaml", {}, False, domain)
    answers = oracle.answer(targets, 7, None, tmp_path / "oracle.csv", None)
    assert list(answers.columns["point_id"]) == [7, 8]
    np.testing.assert_array_equal(answers.columns["kT"], targets[:, 2])
    np.testing.assert_array_equal(np.column_stack([answers.columns["target_c"], answers.columns["target_eta"]]),
                                  targets[:, :2])
