"""Checkpoint/resume, and configuration errors reported as one line naming file and key."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pfcase import read_energy, read_state, run_case, write_case


def test_resume_reaches_the_uninterrupted_state(tmp_path):
    """A run stopped after 7 steps and resumed takes exactly the remaining steps of the
    uninterrupted run (state, dt and the Newton-rule counter are checkpointed): same numbers."""
    time_cfg = {"t_end": 40.0, "dt": 0.5, "adapt": "newton", "scheme": "bdf2"}
    full = write_case(tmp_path, "full", time=time_cfg)
    case_full, s_full = run_case(full)
    part = write_case(tmp_path, "part", time=time_cfg, output={"checkpoint_every": 3, "fields_every": 0,
                                                               "png_every": 0, "progress_seconds": 1000})
    run_case(part, overrides=["time.max_steps=7"])
    case_part, _ = run_case(part, resume=True)
    e_full, e_part = read_energy(case_full.output_dir), read_energy(case_part.output_dir)
    np.testing.assert_array_equal(e_full["step"], e_part["step"])
    # t is a sum of ~80 steps of size <= 1: rounding 80 eps t_end < 1e-12.  The resumed run restarts its
    # lagged LU factorization, so its Newton iterates differ within the solver's relative tolerance: the
    # energies agree to solver.rtol x the energy's scale.
    from pf_app.phasefield.case import SolverConfig

    np.testing.assert_allclose(e_part["t"], e_full["t"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(e_part["energy"], e_full["energy"], rtol=0,
                               atol=SolverConfig().rtol * np.max(np.abs(e_full["energy"])))
    np.testing.assert_allclose(read_state(case_part.output_dir)[1], read_state(case_full.output_dir)[1], atol=1e-10)
    assert s_full.steps == len(e_full["step"]) - 1
    with np.load(case_part.output_dir / "checkpoint.npz") as saved:
        assert (str(saved["format"]), int(saved["version"])) == ("pf_app.phasefield.checkpoint", 1)


def test_checkpoint_of_another_format_or_version_is_refused_one_without_them_is_version_1(tmp_path):
    """docs/formats.md: readers refuse what they do not understand, naming the file and the field."""
    from pf_app.config import ConfigError
    from pf_app.phasefield.output import checked_checkpoint

    path = tmp_path / "checkpoint.npz"
    np.savez(path, coords=np.zeros((1, 3)), state=np.array("step: 0\n"))  # written before the version field
    assert checked_checkpoint(tmp_path) == path
    for fmt, version, message in (("pf_app.phasefield.checkpoint", 2,
                                   "version: expected 1 for format pf_app.phasefield.checkpoint, got 2"),
                                  ("pf_app.idnn.checkpoint", 1,
                                   "format: expected pf_app.phasefield.checkpoint, got 'pf_app.idnn.checkpoint'")):
        np.savez(path, coords=np.zeros((1, 3)), format=np.array(fmt), version=np.array(version))
        with pytest.raises(ConfigError) as err:
            checked_checkpoint(tmp_path)
        assert str(err.value) == f"{path}: {message}"


BAD = [
    ("mesh: {cells: [8, 8], lengths: [1, 1], spacing: 2}\n", "mesh.spacing", "one of the keys"),
    ("mesh: {cells: [8, -1], lengths: [1, 1]}\n", "mesh.cells", "positive cell counts"),
    ("time: {dt: -1}\n", "time.dt", "a number > 0"),
    ("time: {scheme: rk4}\n", "time.scheme", "one of 'backward_euler', 'bdf2'"),
    ("periodic: [x, w]\n", "periodic[1]", "one of 'x', 'y', 'z'"),
    ("free_energy: {kind: idnn, path: nowhere.json}\n", "free_energy.path", "an existing IDNN weights file"),
    ("free_energy: {kind: formula, formula: 'c**2 + __import__(1)'}\n", "free_energy.formula", "not allowed"),
    ("free_energy: {kind: formula, formula: 'c**2 + zeta'}\n", "free_energy.formula", "unknown name 'zeta'"),
    ("initial: {phi: {kind: constant}}\n", "initial.phi", "a field among c, eta"),
    ("mobility: {kind: degenerate_b2}\nfields: {order_parameters: [a, b]}\n", "mobility.kind", "one order parameter"),
    ("free_energy: {kind: formula, formula: 'c**2', integration: lumped}\nfields: {degree: 2}\n",
     "free_energy.integration", "consistent with degree-2 fields"),
]


@pytest.mark.parametrize("text, key, expected", BAD, ids=[b[1] for b in BAD])
def test_bad_config_is_one_line_with_file_key_and_expectation(tmp_path, text, key, expected):
    path = tmp_path / "bad.yaml"
    path.write_text("free_energy: {kind: formula, formula: 'c**2'}\n" * ("free_energy" not in text) + text)
    out = subprocess.run([sys.executable, "-m", "pf_app", "run", str(path)], capture_output=True, text=True,
                         cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(f"error: {path}: {key}: expected") and expected in lines[0], lines[0]
