"""Phase-field cost per time step on the seed's 200 x 200 periodic case (2 x 2 box).

Prints one JSON object per figure: seconds per step and Newton iterations per step for the
published B2 IDNN against the B2-shaped Landau polynomial of inputs/demo.yaml (the baseline), each
on 1 and 2 MPI ranks, and the 2-rank speed-up.  The IDNN runs three ways: g terms integrated
consistently (6 points per triangle) with the network as UFL (idnn_symbolic) or numpy at the points
(idnn_quadrature), and lumped (vertex rule, the network once per vertex: idnn_lumped, as in
inputs/b2.yaml).  The lumped IDNN is also compared with the lumped polynomial (same rule).
All runs start from the same state (c = 1/sqrt2, eta uniform in +-0.01) with a fixed dt = 1 so that
they solve comparable systems; the first step (form compilation, MUMPS analysis) is excluded.

    .venv/bin/python benchmarks/pf_step_cost.py [--cells 200] [--steps 8]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PUBLISHED = REPO.parent / "shared" / "data" / "mechanoChemIGA_B2_IDNN"


def run(free_energy: str, ranks: int, cells: int, steps: int, out: Path) -> dict:
    cmd = [str(Path(sys.executable).parent / "mpirun"), "-n", str(ranks), sys.executable, "-m", "pf_app", "run",
           str(REPO / "inputs" / "demo.yaml"), "--quiet", "--output", str(out),
           "--set", "mesh={lengths: [2.0, 2.0], cells: [%d, %d]}" % (cells, cells),
           "--set", f"time={{scheme: backward_euler, t_end: {steps + 1}.0, dt: 1.0, adapt: fixed}}",
           "--set", "output={fields_every: 0, png_every: 0, checkpoint_every: 100000}",
           "--set", f"free_energy={free_energy}"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    with open(out / "energy.csv") as fh:
        rows = list(csv.DictReader(fh))[2:]  # skip the initial row and the first (compiling) step
    return {"s_per_step": sum(float(r["wall_seconds"]) for r in rows) / len(rows),
            "newton_per_step": sum(int(r["newton_iterations"]) for r in rows) / len(rows)}


def emit(name, value, unit, baseline=None):
    ratio = value / baseline if baseline else None
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit,
                      "baseline": None if baseline is None else round(baseline, 4),
                      "ratio": None if ratio is None else round(ratio, 3)}), flush=True)


def arguments(doc: str) -> argparse.Namespace:
    """--cells, --steps, --repeat of a step-cost benchmark whose docstring is ``doc``."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--cells", type=int, default=200)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=2, help="interleaved repetitions; the fastest counts")
    return ap.parse_args()


def main() -> int:
    args = arguments(__doc__)
    energies = {"polynomial": "{kind: landau, c_ref: 0.7071067811865476, terms: [{coef: 1.8287, powers: [2, 0]}, "
                              "{coef: -0.0327, powers: [0, 2]}, {coef: 0.0327, powers: [0, 4]}]}"}
    if PUBLISHED.exists():
        energies["idnn_quadrature"] = f"{{kind: mechanochem, path: {PUBLISHED}, evaluation: quadrature}}"
        energies["idnn_symbolic"] = f"{{kind: mechanochem, path: {PUBLISHED}, evaluation: symbolic}}"
        energies["idnn_lumped"] = f"{{kind: mechanochem, path: {PUBLISHED}, integration: lumped}}"
        energies["polynomial_lumped"] = lumped(energies["polynomial"])
    else:
        print(json.dumps({"note": f"{PUBLISHED} absent: IDNN figures skipped"}))
    report(measure(energies, args.cells, args.steps, args.repeat), list(energies))
    return 0


def measure(energies: dict, cells: int, steps: int, repeat: int) -> dict:
    """``run`` for every free energy on 1 and 2 ranks, ``repeat`` rounds interleaved (so that a
    burst of load hits all alike); per case the round with the fewest seconds per step counts."""
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeat):
            for fe, spec in energies.items():
                for n in (1, 2):
                    got = run(spec, n, cells, steps, Path(tmp) / f"{fe}_{n}_{r}")
                    if (fe, n) not in res or got["s_per_step"] < res[(fe, n)]["s_per_step"]:
                        res[(fe, n)] = got
    return res


def lumped(spec: str) -> str:
    """The same free-energy specification (a YAML flow mapping) with ``integration: lumped``."""
    return spec[:-1] + ", integration: lumped}"


def report(res: dict, names: list[str], prefix: str = "") -> None:
    """Figures from ``run`` results keyed (name, ranks): cost and Newton iterations per step of each
    free energy against "polynomial" (the baseline), the 2-rank speed-up of each, and, when both
    ran, "idnn_lumped" against "polynomial_lumped" (the same integration rule)."""
    for n in (1, 2):
        base = res[("polynomial", n)]
        emit(f"{prefix}s_per_step_polynomial_{n}rank", base["s_per_step"], "s")
        emit(f"{prefix}newton_per_step_polynomial_{n}rank", base["newton_per_step"], "iterations")
        for fe in names:
            if fe == "polynomial":
                continue
            emit(f"{prefix}s_per_step_{fe}_{n}rank", res[(fe, n)]["s_per_step"], "s", base["s_per_step"])
            emit(f"{prefix}newton_per_step_{fe}_{n}rank", res[(fe, n)]["newton_per_step"], "iterations",
                 base["newton_per_step"])
        if "idnn_lumped" in names and "polynomial_lumped" in names:
            emit(f"{prefix}s_per_step_idnn_lumped_vs_polynomial_lumped_{n}rank", res[("idnn_lumped", n)]["s_per_step"],
                 "s", res[("polynomial_lumped", n)]["s_per_step"])
    for fe in names:
        emit(f"{prefix}speedup_2_vs_1_rank_{fe}", res[(fe, 1)]["s_per_step"] / res[(fe, 2)]["s_per_step"], "x")


if __name__ == "__main__":
    raise SystemExit(main())
