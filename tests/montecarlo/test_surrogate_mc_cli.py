"""``pf_app mc`` with ``kind: surrogate_mc``: a surrogate trained by ``pf_app surrogate`` (or the pair
model) as the energy of Metropolis and Wang-Landau on the data set's own cell, end to end."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from pf_app.cli import main

LABELER_DATA = ("{source: labeler, max_per_composition: 40, labeler: {n_configurations: 600, species: [26, 78],"
                " lattice: {kind: lsms_fept}}}")
SMALL_RUN = ("compositions: [16]\n"
             "metropolis: {temperatures_K: [5000, 50000], walkers_per_temperature: 4, equilibration_steps: 50,"
             " steps: 200, sample_every: 4}\n"
             "wang_landau: {bins: 12, walkers: 16, ln_f_final: 1.0e-3, check_every: 100, quench_steps: 200,"
             " temperatures_K: [100, 100000, 50]}\n")


def _rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_pair_model_mc_writes_heat_capacity_and_dos(tmp_path):
    cfg = tmp_path / "mc.yaml"
    out = tmp_path / "out"
    cfg.write_text(f"kind: surrogate_mc\nenergy: {{kind: pair, n_shells: 3}}\ndata: {LABELER_DATA}\n{SMALL_RUN}"
                   f"output: {{directory: {out}}}\n")
    assert main(["mc", str(cfg), "--quiet"]) == 0
    rows = _rows(out / "metropolis.csv")
    assert [float(r["T_K"]) for r in rows] == [5000.0, 50000.0] and all(int(r["walkers"]) == 4 for r in rows)
    # hotter walkers accept more swaps and sit higher in energy (the toy labeler on the BCT cell has
    # eV-scale swap energies: 5000 K is cold for it)
    assert float(rows[1]["acceptance"]) > float(rows[0]["acceptance"])
    assert float(rows[1]["energy_eV"]) > float(rows[0]["energy_eV"])
    dos = _rows(out / "dos_16.csv")
    assert len(dos) == 12 and sum(np.isfinite(float(r["ln_g"])) for r in dos) >= 2
    thermo = _rows(out / "thermodynamics_16.csv")
    assert len(thermo) == 50 and all(float(r["heat_capacity_kB"]) >= 0 for r in thermo)
    energies = [float(r["energy_eV"]) for r in thermo]
    assert all(b >= a - 1e-9 for a, b in zip(energies, energies[1:]))  # <E> rises with T (C_v >= 0)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["lattice"] == "bct4x2x2" and "wang_landau_cv_peak_T_K" in summary["compositions"]["16"]
    assert (out / "heat_capacity.png").is_file()


def test_bad_surrogate_mc_config_is_one_line_and_makes_no_folder(tmp_path, capsys):
    cfg = tmp_path / "mc.yaml"
    out = tmp_path / "never"
    cfg.write_text(f"kind: surrogate_mc\nenergy: {{kind: network, path: {tmp_path}/missing.keras}}\n"
                   f"compositions: [16]\noutput: {{directory: {out}}}\n")
    assert main(["mc", str(cfg), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(cfg) in err and "energy.path" in err and not out.exists()


def test_network_trained_by_surrogate_drives_mc(tmp_path):
    """The E head of an ECM model saved by ``pf_app surrogate`` is the Monte Carlo energy."""
    pytest.importorskip("keras")
    train = tmp_path / "train.yaml"
    models = tmp_path / "surrogate"
    train.write_text(f"data: {LABELER_DATA}\nmethods: [ECM]\nmodel: {{hidden: [16], task_width: 15}}\n"
                     "train: {epochs: 2, batch_size: 64}\ncv: {k: 2, workers: 1}\n")
    assert main(["surrogate", str(train), "--output", str(models), "--quiet"]) == 0
    cfg = tmp_path / "mc.yaml"
    out = tmp_path / "mc"
    cfg.write_text(f"kind: surrogate_mc\nenergy: {{kind: network, path: {models}/models/surrogate_ECM.keras}}\n"
                   f"{SMALL_RUN}output: {{directory: {out}}}\n")
    assert main(["mc", str(cfg), "--quiet", "--set", "wang_landau.enabled=false"]) == 0
    rows = _rows(out / "metropolis.csv")
    assert len(rows) == 2 and all(np.isfinite(float(r["heat_capacity_kB"])) for r in rows)
    assert json.loads((out / "summary.json").read_text())["energy"] == "network"


def test_independent_wang_landau_runs_give_the_peak_with_its_standard_error(tmp_path):
    """``wang_landau.repeats: 3``: three runs with their own random streams on the same bins; the
    summary's peak is the mean of the runs' peaks and its error their standard error.  ``max_steps``
    stops each run early (the 1/t stage would end at 12 / (16 x 1e-3) = 750 steps) and the summary
    says with which ln f."""
    cfg = tmp_path / "mc.yaml"
    out = tmp_path / "out"
    cfg.write_text(f"kind: surrogate_mc\nenergy: {{kind: pair, n_shells: 3}}\ndata: {LABELER_DATA}\n{SMALL_RUN}"
                   f"output: {{directory: {out}}}\n")
    assert main(["mc", str(cfg), "--quiet", "--set", "metropolis.enabled=false", "--set", "wang_landau.repeats=3",
                 "--set", "wang_landau.max_steps=400"]) == 0
    entry = json.loads((out / "summary.json").read_text())["compositions"]["16"]
    peaks = np.array(entry["wang_landau_cv_peak_T_K_runs"])
    assert len(peaks) == 3 and entry["wang_landau_steps_per_walker"] == [400] * 3
    assert all(ln_f > 1e-3 for ln_f in entry["wang_landau_final_ln_f"])
    assert entry["wang_landau_cv_peak_T_K"] == pytest.approx(peaks.mean())
    assert entry["wang_landau_cv_peak_T_se_K"] == pytest.approx(peaks.std(ddof=1) / np.sqrt(3))
    dos = _rows(out / "dos_16.csv")
    runs = [[float(r["ln_g"]) for r in dos if r["run"] == str(i)] for i in range(3)]
    assert all(len(r) == 12 for r in runs)
    assert [r["energy_eV"] for r in dos[:12]] == [r["energy_eV"] for r in dos[12:24]]  # the same bins
    assert runs[0] != runs[1] != runs[2]  # independent streams, not one run written three times
    thermo = _rows(out / "thermodynamics_16.csv")
    assert all(float(r["heat_capacity_se_kB"]) >= 0 for r in thermo)
    assert any(float(r["heat_capacity_se_kB"]) > 0 for r in thermo)
