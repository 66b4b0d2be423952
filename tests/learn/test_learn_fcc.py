"""The active-learning loop with four order parameters: exact derivative data of the cubic-symmetric
Landau polynomial :func:`pf_app.idnn.synthetic.landau_l12` (FCC map x, eta1, eta2, eta3; L1_2 wells at
eta = 0.2 (1, 1, 1), g = -0.01 below the disordered state at x = 1/4), IDNNs on the ``cubic``
invariants.  Budget: 2 rounds, 208 points, 2 members of 2 x 12 units.

Measured with these settings (2026-12-02): held-out MSE of mu 1.5e-4 (round 0: 1.2e-3), the L1_2 well
at t = 0.2045 after round 1 (0.2178 after round 0), the committee's spread at the points it asked
for 0.082 -> 0.0057.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from pf_app.idnn.synthetic import landau_l12
from pf_app.learn.committee import Committee
from pf_app.learn.config import load_learn_config

pytest.importorskip("tensorflow")

from pf_app.idnn.weights import load  # noqa: E402
from pf_app.learn.loop import run_loop  # noqa: E402

NAMES = ["x", "eta1", "eta2", "eta3"]
# RMS error 0.017 per site against |mu_x| up to 2.6 and |mu_eta| up to ~1 (0.7 %): 2 x the measured value
VAL_TARGET = 3e-4
WELL_TOLERANCE = 0.05  # relative, of the L1_2 well position t = 0.2 (measured 2.3 %)

SETTINGS = {
    "oracle": {"kind": "exact", "free_energy": "landau_l12", "held_out": 1000},
    "order_parameters": {"Q": [[1, 1, 1, 1], [1, 1, -1, -1], [1, -1, -1, 1], [1, -1, 1, -1]], "scale": 0.25,
                         "names": NAMES},
    "train": {"data": {"validation_fraction": 0.2},
              "model": {"hidden": [12, 12], "features": "cubic"},
              "scaling": {"labels": "per_component"},
              "training": {"epochs": 40, "batch_size": 32, "lbfgs_iterations": 300, "threads": 1, "seed": 0}},
    "points": {"initial": 128, "sobol": 16, "error": 16, "committee": 32, "wells": 16, "candidates": 1024},
    "committee": {"members": 2},
    "stop": {"val_mse": 1e-9, "max_points": 1000, "max_rounds": 2},  # run both rounds
}


def _rms(std: np.ndarray) -> float:
    """RMS over points of the committee's spread sqrt(sum_k std mu_k^2)."""
    return float(np.sqrt((std ** 2).sum(axis=1).mean()))


@pytest.mark.slow
def test_loop_recovers_a_cubic_landau_free_energy_of_four_order_parameters(tmp_path):
    """Held-out MSE of mu below VAL_TARGET; the L1_2 well on the line eta = t (1, 1, 1) at x = 1/4
    within WELL_TOLERANCE of t = 0.2 and below the disordered state (the sign of g_ordered -
    g_disordered); the committee's spread at the points it asked for in round 1 at least 3 x smaller
    after training on them."""
    path = tmp_path / "fcc.yaml"
    path.write_text(yaml.safe_dump({**SETTINGS, "output": {"directory": str(tmp_path / "out"), "name": "l12"}}))
    summary = run_loop(load_learn_config(path), path, progress=False)
    assert summary["rounds"] == 2 and summary["points"] == 128 + 80
    assert summary["validation_mse"] < VAL_TARGET, summary["validation_mse"]

    model = load(tmp_path / "out" / "l12.idnn.json")
    t = np.linspace(0.0, 0.23, 2301)
    line = np.column_stack([np.full_like(t, 0.25), t, t, t])
    g = model.evaluate(line, 0)
    well = t[np.argmin(g)]
    assert abs(well - 0.2) <= WELL_TOLERANCE * 0.2, well
    assert g.min() - g[0] < 0 and (landau_l12(line, 0).min() - landau_l12(line[:1], 0)[0]) < 0

    r1 = tmp_path / "out" / "rounds" / "r001"
    header, *rows = [text.split(",") for text in (r1 / "points.csv").read_text().splitlines()]
    col = {name: i for i, name in enumerate(header)}
    asked = [r for r in rows if r[col["reason"]] == "committee"]
    x = np.array([[float(r[col[f"target_{n}"]]) for n in NAMES] for r in asked])
    before = np.array([[float(r[col[f"std_mu_{n}"]]) for n in NAMES] for r in asked])  # round 0's committee
    after = Committee([load(r1 / "models" / f"member{k}.idnn.json") for k in range(2)]).predict(x).mu_std
    assert _rms(after) < _rms(before) / 3, (_rms(before), _rms(after))
