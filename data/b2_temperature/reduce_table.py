"""Write the shipped table data/b2_temperature/b2_mu_T.csv from the raw campaign table.

``pf_app mc inputs/mc_b2_temperatures.yaml`` writes every diagnostic column in 17 digits
(results/mc_b2_temperatures/b2_mu_T.csv, ~3 MB); the shipped table keeps every row, the columns a fit or
a check needs, and 8 significant digits (standard errors >= 1e-4 relative to |mu|), plus the active-learning
loop's ``flag_outside_domain`` (pf_app.learn.loop.flag_outside, margin 0.02): 1 where a measured sublattice
fraction lies outside [0.01, 0.99] (the ideal aim pushes boxes near perfect order to x_s ~ 1e-3, where mu ~
kT ln x_s is steep and noisy; g is learned on the campaign's domain).
Run from the repository root after the campaign:  .venv/bin/python data/b2_temperature/reduce_table.py
"""

from pathlib import Path

import numpy as np

from pf_app import mu_table
from pf_app.learn.loop import OUTSIDE_FLAG, flag_outside
from pf_app.learn.sampling import b2_domain

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "results" / "mc_b2_temperatures" / "b2_mu_T.csv"
KEEP = ["point_id", "kT", "c", "eta", "mu_c", "mu_eta", "se_mu_c", "se_mu_eta", "target_c", "target_eta",
        "n_sweeps", "flag_unconverged", "flag_split"]

if __name__ == "__main__":
    raw = mu_table.read(RAW)
    order = np.argsort(raw.columns["point_id"], kind="stable")
    cols = {n: np.array([float(f"{v:.8g}") for v in raw.columns[n][order]]) for n in KEEP}
    meta = {k: raw.meta[k] for k in ("energy_unit", "per_site", "convention", "ensemble", "campaign") if k in raw.meta}
    meta["provenance"] = ("pf_app mc inputs/mc_b2_temperatures.yaml, reduced by data/b2_temperature/reduce_table.py; "
                          "see data/b2_temperature/PROVENANCE.md")
    out = ROOT / "data" / "b2_temperature" / "b2_mu_T.csv"
    table = mu_table.MuTable(raw.order_parameters, cols, meta)
    table = flag_outside(table, b2_domain(0.02))  # the campaign's margin
    table.columns[OUTSIDE_FLAG] = table.columns[OUTSIDE_FLAG].astype(int).astype(float)
    mu_table.write(table, out)
    print(f"{out}: {len(order)} rows, {out.stat().st_size / 1e6:.2f} MB")
