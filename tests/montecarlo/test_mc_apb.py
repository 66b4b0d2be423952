"""The Monte Carlo antiphase boundary (pf_app.montecarlo.apb): the antiperiodic box against closed forms.

* energies: the perfect B2 state with one (100) APB costs 8 V_1 per a^2 (4 nearest-neighbour bonds per
  a^2 cross the plane, each from -V_1 to +V_1), in the antiperiodic box without it and in the periodic
  box with it; the kernel keeps energy and local fields of the twisted box exact over many flips;
* the free energy: on decoupled antiferromagnetic Ising chains along the APB normal (a tetragonal
  lattice whose only pairs lie along the first axis), an antiperiodic ring of N sites against a periodic
  one has the transfer-matrix result F_ap - F_p = -kT ln[(1 - t^N)/(1 + t^N)] per chain, t = tanh(V/kT);
  the beta integration of E_ap - E_p must reproduce it within 4 standard errors plus the trapezoidal
  rule's error (estimated by the rule on every other point).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from pf_app.montecarlo import kernels
from pf_app.montecarlo.apb import AntiperiodicTables, load_apb_config, ordered_state, run_apb
from pf_app.montecarlo.hamiltonian import ClusterTables
from pf_app.montecarlo.sampler import Ensemble, Sampler
from mc_models import b2_model

V1 = 0.02


def test_b2_apb_energy_is_8_v1_per_area_and_the_twisted_kernel_stays_exact():
    model = b2_model(pairs=(V1,), repeats=(8, 3, 3))
    periodic = ClusterTables(model.expansion, model.order_map, model.repeats)
    twisted = AntiperiodicTables(model)
    area = 3 * 3
    plain, with_apb = ordered_state(periodic, False), ordered_state(periodic, True)
    e_bulk = periodic.total_energy(plain)
    # periodic box with the half-box reversal: two APBs (middle and face); twisted: one
    assert periodic.total_energy(with_apb) - e_bulk == pytest.approx(2 * 8 * V1 * area, rel=1e-12)
    assert twisted.total_energy(with_apb) - e_bulk == pytest.approx(8 * V1 * area, rel=1e-12)
    assert twisted.total_energy(plain) - e_bulk == pytest.approx(8 * V1 * area, rel=1e-12)
    s = Sampler(model, Ensemble(0.09, mu=(0.0, 0.0)), with_apb, kernels.seed_rng(3), tables=twisted)
    s.run(200)
    assert s.accepted > 1000
    assert s.energy[0] == pytest.approx(twisted.total_energy(s.sigma), abs=1e-9)  # 1e-9: ~1e5 additions of 0.02
    np.testing.assert_allclose(s.field, twisted.local_fields(s.sigma), atol=1e-12)


CHAIN_CAMPAIGN = {  # antiferromagnetic chains along x: only the pair at distance 1 is within the cutoff
    "lattice": {"cell": [[1, 0, 0], [0, 3, 0], [0, 0, 3]], "positions": [[0, 0, 0]], "species": [["A", "B"]]},
    "cluster_expansion": {"cutoffs": [1.01], "ecis": {"pairs": [1.0]}},
    "order_parameters": {"cell": [[2, 0, 0], [0, 1, 0], [0, 0, 1]], "Q": [[1, 1], [1, -1]],
                         "scale": 0.7071067811865476, "names": ["c", "eta"]},
    "supercell": [3, 2, 2], "temperatures": [1.0], "output": {"table": "unused.csv"},
}


def test_beta_integration_reproduces_the_ising_chain_twist_free_energy(tmp_path):
    (tmp_path / "chain.yaml").write_text(yaml.safe_dump(CHAIN_CAMPAIGN))
    cfg_data = {"model_from": str(tmp_path / "chain.yaml"), "supercell": [3, 3, 3], "temperatures": [1.0, 0.6],
                "integration": {"kT_high": 30.0, "n": 32},
                "sampling": {"equilibration_sweeps": 200, "sweeps": 3000, "profile_every": 20, "seed": 2},
                "output": {"directory": str(tmp_path / "out")}}
    (tmp_path / "apb.yaml").write_text(yaml.safe_dump(cfg_data))
    cfg = load_apb_config(tmp_path / "apb.yaml")
    result = run_apb(cfg, tmp_path / "apb.yaml", progress=False)
    n, chains = 2 * 3, 3 * 3  # ring of 2 L_1 sites; 3 x 3 chains
    for entry in result["temperatures"]:
        kT = entry["kT"]
        t = math.tanh(1.0 / kT)
        exact = -kT * math.log((1 - t ** n) / (1 + t ** n)) * chains
        tol = 4 * entry["se_delta_F"] + entry["discretization_sigma"] * result["box"]["area"]
        assert abs(entry["delta_F"] - exact) <= tol, (kT, entry["delta_F"], exact, tol)
        assert entry["delta_F"] > 10 * entry["se_delta_F"]  # the twist's free energy is resolved
    again = run_apb(cfg, tmp_path / "apb.yaml", progress=False)  # finished: read back, nothing rerun
    assert again["temperatures"] == result["temperatures"]
