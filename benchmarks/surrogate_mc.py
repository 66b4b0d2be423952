"""Monte Carlo steps per second with the network energy, and Wang-Landau against enumeration.

Figures (one JSON line each):

* ``surrogate_mc_steps_per_s``: canonical Metropolis swap attempts per second on the 32-site LSMS
  FePt cell with the energy head of the default surrogate (trunk 512-512, head 512 split as in ECM,
  numpy float32; weights random: the speed does not depend on training), 1e6 attempts
  (1,000 walkers x 1,000 steps, each step one network call for all walkers; ``--quick``: 1e5).
  Goal: 1e6 steps in <= 60 s on 2 cores (>= 16,667 steps/s).  Baseline: LSMS at the seed's cost per
  configuration.  The seed quotes ~1 s per network prediction on a V100 (docs/surrogate.md) and its
  abstract (Lupo Pasini et al. 2021) says the trained networks are "hundreds of times faster than
  first-principles DFT": so LSMS costs at least ~100 s per configuration; baseline 0.01
  configurations/s (a lower bound on LSMS's cost, so the ratio is a lower bound too).
* ``wang_landau_log_dos_max_error``: max |ln g_WL - ln g_exact| over the occupied energy bins, both
  normalized to the 35,960 configurations of 4 Au on the 32-site LSMS CuAu cell, energy the shipped
  labeler's pair model (the linear pair fit to the LSMS CuAu data), 24 bins, 64 walkers, 1/t
  Wang-Landau to ln f = 1e-5 (``--quick``: 1e-4).  Goal <= 0.05.

Wall seconds depend on the machine's load: each figure's note gives the process CPU seconds too.

Run: .venv/bin/python benchmarks/surrogate_mc.py [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from math import comb

import numpy as np

LSMS_CONFIGURATIONS_PER_S = 0.01  # >= 100 s per LSMS configuration (see the docstring)


def emit(name, value, unit, baseline=None, ratio=None):
    print(json.dumps({"name": name, "value": value, "unit": unit, "baseline": baseline, "ratio": ratio}), flush=True)


def mc_steps_per_second(n_steps: int, n_walkers: int = 1000) -> tuple[float, float]:
    """(steps per wall second, process CPU seconds)."""
    from pf_app.montecarlo.energy_models import NetworkEnergy
    from pf_app.surrogate.evaluator import NumpySurrogate
    from pf_app.montecarlo.fixed_cell_mc import WalkerState, metropolis, random_occupations
    from pf_app.surrogate.structures import lsms_fept_lattice

    rng = np.random.default_rng(0)

    def layer(n_in, n_out, act):
        return (rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)).astype(np.float32),
                np.zeros(n_out, np.float32), act)

    # the default network (NetworkConfig: 512-512 trunk, task_width 512 split over E, C, M), E head
    net = NumpySurrogate((26, 78), [layer(64, 512, "gelu"), layer(512, 512, "gelu")],
                         {"E": [layer(512, 512 // 3, "gelu"), layer(512 // 3, 1, "linear")]})
    energy = NetworkEnergy(net, 0.0, 1.0, lsms_fept_lattice(), (26, 78))
    state = WalkerState.start(random_occupations(n_walkers, 32, 16, rng), energy)
    metropolis(energy, state, 0.05, 5, seed=1)  # warm-up (BLAS threads, caches)
    t0, c0 = time.perf_counter(), time.process_time()
    metropolis(energy, state, 0.05, n_steps // n_walkers, seed=2)
    return n_steps / (time.perf_counter() - t0), time.process_time() - c0


def wang_landau_error(ln_f_final: float) -> tuple[float, dict]:
    from pf_app.montecarlo.energy_models import PairEnergy
    from pf_app.montecarlo.fixed_cell_mc import WalkerState, random_occupations
    from pf_app.surrogate.labelers import LatticeLabeler
    from pf_app.surrogate.pairmodel import LinearPairModel
    from pf_app.surrogate.structures import lsms_cuau_lattice
    from pf_app.montecarlo.wang_landau import wang_landau

    lab = LatticeLabeler.load()
    coef = np.array(lab.composition_coefficients_eV + lab.pair_coefficients_eV)
    energy = PairEnergy(LinearPairModel(lsms_cuau_lattice(), lab.species, lab.n_shells,
                                        len(lab.composition_coefficients_eV) - 1, coef))
    n_sites, n_b = 32, 4
    states = np.zeros((comb(n_sites, n_b), n_sites), dtype=np.int8)
    for row, sites in zip(states, itertools.combinations(range(n_sites), n_b)):
        row[list(sites)] = 1
    e = energy(states)
    n_bins = 24
    pad = 1e-6 * np.ptp(e)
    lo, hi = e.min() - pad, e.max() + pad
    exact = np.histogram(e, bins=np.linspace(lo, hi, n_bins + 1))[0]
    rng = np.random.default_rng(3)
    state = WalkerState.start(random_occupations(64, n_sites, n_b, rng), energy)
    t0, c0 = time.perf_counter(), time.process_time()
    dos = wang_landau(energy, state, lo, hi, n_bins, seed=4, ln_f_final=ln_f_final, check_every=500)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    occupied = exact > 0
    if not np.array_equal(np.isfinite(dos.ln_g), occupied):
        return float("inf"), {}
    err = np.abs(dos.normalized(len(states))[occupied] - np.log(exact[occupied]))
    return float(err.max()), {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "steps_per_walker": dos.steps, "occupied_bins": int(occupied.sum()),
                              "configurations": len(states)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1e5 MC steps and ln f = 1e-4")
    args = ap.parse_args()
    n_steps = 100_000 if args.quick else 1_000_000
    rate, cpu = mc_steps_per_second(n_steps)
    emit("surrogate_mc_steps_per_s", round(rate, 1), "steps/s", LSMS_CONFIGURATIONS_PER_S,
         round(rate / LSMS_CONFIGURATIONS_PER_S, 1))
    print(json.dumps({"note": f"{n_steps} steps in {n_steps / rate:.1f} s wall, {cpu:.1f} s CPU "
                                       f"(goal: 1e6 in <= 60 s)"}), flush=True)
    err, info = wang_landau_error(1e-4 if args.quick else 1e-5)
    emit("wang_landau_log_dos_max_error", round(err, 4), "ln g", 0.05, round(err / 0.05, 3))
    print(json.dumps({"note": info}), flush=True)


if __name__ == "__main__":
    main()
