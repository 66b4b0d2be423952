"""F(t) of PFHub benchmark 1 runs: docs/pfhub/energy.png (1a, against the published MOOSE values),
energy_1b.png, energy_1c.png.

    .venv/bin/python docs/pfhub/plot_energy.py [--case 1a|1b|1c] LABEL=RUN_DIR [LABEL=RUN_DIR ...]   (the last "=" separates)

Each RUN_DIR is a ``pf_app run`` output folder (its free_energy.csv is read).  The dotted line is the
exact F(0) of the domain (319.0433 on the square, 31.88361 on the T).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MOOSE_F = {10.0: 295.7, 100.0: 140.6, 1000.0: 83.0, 1.0e4: 34.1, 1.0e5: 19.21, 1.0e6: 19.21}
CASES = {"1a": ("energy.png", 319.0433, MOOSE_F), "1b": ("energy_1b.png", 319.0433, None),
         "1c": ("energy_1c.png", 31.88361, None)}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", choices=sorted(CASES), default="1a")
    ap.add_argument("runs", nargs="+", metavar="LABEL=RUN_DIR")
    args = ap.parse_args(argv)
    name, f0_exact, reference = CASES[args.case]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for arg in args.runs:
        label, run = arg.rsplit("=", 1)
        with open(Path(run) / "free_energy.csv", newline="") as fh:
            rows = [(float(r["time"]), float(r["free_energy"])) for r in csv.DictReader(fh)]
        t, f = zip(*[(ti, fi) for ti, fi in rows if ti > 0])
        ax.plot(t, f, lw=1.2, label=label)
    if reference:
        ax.plot(list(reference), list(reference.values()), "ko", ms=5, label="MOOSE upload (PFHub)")
    ax.axhline(f0_exact, color="0.6", lw=0.8, ls=":")
    ax.set(xscale="log", yscale="log", xlabel="t", ylabel="free energy F", title=f"PFHub benchmark {args.case}")
    ax.grid(True, which="both", lw=0.3)
    ax.legend(fontsize=8)
    out = Path(__file__).with_name(name)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
