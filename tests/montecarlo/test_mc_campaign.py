"""Campaigns: resume without duplicates, checkpoints, backends agree, config errors, plots."""

from __future__ import annotations

import json
from dataclasses import replace
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from pf_app import mu_table
from pf_app.config import ConfigError
from pf_app.montecarlo import sampler
from pf_app.montecarlo.campaign import build_tasks, run_campaign, settings_of
from pf_app.montecarlo.config import load_campaign
from pf_app.montecarlo.model import model_of

REPO = Path(__file__).resolve().parents[2]
B2_MODEL = {  # the nearest-neighbour BCC model on the B2 (c, eta) map, as in inputs/mc_b2_umbrella.yaml
    "lattice": {"cell": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "positions": [[0, 0, 0], [0.5, 0.5, 0.5]],
                "species": [["A", "B"], ["A", "B"]]},
    "cluster_expansion": {"cutoffs": [1.5, 1.0], "ecis": {"pairs": [1.0]}},
    "order_parameters": {"Q": [[1, 1], [1, -1]], "scale": 0.7071067811865476, "names": ["c", "eta"]},
}
SMALL = {
    **B2_MODEL,
    "supercell": [4, 4, 4],
    "temperatures": [8.0, 5.0],
    "ensemble": "umbrella",
    "umbrella": {"phi": [10.0, 10.0], "points": {"kind": "list", "values": [[0.7, 0.1], [0.5, 0.3]]}},
    "sampling": {"se_target": 0.05, "min_sweeps": 40, "max_sweeps": 400, "chunk_sweeps": 40},
    "run": {"backend": "serial"},
}


def _write(tmp_path: Path, data: dict, name: str = "mc.yaml") -> Path:
    data = {**data, "output": {"table": str(tmp_path / "out.csv"), **data.get("output", {})}}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def _rows(path: Path) -> dict[int, dict]:
    t = mu_table.read(path)
    return {int(i): {k: v[n] for k, v in t.columns.items()} for n, i in enumerate(t.columns["point_id"])}


def test_resume_after_a_kill_adds_only_the_missing_points(tmp_path):
    path = _write(tmp_path, SMALL)
    cfg = load_campaign(path)
    assert run_campaign(cfg, path, progress=False) == 4
    table = tmp_path / "out.csv"
    full = _rows(table)
    lines = table.read_text().splitlines(keepends=True)
    table.write_text("".join(lines[:-2]))  # the campaign was killed before the last two rows
    assert run_campaign(cfg, path, progress=False) == 2
    again = _rows(table)
    ids = mu_table.read(table).columns["point_id"]
    assert sorted(ids) == [0, 1, 2, 3]  # no duplicates
    for i in range(4):  # seeded per point: a resumed point gives the same row
        assert again[i]["mu_c"] == full[i]["mu_c"] and again[i]["eta"] == full[i]["eta"]
    assert run_campaign(cfg, path, progress=False) == 0  # complete: nothing to do
    assert len(mu_table.read(table)) == 4
    table.write_text(table.read_text()[:-25])  # killed in the middle of writing the last row
    with pytest.warns(UserWarning, match="incomplete last row"):
        assert run_campaign(cfg, path, progress=False) == 1
    assert sorted(mu_table.read(table).columns["point_id"]) == [0, 1, 2, 3]


def test_resume_into_a_table_of_another_campaign_is_an_error(tmp_path):
    path = _write(tmp_path, SMALL)
    run_campaign(load_campaign(path), path, progress=False)
    other = _write(tmp_path, {**SMALL, "temperatures": [7.0]}, "other.yaml")
    with pytest.raises(ConfigError, match="campaign"):
        run_campaign(load_campaign(other), other, progress=False)


def test_interrupted_point_continues_from_its_checkpoint(tmp_path, monkeypatch):
    path = _write(tmp_path, {**SMALL, "sampling": {**SMALL["sampling"], "checkpoint_every_s": 1e-9,
                                                   "se_target": 1e-9, "max_sweeps": 200}})
    cfg = load_campaign(path)
    model = model_of(cfg, path)
    settings, task = settings_of(cfg, model), build_tasks(cfg, path, model)[0]
    settings.checkpoint_dir.mkdir(parents=True)
    reference = sampler.run_point(settings, task)
    calls = []
    real = sampler.analyse

    def interrupt(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(sampler, "analyse", interrupt)
    with pytest.raises(KeyboardInterrupt):
        sampler.run_point(settings, task)
    checkpoint = settings.checkpoint_dir / "point_0.npz"
    assert checkpoint.is_file()
    with np.load(checkpoint) as saved:
        assert (str(saved["format"]), int(saved["version"])) == ("pf_app.montecarlo.point_checkpoint", 1)
    monkeypatch.setattr(sampler, "analyse", real)
    resumed = sampler.run_point(settings, task)
    assert not checkpoint.exists()
    for key in ("c", "eta", "mu_c", "mu_eta", "n_sweeps", "energy"):
        assert resumed[key] == reference[key]


def test_point_checkpoint_of_another_format_or_version_is_refused_one_without_them_is_version_1(tmp_path):
    """docs/formats.md: readers refuse what they do not understand, naming the file and the field."""
    path = tmp_path / "point_0.npz"
    np.savez(path, key=np.array("k"))  # written before the version field
    sampler.check_checkpoint(path)
    for fmt, version, message in (("pf_app.montecarlo.point_checkpoint", 2, "version: expected 1 for format "
                                   "pf_app.montecarlo.point_checkpoint (delete the file to restart the point), got 2"),
                                  ("pf_app.phasefield.checkpoint", 1, "format: expected "
                                   "pf_app.montecarlo.point_checkpoint, got 'pf_app.phasefield.checkpoint'")):
        np.savez(path, key=np.array("k"), format=np.array(fmt), version=np.array(version))
        with pytest.raises(ConfigError) as err:
            sampler.check_checkpoint(path)
        assert str(err.value) == f"{path}: {message}"


def test_process_pool_gives_the_rows_of_the_serial_run(tmp_path):
    serial = tmp_path / "serial"
    pool = tmp_path / "pool"
    serial.mkdir(), pool.mkdir()
    for folder, backend in ((serial, "serial"), (pool, "processes")):
        path = _write(folder, {**SMALL, "run": {"backend": backend, "workers": 2}})
        run_campaign(load_campaign(path), path, progress=False)
    a, b = _rows(serial / "out.csv"), _rows(pool / "out.csv")
    assert a.keys() == b.keys()
    for i in a:
        assert {k: v for k, v in a[i].items() if k != "seconds"} == {k: v for k, v in b[i].items() if k != "seconds"}


@pytest.mark.mpi
def test_two_mpi_ranks_give_the_rows_of_the_serial_run(tmp_path):
    mpirun = Path(sys.executable).parent / "mpirun"
    if not mpirun.exists():
        pytest.skip(f"{mpirun} not found")
    serial, mpi = tmp_path / "serial", tmp_path / "mpi"
    serial.mkdir(), mpi.mkdir()
    run_campaign(load_campaign(p := _write(serial, SMALL)), p, progress=False)
    cfg = _write(mpi, {**SMALL, "run": {"backend": "mpi"}})
    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
    out = subprocess.run([str(mpirun), "-n", "2", sys.executable, "-m", "pf_app", "mc", str(cfg), "--quiet"],
                         capture_output=True, text=True, timeout=240, env=env, cwd=REPO)
    assert out.returncode == 0, out.stderr
    a, b = _rows(serial / "out.csv"), _rows(mpi / "out.csv")
    assert sorted(b) == [0, 1, 2, 3]
    for i in a:
        assert a[i]["mu_c"] == b[i]["mu_c"] and a[i]["eta"] == b[i]["eta"]


@pytest.mark.parametrize("change, key", [
    ({"supercell": [2, 4, 4]}, "supercell"),  # 3rd-neighbour pairs wrap onto themselves
    ({"temperatures": [8.0, -1.0]}, "temperatures"),
    ({"cluster_expansion": {"cutoffs": [1.5], "ecis": {"pairs": [1, 0, 0, 0]}}}, "cluster_expansion.ecis.pairs"),
    ({"cluster_expansion": {"cutoffs": [0.5]}}, "cluster_expansion.cutoffs[0]"),  # no pair within 0.5 a
    ({"order_parameters": {**B2_MODEL["order_parameters"], "Q": [[1, 1], [2, 2]]}}, "order_parameters.Q"),
    ({"order_parameters": {**B2_MODEL["order_parameters"], "Q": [[1, 1, 1], [1, -1, 0], [0, 0, 1]],
                           "names": ["a", "b", "c"]}, "umbrella": {"phi": [10.0]}},
     "order_parameters.Q"),  # 3 x 3 for 2 sublattices
    ({"order_parameters": {**B2_MODEL["order_parameters"], "species": "C"}}, "order_parameters.species"),
    ({"lattice": {**B2_MODEL["lattice"], "species": [["A", "B"], ["A", "B", "C"]]}}, "lattice.species[1]"),
    ({"umbrella": {"phi": [0.0, 1.0]}}, "umbrella.phi"),
    ({"umbrella": {"points": {"kind": "list", "values": [[0.1, 0.5]]}}}, "umbrella.points.values[0]"),
    ({"sampling": {"se_target": -1}}, "sampling.se_target"),
    ({"homogeneity": {"block": 3}}, "homogeneity.block"),
    ({"ensemble": "canonical"}, "ensemble"),
    ({"umbrela": {}}, "umbrela"),
])
def test_bad_config_exits_2_naming_file_and_key(tmp_path, change, key):
    path = _write(tmp_path, {**SMALL, **change})
    out = subprocess.run([sys.executable, "-m", "pf_app", "mc", str(path), "--quiet"], capture_output=True,
                         text=True, timeout=120, cwd=REPO)
    assert out.returncode == 2, out.stderr
    assert f"{path}: {key}:" in out.stderr and "Traceback" not in out.stderr


def test_sgc_scan_writes_table_hdf5_and_phase_diagram_plots(tmp_path):
    data = {**SMALL, "ensemble": "sgc", "temperatures": [3.0, 9.0], "sgc": {"mu": {"c": [0.0, 4.0, 30.0]}},
            "output": {"hdf5": str(tmp_path / "out.h5"), "plots": str(tmp_path / "plots")}}
    path = _write(tmp_path, data)
    run_campaign(load_campaign(path), path, progress=False)
    table = mu_table.read(tmp_path / "out.h5")
    assert len(table) == 6 and {"abs_eta", "heat_capacity", "binder_eta", "se_c"} <= set(table.columns)
    ordered = table.columns["abs_eta"][(table.columns["kT"] == 3.0) & (table.columns["mu_c"] == 0.0)]
    disordered = table.columns["abs_eta"][(table.columns["kT"] == 9.0) & (table.columns["mu_c"] == 0.0)]
    assert ordered[0] > 0.6 and disordered[0] < 0.3  # kT_c = 6.35 V1 at x = 1/2
    assert (tmp_path / "plots" / "phase_diagram.png").stat().st_size > 1000
    assert (tmp_path / "plots" / "order_vs_T.png").stat().st_size > 1000


def test_sobol_and_grid_points_lie_in_the_physical_domain(tmp_path):
    for points in ({"kind": "sobol", "n": 16}, {"kind": "grid", "grid": [{"lo": 0.0, "hi": 1.414, "n": 9},
                                                                          {"lo": -0.7, "hi": 0.7, "n": 9}]}):
        path = _write(tmp_path, {**SMALL, "umbrella": {"phi": [5.0, 5.0], "points": points}})
        cfg = load_campaign(path)
        tasks = build_tasks(cfg, path, model_of(cfg, path))
        targets = np.array([[t.extra["target_c"], t.extra["target_eta"]] for t in tasks])
        assert len(tasks) > 4 and np.all(mu_table.physical_mask(targets[:, 0], targets[:, 1]))
        assert np.all(targets[:, 1] >= 0)  # eta_nonnegative (default)


def test_kappa_aims_at_targets_with_a_previous_idnn_model(tmp_path):
    # g = 0.3 c + 0.5 eta^2 (a linear network on the features c and eta^2): mu = (0.3, eta)
    weights = {"format": "pf_app.idnn", "version": 1, "order_parameters": ["c", "eta"],
               "features": [[{"coef": 1.0, "powers": [1, 0]}], [{"coef": 1.0, "powers": [0, 2]}]],
               "layers": [{"weights": [[0.3], [0.5]], "bias": None, "activation": "linear"}]}
    model = tmp_path / "prev.idnn.json"
    model.write_text(json.dumps(weights))
    path = _write(tmp_path, {**SMALL, "temperatures": [8.0],
                             "umbrella": {**SMALL["umbrella"], "guess": str(model), "phi": [2.0, 4.0]}})
    cfg = load_campaign(path)
    tasks = build_tasks(cfg, path, model_of(cfg, path))
    for task, (c, eta) in zip(tasks, SMALL["umbrella"]["points"]["values"]):
        assert task.ensemble.kappa == pytest.approx((c + 0.3 / (2 * 2.0), eta + eta / (2 * 4.0)))


def test_phase_boundaries_tell_a_gap_from_a_steep_continuous_scan():
    from pf_app.montecarlo.phase_diagram import boundaries

    mu = np.arange(8.0)
    steep = np.array([0.50, 0.52, 0.56, 0.62, 0.70, 0.80, 0.88, 0.92])  # continuous, ordered up to 0.62
    gap = np.array([0.50, 0.51, 0.52, 0.53, 0.80, 0.81, 0.82, 0.83])  # first-order jump
    cols = {"kT": np.r_[np.full(8, 1.0), np.full(8, 2.0)], "mu_c": np.r_[mu, mu],
            "c": np.r_[steep, gap] * np.sqrt(2), "eta": np.zeros(16), "mu_eta": np.zeros(16),
            "abs_eta": np.r_[[0.6, 0.6, 0.5, 0.3, 0.1, 0.05, 0.05, 0.05], np.full(8, 0.05)]}
    od, ties = boundaries(mu_table.MuTable(("c", "eta"), cols))
    assert len(ties) == 1 and ties[0] == pytest.approx((0.53, 0.80, 2.0))
    assert len(od) == 1 and od[0][1] == 1.0 and 0.62 < od[0][0] < 0.70


def test_b2_campaign_rows_are_unchanged_by_the_general_lattice_refactor():
    # data/b2/b2_sgc.csv was written by the BCC-only sampler (before issue 12) from inputs/mc_b2_sgc.yaml;
    # the general form of that file keeps the site numbering, the initial state and the random stream,
    # so the chain is the same: rows agree to round-off (1e-9 relative: sums taken in another order),
    # far inside their error bars.
    f = REPO / "inputs" / "mc_b2_sgc.yaml"
    cfg = load_campaign(f)
    model = model_of(cfg, f)
    tasks, settings = build_tasks(cfg, f, model), settings_of(cfg, model)
    shipped = mu_table.read(REPO / "data" / "b2" / "b2_sgc.csv").columns
    for pid in (0, 45, 100):  # disordered, B2-ordered, near the dome edge at kT = 0.12 eV
        row = sampler.run_point(replace(settings, checkpoint_dir=None), tasks[pid])
        i = int(np.flatnonzero(shipped["point_id"] == pid)[0])
        for key in ("c", "eta", "abs_eta", "se_abs_eta", "energy", "heat_capacity", "n_sweeps", "acceptance",
                    "bimodality_eta", "flag_split"):
            assert row[key] == pytest.approx(shipped[key][i], rel=1e-9, abs=1e-15), key


def test_points_with_their_own_temperatures_run_once_each_at_that_temperature(tmp_path):
    """umbrella.points.kT (the temperature as a coordinate of the point): one row per point at its kT,
    the same row as a campaign at that single temperature (same point id and seed), and the kT of the
    mean-field aim; the config refuses a kT list of the wrong length and kT with temperatures."""
    per_point = {**SMALL, "temperatures": None,
                 "umbrella": {**SMALL["umbrella"], "points": {**SMALL["umbrella"]["points"], "kT": [8.0, 5.0]}}}
    path = _write(tmp_path, per_point)
    cfg = load_campaign(path)
    tasks = build_tasks(cfg, path, model_of(cfg, path))
    assert [t.ensemble.kT for t in tasks] == [8.0, 5.0]
    run_campaign(cfg, path, progress=False)
    rows = _rows(tmp_path / "out.csv")
    assert [rows[i]["kT"] for i in (0, 1)] == [8.0, 5.0]
    single = _write(tmp_path, {**SMALL, "temperatures": [5.0], "output": {"table": str(tmp_path / "one.csv")}},
                    "one.yaml")
    run_campaign(load_campaign(single), single, progress=False)
    assert _rows(tmp_path / "one.csv")[1]["mu_eta"] == rows[1]["mu_eta"]  # point 1 at kT = 5: the same chain
    for change, key in (({"kT": [8.0]}, "umbrella.points.kT"),):
        bad = {**per_point, "umbrella": {**per_point["umbrella"], "points": {**per_point["umbrella"]["points"], **change}}}
        with pytest.raises(ConfigError, match=key):
            load_campaign(_write(tmp_path, bad, "bad.yaml"))
    with pytest.raises(ConfigError, match="temperatures"):
        load_campaign(_write(tmp_path, {**per_point, "temperatures": [5.0]}, "both.yaml"))
