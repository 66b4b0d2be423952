"""F(t) of PFHub 1a runs against the published MOOSE values: docs/pfhub/energy.png.

    .venv/bin/python docs/pfhub/plot_energy.py LABEL=RUN_DIR [LABEL=RUN_DIR ...]   (the last "=" separates)

Each RUN_DIR is a ``pf_app run`` output folder (its free_energy.csv is read).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MOOSE_F = {10.0: 295.7, 100.0: 140.6, 1000.0: 83.0, 1.0e4: 34.1, 1.0e5: 19.21, 1.0e6: 19.21}
F0_EXACT = 319.0433


def main(args: list[str]) -> int:
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for arg in args:
        label, run = arg.rsplit("=", 1)
        with open(Path(run) / "free_energy.csv", newline="") as fh:
            rows = [(float(r["time"]), float(r["free_energy"])) for r in csv.DictReader(fh)]
        t, f = zip(*[(ti, fi) for ti, fi in rows if ti > 0])
        ax.plot(t, f, lw=1.2, label=label)
    ax.plot(list(MOOSE_F), list(MOOSE_F.values()), "ko", ms=5, label="MOOSE upload (PFHub)")
    ax.axhline(F0_EXACT, color="0.6", lw=0.8, ls=":")
    ax.set(xscale="log", yscale="log", xlabel="t", ylabel="free energy F", title="PFHub benchmark 1a")
    ax.grid(True, which="both", lw=0.3)
    ax.legend(fontsize=8)
    out = Path(__file__).with_name("energy.png")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
