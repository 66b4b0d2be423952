"""Monte Carlo with the local-environment network on a large cell: one JSON line.

* ``local_mc_swap_attempts_per_s_per_core``: canonical Metropolis swap attempts per CPU second
  (one thread) on a 16 x 16 x 16 FCC cell (16,384 sites, a = 3.75 angstrom, Cu3Au composition
  x = 0.25, random start) with a local network of 4 neighbour shells (12 + 6 + 24 + 12 neighbours)
  tabulated over its 59,150 environments (pf_app/montecarlo/local_energy.py; random weights:
  the speed does not depend on training), every energy change exact
  (pf_app/montecarlo/local_kernels.py).  2e7 attempts after a compile-and-warm-up run of 1e5
  (``--quick``: 2e6).  Goal >= 1e6.  Baseline: none (the fixed-cell network runs on its 32-site
  cell only; benchmarks/surrogate_mc.py).  The note gives wall seconds, acceptance, the energy
  drift against a fresh sum and the load.

Run: .venv/bin/python benchmarks/local_mc.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2e6 attempts instead of 2e7")
    args = parser.parse_args()
    from pf_app.montecarlo.local_energy import LocalNetworkEnergy, LocalNetworkModel
    from pf_app.montecarlo.local_mc import LocalState
    from pf_app.surrogate.structures import fcc_supercell

    lattice = fcc_supercell(3.75, 16)
    energy = LocalNetworkEnergy(LocalNetworkModel.with_random_weights(lattice, 4, seed=0, scale_eV=0.02), lattice)
    occ = np.zeros(lattice.n_sites, np.int8)
    occ[np.random.default_rng(0).permutation(lattice.n_sites)[: lattice.n_sites // 4]] = 1
    state = LocalState.start(energy, occ, np.zeros(lattice.n_sites, np.int32), seed=1)
    kT = 0.02  # eV, of the order of the site energies: a fair share of swaps accepted
    state.canonical(kT, 1, 100_000)  # compile and warm up
    blocks, attempts = 20, (100_000 if args.quick else 1_000_000)
    t0, c0 = time.perf_counter(), time.process_time()
    _, _, accepted = state.canonical(kT, blocks, attempts)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = blocks * attempts
    print(json.dumps({"name": "local_mc_swap_attempts_per_s_per_core", "value": round(n / cpu), "unit": "1/s",
                      "baseline": None, "ratio": None,
                      "note": f"goal >= 1e6; {n:.0e} attempts, {cpu:.2f} s CPU, {wall:.2f} s wall, acceptance "
                              f"{accepted / n:.3f}, drift {state.drift_eV():.1e} eV; 16^3 FCC, 16,384 sites; "
                              f"load {os.getloadavg()[0]:.1f}"}), flush=True)


if __name__ == "__main__":
    main()
