"""Write the shipped table data/b2/b2_mu.csv from the two raw campaign tables (results/mc_b2/).

Both campaigns (inputs/mc_b2_campaign.yaml, L = 12; inputs/mc_b2_hole_L6.yaml, L = 6) write the full
pf_app.mu_table table with every diagnostic column in 17 digits (~5 MB).  The shipped table keeps every
row of both, a column ``L`` (supercell edge in conventional cells), the columns a fit or a check needs,
and 8 significant digits (the standard errors are >= 1e-4 relative to |mu| <= 0.5 eV), plus
``flag_superseded`` = 1 on an L = 6 row when most L = 12 rows within 0.04 of it in (c, eta) are
homogeneous: there the larger box (smaller finite-size effects) is the data; the L = 6 rows count only
where the L = 12 boxes split.  A fit uses the rows with flag_split = 0 and flag_superseded = 0.
Run from the repository root after both campaigns:  .venv/bin/python data/b2/merge_tables.py
"""

from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from pf_app import mu_table

ROOT = Path(__file__).resolve().parents[2]
RAW = {12: ROOT / "results" / "mc_b2" / "b2_mu_L12.csv", 6: ROOT / "results" / "mc_b2" / "b2_mu_L6.csv"}
KEEP = ["point_id", "L", "kT", "c", "eta", "mu_c", "mu_eta", "se_mu_c", "se_mu_eta", "kappa_c", "kappa_eta",
        "phi_c", "phi_eta", "energy", "tau_c", "tau_eta", "n_sweeps", "acceptance", "seconds",
        "bimodality_c", "excess_var_c", "bimodality_eta", "excess_var_eta", "flag_unconverged", "flag_split"]
RADIUS = 0.04


def superseded(small: mu_table.MuTable, large: mu_table.MuTable) -> np.ndarray:
    """1.0 where most rows of ``large`` within RADIUS of a row of ``small`` are homogeneous (not split)."""
    tree = cKDTree(large.x)
    homogeneous = large.columns["flag_split"] == 0
    out = np.zeros(len(small))
    for i, near in enumerate(tree.query_ball_point(small.x, RADIUS)):
        out[i] = float(len(near) > 0 and homogeneous[near].mean() >= 0.5)
    return out


def merged() -> mu_table.MuTable:
    tables = {L: mu_table.read(p) for L, p in RAW.items()}
    cols = {}
    for name in KEEP:
        parts = [np.full(len(t), float(L)) if name == "L" else t.columns[name] for L, t in tables.items()]
        cols[name] = np.array([float(f"{v:.8g}") for v in np.concatenate(parts)])
    cols["flag_superseded"] = np.concatenate([np.zeros(len(tables[12])), superseded(tables[6], tables[12])])
    first = tables[12].meta
    meta = {k: first[k] for k in ("energy_unit", "per_site", "convention", "ensemble") if k in first}
    meta["campaign"] = "; ".join(f"L={L}: {t.meta.get('campaign')}" for L, t in tables.items())
    meta["provenance"] = ("pf_app mc inputs/mc_b2_campaign.yaml (L=12) + inputs/mc_b2_hole_L6.yaml (L=6), merged by "
                          "data/b2/merge_tables.py; see data/b2/PROVENANCE.md")
    return mu_table.MuTable(("c", "eta"), cols, meta)


if __name__ == "__main__":
    table = merged()
    out = ROOT / "data" / "b2" / "b2_mu.csv"
    mu_table.write(table, out)
    print(f"{out}: {len(table)} rows, {out.stat().st_size / 1e6:.1f} MB")
