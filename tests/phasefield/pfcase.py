"""Helpers for phase-field tests: small cases as dicts, run in-process or under mpirun."""

from __future__ import annotations

import copy
import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

import dolfinx_solver  # noqa: F401

# A B2-like Landau free energy: wells at eta = +-1/sqrt2, stiff in c.
LANDAU = {"kind": "landau", "c_ref": 0.7071067811865476,
          "terms": [{"coef": 1.8287, "powers": [2, 0]}, {"coef": -0.0327, "powers": [0, 2]},
                    {"coef": 0.0327, "powers": [0, 4]}]}

BASE = {
    "name": "t",
    "mesh": {"lengths": [1.0, 1.0], "cells": [16, 16]},
    "periodic": ["x", "y"],
    "fields": {"order_parameters": ["eta"], "degree": 1},
    "free_energy": LANDAU,
    "mobility": {"kind": "degenerate_b2", "M": 10.0, "L": 10.0},
    "gradient": {"kappa_c": 1.0e-3, "kappa_eta": 1.0e-3},
    "initial": {"c": {"kind": "constant", "value": 0.7071067811865476},
                "eta": {"kind": "random_uniform", "low": -0.05, "high": 0.05, "seed": 3}},
    "time": {"scheme": "backward_euler", "t_end": 10.0, "dt": 1.0, "adapt": "fixed"},
    "output": {"fields_every": 0, "png_every": 0, "checkpoint_every": 1000, "progress_seconds": 1000},
}


MERGED = ("time", "output", "solver")  # sections updated key by key; the others are replaced whole


def double_well_case(tmp_path: Path, mesh_file: Path, mobility: float, noise: float, seed: int, time: dict,
                     name: str = "case") -> Path:
    """Pure Cahn-Hilliard (no order parameter) with g = (c^2 - 1)^2 / 4, kappa_c = 4e-3, on a mesh file,
    from c = 0 plus uniform noise of amplitude ``noise`` (the spinodal cases of the geometry tests)."""
    return write_case(tmp_path, name, mesh={"file": str(mesh_file)}, periodic=[], fields={"order_parameters": []},
                      free_energy={"kind": "formula", "formula": "0.25*(c**2 - 1)**2"},
                      mobility={"kind": "constant", "M": mobility}, gradient={"kappa_c": 4e-3, "kappa_eta": 0.0},
                      initial={"c": {"kind": "random_uniform", "value": 0.0, "low": -noise, "high": noise, "seed": seed}},
                      time=time)


def conserves_and_decays(e: dict, rel_mass: float = 1e-12) -> None:
    """Mass (integral of c) constant to ``rel_mass`` relative and the free energy never rising by more than
    rounding."""
    assert np.max(np.abs(e["mass"] - e["mass"][0])) <= rel_mass * max(1.0, abs(e["mass"][0]))
    assert np.all(np.diff(e["energy"]) <= 1e-12 * np.max(np.abs(e["energy"])))


def case_dict(**changes) -> dict:
    """BASE with changes, e.g. case_dict(time={"t_end": 2}) keeps the other time keys."""
    d = copy.deepcopy(BASE)
    for k, v in changes.items():
        if k in MERGED and isinstance(d.get(k), dict):
            d[k].update(v)
        else:
            d[k] = v
    return d


def write_case(tmp_path: Path, name: str = "case", **changes) -> Path:
    d = case_dict(**changes)
    d["output"]["directory"] = str(tmp_path / f"out_{name}")
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(d))
    return path


def run_case(path: Path, resume: bool = False, overrides=()):
    from pf_app.phasefield.case import load_case
    from pf_app.phasefield.simulation import simulate

    case = load_case(path, list(overrides))
    return case, simulate(case, resume=resume, progress=False)


def read_energy(directory: Path) -> dict[str, np.ndarray]:
    with open(Path(directory) / "energy.csv") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def read_state(directory: Path):
    """(coords, u_n) of the last checkpoint, sorted by coordinates for rank-independent comparison."""
    data = np.load(Path(directory) / "checkpoint.npz")
    order = np.lexsort(np.round(data["coords"], 9).T[::-1])
    return data["coords"][order], data["u_n"][order]


def mpirun(args: list[str], n: int = 2) -> subprocess.CompletedProcess:
    mpirun = Path(sys.executable).parent / "mpirun"
    return subprocess.run([str(mpirun), "-n", str(n), sys.executable, *args], capture_output=True, text=True,
                          timeout=600)
