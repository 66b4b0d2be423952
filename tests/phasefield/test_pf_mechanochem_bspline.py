"""The mechanochem_bspline free-energy kind (mechanoChemIGA's Cpts.txt + knots.txt) in the solver."""

from __future__ import annotations

import math

import numpy as np

from pfcase import LANDAU, read_energy, run_case, write_case


def _landau_spline():
    """The B2 Landau polynomial as a cubic spline in (c, eta^2) (quadratic in both: represented exactly)."""
    from pf_app.bspline.evaluate import BSplineFreeEnergy, clamped_uniform_knots
    from pf_app.bspline.fit import fit
    from pf_app.freeenergy.base import PolynomialTerm, landau_formula

    poly = landau_formula([PolynomialTerm(t["coef"], tuple(t["powers"])) for t in LANDAU["terms"]],
                          ("c", "eta"), LANDAU["c_ref"])
    rng = np.random.default_rng(2)
    c = rng.uniform(0, math.sqrt(2), 2000)
    x = np.column_stack([c, rng.uniform(-1, 1, 2000) * np.minimum(c, math.sqrt(2) - c)])
    kc, kv = clamped_uniform_knots(0, math.sqrt(2), 3, 3), clamped_uniform_knots(0, 0.5, 2, 3)
    return BSplineFreeEnergy(kc, kv, fit(kc, kv, 3, x, poly.numpy(x, 1)[1], np.ones((len(x), 2)), 0.0), 3)


def test_mechanochem_bspline_case_runs_like_the_same_spline_as_bspline_json(tmp_path):
    """The same spline written as pf_app.bspline JSON and as mechanoChemIGA files (17 digits: the
    same numbers) gives the same run, step for step, bit for bit: one reader must not differ from the other."""
    from pf_app.bspline.mechanochem import write_mechanochem_bspline

    spline = _landau_spline()
    spline.save(tmp_path / "b2.bspline.json")
    write_mechanochem_bspline(spline, tmp_path / "mechanochem")
    runs = {}
    for name, fe in (("json", {"kind": "bspline", "path": str(tmp_path / "b2.bspline.json")}),
                     ("mechanochem", {"kind": "mechanochem_bspline", "path": str(tmp_path / "mechanochem")})):
        case, _ = run_case(write_case(tmp_path, name, free_energy=fe, time={"t_end": 6.0, "dt": 1.0}))
        runs[name] = read_energy(case.output_dir)
    assert len(runs["json"]["step"]) == 7 and np.ptp(runs["json"]["energy"]) > 0  # the state evolved
    for column in ("energy", "mass", "mean_abs_eta"):
        np.testing.assert_array_equal(runs["mechanochem"][column], runs["json"][column])


def test_wrong_header_is_one_line_error_and_no_output_folder(tmp_path, capsys):
    from pf_app.bspline.mechanochem import write_mechanochem_bspline
    from pf_app.cli import main

    write_mechanochem_bspline(_landau_spline(), tmp_path / "mechanochem")
    (tmp_path / "mechanochem" / "Cpts.txt").write_text("3 5 5\n" + "0 " * 25 + "\n")
    case = write_case(tmp_path, "bad", free_energy={"kind": "mechanochem_bspline", "path": str(tmp_path / "mechanochem")})
    assert main(["run", str(case), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {tmp_path / 'mechanochem' / 'Cpts.txt'}: line 1: expected")
    assert not (tmp_path / "out_bad").exists()
