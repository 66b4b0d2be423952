"""Size consistency of the local-environment network: one JSON line.

* ``size_consistency_rel_error``: max over configurations and replicas of
  ``|E(n x n x n replica) - n^3 E(cell)| / |n^3 E(cell)|`` for a local network (random weights,
  the architecture of ``model.kind: local``: GELU trunk, tanh head; 4 shells, pair classes of the
  first shell) evaluated in float64 by the numpy twin, on the LSMS CuAu cell (32 sites, n = 2, 3, 4:
  up to 2,048 sites) and the LSMS FePt cell (n = 2, 3); 20 random configurations each.  The site
  energies of a replica repeat exactly; only the summation order differs (round-off, ~M eps).
  Goal <= 1e-12.  Baseline: none (the fixed-cell network reads one cell size only).

Run: .venv/bin/python benchmarks/local_size_consistency.py
"""

from __future__ import annotations

import json
import os

import numpy as np


def main() -> None:
    from pf_app.surrogate.evaluator import NumpySurrogate
    from pf_app.surrogate.local_environment import LocalEnvironment
    from pf_app.surrogate.structures import lsms_cuau_lattice, lsms_fept_lattice, replica

    rng = np.random.default_rng(0)
    worst, sizes = 0.0, []
    for lattice, repeats in ((lsms_cuau_lattice(), (2, 3, 4)), (lsms_fept_lattice(), (2, 3))):
        env = LocalEnvironment.of(lattice, 4, pair_shells=1)
        widths = (env.n_features(2), 32, 32)
        trunk = [(rng.normal(0, 1 / np.sqrt(a), (a, b)), rng.normal(0, 0.1, b), "gelu")
                 for a, b in zip(widths[:-1], widths[1:])]
        head = [(rng.normal(0, 0.2, (32, 16)), rng.normal(0, 0.1, 16), "tanh"),
                (rng.normal(0, 0.25, (16, 1)), rng.normal(0, 0.1, 1), "linear")]
        net = NumpySurrogate((29, 79), trunk, {"E": head}, local=True)
        occ = (rng.random((20, lattice.n_sites)) < rng.random((20, 1))).astype(np.int8)
        e_cell = net.site_values(env.features(occ, 2).astype(np.float64), "E")["E"].sum(axis=1)
        for n in repeats:
            big = replica(lattice, n)
            env_big = LocalEnvironment.of(big, 4, pair_shells=1)
            e_big = net.site_values(env_big.features(np.tile(occ, (1, n ** 3)), 2).astype(np.float64),
                                    "E")["E"].sum(axis=1)
            worst = max(worst, float(np.max(np.abs(e_big - n ** 3 * e_cell) / np.abs(n ** 3 * e_cell))))
            sizes.append(big.n_sites)
    print(json.dumps({"name": "size_consistency_rel_error", "value": worst, "unit": "1", "baseline": None,
                      "ratio": None, "note": f"goal <= 1e-12; replicas of {sorted(set(sizes))} sites, "
                                             f"20 configurations each; load {os.getloadavg()[0]:.1f}"}), flush=True)


if __name__ == "__main__":
    main()
