"""The shipped FCC L1_2 case runs out of the box: inputs/fcc_l12.yaml names the shipped learned free
energy (models/fcc_l12_idnn.json, data in data/fcc/) by a path relative to the repository root, the
folder `pf_app run` is started from.  (The data files themselves are checked by
notebooks/fcc_1_learn.ipynb, executed by test_notebooks.py.)"""

from __future__ import annotations

from pathlib import Path

from pf_app.phasefield.case import load_case

REPO = Path(__file__).resolve().parents[2]


def test_fcc_case_loads_the_shipped_free_energy(monkeypatch):
    monkeypatch.chdir(REPO)
    case = load_case("inputs/fcc_l12.yaml")  # validates the model file (format, order parameters) now
    fe = case.config.free_energy
    assert fe.kind == "idnn" and fe.path == Path("models/fcc_l12_idnn.json") and fe.path.is_file()
