"""pf_app draws its figures without touching matplotlib's backend (pf_app.viz.figures): a notebook
user who imports pf_app, or calls one of its plots, keeps the backend they chose."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PF_APP = Path(__file__).resolve().parents[1] / "pf_app"

# Import every module that writes figures, then write two: the phase diagrams and one built here.
_SCRIPT = r"""
import sys
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("svg")  # a user's choice, not Agg
assert matplotlib.get_backend() == "svg", matplotlib.get_backend()

import pf_app.bspline.run
import pf_app.idnn.plots
import pf_app.learn.loop
import pf_app.learn.report
import pf_app.montecarlo.phase_diagram as pd
import pf_app.montecarlo.surrogate_runner
import pf_app.surrogate.report
from pf_app.mu_table import MuTable
from pf_app.viz.figures import save_figure, subplots

out = Path(sys.argv[1])
kT = np.repeat([0.5, 1.0, 1.5], 4)
x = np.tile([0.3, 0.4, 0.5, 0.6], 3)
table = MuTable(("c", "eta"), {"kT": kT, "mu_c": np.tile([-1.0, -0.5, 0.0, 0.5], 3), "c": x * np.sqrt(2),
                               "eta": np.zeros(12), "mu_eta": np.zeros(12),
                               "abs_eta": np.where(kT < 1.2, 0.6, 0.02), "heat_capacity": np.ones(12)})
pd.plot_all(table, out)
fig, ax = subplots(figsize=(3, 2))
ax.plot([0, 1], [1, 0])
save_figure(fig, out / "line.png")
print(matplotlib.get_backend())
"""


def test_importing_and_plotting_keeps_the_users_backend_and_writes_pngs_headless(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["MPLBACKEND"] = "svg"
    run = subprocess.run([sys.executable, "-c", _SCRIPT, str(tmp_path)], capture_output=True, text=True,
                         env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "svg"
    for name in ("order_vs_T.png", "phase_diagram.png", "line.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_no_module_selects_a_backend_or_imports_pyplot():
    forbidden = re.compile(r"matplotlib\.use\(|^\s*(import matplotlib\.pyplot|from matplotlib import pyplot)", re.M)
    offenders = [str(p.relative_to(PF_APP.parent)) for p in sorted(PF_APP.rglob("*.py"))
                 if forbidden.search(p.read_text())]
    assert offenders == []
