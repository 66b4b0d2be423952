"""Phase-field cost per time step at 200 x 200 (2 x 2 periodic box) with OUR B2 IDNN (models/b2_idnn.json,
from Monte Carlo) against a Landau polynomial of the same shape (goal: ratio <= 1.1), on 1 and 2 ranks;
g terms integrated consistently (idnn: the network as UFL) and lumped (idnn_lumped: the vertex rule,
the network once per vertex, as inputs/b2.yaml runs it), each polynomial with the same rule too.

The polynomial matches our IDNN at c = 1/sqrt2: g = a (c - 1/sqrt2)^2 + b eta^2 + d eta^4 with
a = g_cc/2, b = g_eta,eta/2 at the disordered state and d = -b / (2 eta_w^2) (well at eta_w), all read
from the IDNN, so both runs solve the same physics from the same start with dt = 1 fixed.  Uses the
runner of benchmarks/pf_step_cost.py (first step, with form compilation, excluded).

    .venv/bin/python benchmarks/b2_step_cost.py [--cells 200] [--steps 8]      (run on a quiet machine)
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pf_step_cost import arguments, lumped, measure, report  # noqa: E402

from pf_app.idnn.weights import load  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "b2_idnn.json"


def matching_polynomial(path: Path) -> str:
    s = 1 / math.sqrt(2)
    fe = load(path)
    h = fe.evaluate(np.array([[s, 0.0]]), 2)[2][0]
    eta = np.linspace(0, s, 2001)
    eta_w = eta[np.argmin(fe.evaluate(np.column_stack([np.full_like(eta, s), eta]), 0))]
    a, b = h[0, 0] / 2, h[1, 1] / 2
    d = -b / (2 * eta_w ** 2)
    return (f"{{kind: landau, c_ref: {s!r}, terms: [{{coef: {a:.6g}, powers: [2, 0]}}, "
            f"{{coef: {b:.6g}, powers: [0, 2]}}, {{coef: {d:.6g}, powers: [0, 4]}}]}}")


def main() -> int:
    args = arguments(__doc__)
    poly, idnn = matching_polynomial(MODEL), f"{{kind: idnn, path: {MODEL}}}"
    energies = {"polynomial": poly, "idnn": idnn, "polynomial_lumped": lumped(poly), "idnn_lumped": lumped(idnn)}
    report(measure(energies, args.cells, args.steps, args.repeat), list(energies), prefix="b2_")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
