"""Meshes from files, 3D, quadratic elements, several order parameters, and the output files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pfcase import conserves_and_decays, double_well_case, read_energy, read_state, run_case, write_case

MESHES = Path(__file__).resolve().parents[2] / "meshes"


def test_spinodal_decomposition_on_the_xdmf_disk_with_no_flux(tmp_path):
    """Pure Cahn-Hilliard (no order parameter) on meshes/disk.xdmf with natural (no-flux) walls:
    a double-well g inside its spinodal decomposes; mass is conserved and the energy decays.
    The fastest mode grows at M / (4 kappa) = 0.6 per time unit, so dt <= 1 resolves it (backward
    Euler would damp modes with growth rate x dt > 2 and suppress the instability)."""
    path = double_well_case(tmp_path, MESHES / "disk.xdmf", mobility=0.01, noise=0.05, seed=2,
                            time={"t_end": 40.0, "dt": 0.5, "adapt": "fixed"})
    case, _ = run_case(path)
    e = read_energy(case.output_dir)
    conserves_and_decays(e)
    assert e["energy"][-1] < 0.7 * e["energy"][0]  # bulk energy gone; interfaces remain
    c = read_state(case.output_dir)[1][:, 0]
    assert np.mean(c > 0.8) > 0.2 and np.mean(c < -0.8) > 0.2  # both phases near their wells +-1


def test_three_dimensional_periodic_box_and_quadratic_elements(tmp_path):
    """The same solver in 3D (tetrahedra, all axes periodic) and with P2 elements in 2D."""
    for name, changes in (("box3d", {"mesh": {"lengths": [1.0, 1.0, 1.0], "cells": [6, 6, 6]},
                                     "periodic": ["x", "y", "z"]}),
                          ("p2", {"fields": {"order_parameters": ["eta"], "degree": 2},
                                  "mesh": {"lengths": [1.0, 1.0], "cells": [8, 8]}})):
        case, summary = run_case(write_case(tmp_path, name, **changes, time={"t_end": 6.0, "dt": 1.0}))
        e = read_energy(case.output_dir)
        conserves_and_decays(e)
        assert summary.steps == 6


def test_two_order_parameters_with_formula_mobility(tmp_path):
    """N = 2 non-conserved fields with a formula free energy coupling them (g symmetric under
    eta1 <-> eta2): identical starts for both fields stay identical, mass is conserved."""
    path = write_case(tmp_path, fields={"order_parameters": ["e1", "e2"]},
                      free_energy={"kind": "formula", "formula": "(c-0.5)**2 - 0.1*(e1**2 + e2**2) + (e1**2 + e2**2)**2 + 0.3*e1**2*e2**2"},
                      mobility={"kind": "formula", "formula_c": "1 + c**2", "formula_eta": "2 + e1**2 + e2**2"},
                      gradient={"kappa_c": 1e-3, "kappa_eta": [1e-3, 1e-3]},
                      initial={"c": {"kind": "constant", "value": 0.5},
                               "e1": {"kind": "random_uniform", "low": -0.05, "high": 0.05, "seed": 4},
                               "e2": {"kind": "random_uniform", "low": -0.05, "high": 0.05, "seed": 4}},
                      time={"t_end": 10.0, "dt": 1.0})
    case, _ = run_case(path)
    e = read_energy(case.output_dir)
    conserves_and_decays(e)
    # e1 and e2 sit in different blocks of the Newton system, so they round differently: they stay equal to
    # the solver's relative tolerance (a symmetry-breaking instability would grow the difference instead)
    from pf_app.phasefield.case import SolverConfig

    np.testing.assert_allclose(e["mean_abs_e1"], e["mean_abs_e2"], rtol=SolverConfig().rtol)
    assert e["mean_abs_e1"][-1] > e["mean_abs_e1"][0]


def test_outputs_png_vtx_config_and_progress(tmp_path, capsys):
    """Snapshots are real pictures (not blank), the VTX series and resolved config exist."""
    from PIL import Image

    path = write_case(tmp_path, time={"t_end": 4.0, "dt": 1.0},
                      output={"fields_every": 2, "png_every": 4, "checkpoint_every": 2, "progress_seconds": 1000})
    case, _ = run_case(path)
    pngs = sorted((case.output_dir / "snapshots").glob("eta_*.png"))
    assert [p.name for p in pngs] == ["eta_000000.png", "eta_000004.png"]  # every 4 steps, and the end (4)
    img = np.asarray(Image.open(pngs[-1]).convert("L"), float)
    assert img.std() > 10  # a coloured field, not an empty frame
    assert (case.output_dir / "fields.bp").is_dir() and (case.output_dir / "config.yaml").is_file()


def test_a_failed_snapshot_warns_and_the_run_goes_on(tmp_path, capsys):
    """Rendering runs in a child process: its failure (here an unwritable target) is a warning."""
    from pf_app.viz.snapshot import render_in_subprocess

    tri = (np.array([[0, 1, 2]]), np.array([5], np.uint8), np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]]), np.zeros(3))
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert render_in_subprocess([tri], "eta", blocker / "eta.png", 0.0) is False
    assert "not rendered" in capsys.readouterr().err
    assert render_in_subprocess([tri], "eta", tmp_path / "ok.png", 0.0) and (tmp_path / "ok.png").stat().st_size > 0
