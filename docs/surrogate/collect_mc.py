"""The small tables notebooks/surrogate_mc.ipynb reads, from ``pf_app mc`` (``kind: surrogate_mc``) runs.

    .venv/bin/python docs/surrogate/collect_mc.py ALLOY:MODEL=RUN_DIR [ALLOY:MODEL=RUN_DIR ...]

e.g. ``CuAu:pair=results/surrogate_mc_cuau_pair CuAu:E=results/surrogate_mc_cuau_E``.  Writes, beside
this script: ``mc_peaks.csv`` (per alloy, composition and energy model: the Wang-Landau C_v peak
temperature as the mean over independent runs with its standard error and each run's value, the
temperature grid, the Metropolis grid peak with its C_v and standard error, the run's CPU seconds),
``mc_metropolis.csv`` (every run's metropolis.csv rows) and ``mc_dos.csv`` (every Wang-Landau run's
ln g(E) and microcanonical order parameter per energy bin).  Energies eV per cell, C_v k_B per cell.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import yaml

from pf_app.atomic_files import atomic_path

HERE = Path(__file__).resolve().parent


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, rows: list[dict]) -> None:
    """``rows`` as CSV, whole or not at all (a temporary file beside ``path``, renamed onto it)."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def collect(alloy: str, model: str, run: Path, peaks: list, metropolis: list, dos: list) -> None:
    """Append one run folder's rows (``label`` columns first) to the three tables."""
    summary = json.loads((run / "summary.json").read_text())
    t_first, t_last, count = yaml.safe_load((run / "config.yaml").read_text())["wang_landau"]["temperatures_K"]
    label = {"alloy": alloy, "energy_model": model}
    for n_b, entry in summary["compositions"].items():
        peaks.append({**label, "n_B": n_b, "wl_peak_T_K": entry["wang_landau_cv_peak_T_K"],
                      "wl_peak_T_se_K": entry["wang_landau_cv_peak_T_se_K"],
                      "wl_peak_T_K_runs": " ".join(f"{t:g}" for t in entry["wang_landau_cv_peak_T_K_runs"]),
                      "wl_T_first_K": t_first, "wl_T_last_K": t_last, "wl_T_count": count,
                      "metropolis_peak_T_K": entry["metropolis_cv_peak_T_K"],
                      "metropolis_peak_kB": f"{entry['metropolis_cv_peak_kB']:.6g}",
                      "metropolis_peak_se_kB": f"{entry['metropolis_cv_peak_se_kB']:.6g}",
                      "run_cpu_seconds": f"{summary['cpu_seconds']:.0f}"})
        dos += [{**label, "n_B": n_b, **r} for r in read_rows(run / f"dos_{n_b}.csv")]
    metropolis += [{**label, **r} for r in read_rows(run / "metropolis.csv")]


def main(args: list[str]) -> int:
    peaks, metropolis, dos = [], [], []
    for arg in args:
        name, run = arg.rsplit("=", 1)
        alloy, model = name.split(":")
        collect(alloy, model, Path(run), peaks, metropolis, dos)
    write_rows(HERE / "mc_peaks.csv", peaks)
    write_rows(HERE / "mc_metropolis.csv", metropolis)
    write_rows(HERE / "mc_dos.csv", dos)
    print(f"{len(peaks)} peaks, {len(metropolis)} Metropolis rows, {len(dos)} Wang-Landau bins in {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
