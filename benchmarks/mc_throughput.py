"""Monte Carlo throughput figures, one JSON object per line: {"name", "value", "unit", "baseline", "ratio"}.

1. flip_attempts_per_s_per_core: the numba kernel (exact Metropolis, random site order, umbrella bias
   phi = 10) on the nearest-neighbour BCC model (B2 map), L = 12 (M = 3456), kT = 3 V_NN, B2-ordered
   target; baseline = a naive per-attempt Python/numpy implementation of the same algorithm, same run;
   ratio = value / baseline.  Goal: >= 40 M attempts/s/core.
2. flip_attempts_per_s_per_core_fcc: the same kernel on an FCC binary with pairs to the 3rd neighbour
   (V = 1, -0.3, 0.2) and the nearest-neighbour triplet (0.1), 4-sublattice map, 8^3 cubic cells
   (M = 2048), disordered state at kT = 3 V_1 (acceptance ~0.3, the expensive regime: every accepted
   flip updates 66 partners), umbrella phi = 10 on all four order parameters at x = 1/2;
   baseline = icet's mchammer (semi-grand-canonical ensemble, the same model and supercell, same kT)
   when an interpreter with icet is available (``ICET_PYTHON`` or this one), else the figure's own
   value (ratio 1, and a line saying icet was not measured).  Goal: >= 20 M attempts/s/core.
3. seconds_per_point_se1e-4: (CPU) seconds of one umbrella data point at kT = 3 V_NN, BCC L = 12, run until both
   standard errors of mu are <= 1e-4 V_NN (equilibration included), at the B2 point
   (c, eta) = (1/sqrt2, 0.68) with phi = 1; baseline = the naive implementation's time for the same
   attempts; ratio = baseline / value.  Goal: <= 0.3 s.
4. seconds_per_point_se1e-3_phi10: the same with the stiff bias phi = 10 at standard error 1e-3.
5. seconds_per_point_se1e-4_fcc: one umbrella point of the FCC model of 2 on the 4-sublattice map,
   6^3 cubic cells, kT = 3 V_1, phi = 1 on all four order parameters, aimed at the disordered
   x = (0.6, 0.5, 0.5, 0.4), run until all four standard errors of mu are <= 1e-4 V_1; baseline = the
   same attempts at the naive BCC rate; ratio = baseline / value.
6. campaign_speedup_2_mpi_ranks: wall time of an 8-point campaign (L = 8, fixed length) run as
   ``python -m pf_app mc`` serially divided by the same under ``mpirun -n 2``; baseline = 1 (serial),
   ratio = value / 2 (parallel efficiency).

Run: .venv/bin/python benchmarks/mc_throughput.py [--quick]   (NUMBA_NUM_THREADS=1; single threaded)
``--quick`` skips the se = 1e-4 points and the MPI campaign.  Rates and seconds per point are per CPU
second of this (single-threaded) process, ``time.process_time``: the figure per core, which other
jobs on a shared machine change far less than wall time (cache and frequency still do: quote
``uptime`` with the figures).  The MPI speed-up is wall time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
SQRT2 = math.sqrt(2.0)
KT = 3.0
B2_POINT = (1 / SQRT2, 0.68)
FCC_ECIS = {2: [1.0, -0.3, 0.2], 3: [0.1]}
FCC_CUTOFFS = (1.25, 0.75)  # pairs to the 3rd neighbour (a sqrt(3/2)), triplets within a/sqrt2
FCC_REPEATS = (8, 8, 8)


def emit(name, value, unit, baseline, ratio):
    print(json.dumps({"name": name, "value": float(value), "unit": unit, "baseline": float(baseline),
                      "ratio": float(ratio)}), flush=True)


def naive_rate(seconds: float = 2.0) -> float:
    """Attempts/s of a straightforward Python loop over numpy arrays (same physics as the BCC kernel run)."""
    from pf_app.montecarlo.sampler import cluster_tables, initial_sigma
    from pf_app.montecarlo.standard_models import B2_MAP, b2_model

    tables = cluster_tables(b2_model(pairs=(1.0,), repeats=(12, 12, 12)))
    sc = tables.supercell
    m, nb1 = sc.n_sites, tables.clusters[2]
    neighbours = [[] for _ in range(m)]
    for a, b in nb1:
        neighbours[a].append(b)
        neighbours[b].append(a)
    neighbours = np.array(neighbours)
    sigma = initial_sigma(sc, B2_MAP.fractions(B2_POINT), np.random.default_rng(0))
    rng = np.random.default_rng(1)
    n = np.array([np.sum(sigma[0::2] == 1), np.sum(sigma[1::2] == 1)])
    phi, kappa, scale = 10.0, np.array(B2_POINT), SQRT2 / m

    def bias(n1, n2):
        c, e = (n1 + n2) * scale, (n1 - n2) * scale
        return m * phi * ((c - kappa[0]) ** 2 + (e - kappa[1]) ** 2)

    attempts, t0 = 0, time.process_time()
    while time.process_time() - t0 < seconds:
        for _ in range(1000):
            i = rng.integers(m)
            s = sigma[i]
            d_e = -2.0 * s * sigma[neighbours[i]].sum()
            new = n.copy()
            new[i & 1] -= s
            d_h = d_e + bias(*new) - bias(*n)
            if d_h <= 0 or rng.random() < math.exp(-d_h / KT):
                sigma[i] = -s
                n = new
        attempts += 1000
    return attempts / (time.process_time() - t0)


def kernel_rate(model, ensemble, start, sweeps: int = 400) -> tuple[float, float]:
    """(best attempts per CPU second of three runs, acceptance) of the compiled kernel."""
    from pf_app.montecarlo import kernels
    from pf_app.montecarlo.sampler import Sampler, cluster_tables, initial_sigma

    sigma = initial_sigma(cluster_tables(model).supercell, start, np.random.default_rng(0))
    s = Sampler(model, ensemble, sigma, kernels.seed_rng(1))
    s.run(50)  # compile / warm up
    best = 0.0
    for _ in range(3):
        t0 = time.process_time()
        s.run(sweeps)
        best = max(best, sweeps * s.n_sites / (time.process_time() - t0))
    return best, s.accepted / s.attempts


def fcc_model(repeats=FCC_REPEATS):
    from pf_app.montecarlo.standard_models import fcc_model as build

    return build(FCC_ECIS, cutoffs=FCC_CUTOFFS, repeats=repeats)


def point_seconds(model, ensemble, start, se: float) -> tuple[float, int]:
    from pf_app.montecarlo.config import SamplingConfig
    from pf_app.montecarlo.sampler import PointSettings, PointTask, run_point

    settings = PointSettings(model, SamplingConfig(se_target=se, max_sweeps=10_000_000), block=3)
    t0 = time.process_time()
    row = run_point(settings, PointTask(0, ensemble, tuple(start), 1))
    return time.process_time() - t0, int(row["n_sweeps"]) * cluster_tables_sites(model)


def cluster_tables_sites(model) -> int:
    from pf_app.montecarlo.sampler import cluster_tables

    return cluster_tables(model).supercell.n_sites


def icet_python() -> str | None:
    """An interpreter that can import icet: $ICET_PYTHON, else this one if it has icet, else None."""
    candidate = os.environ.get("ICET_PYTHON", sys.executable)
    ok = shutil.which(candidate) or Path(candidate).exists()
    if ok and subprocess.run([candidate, "-c", "import icet, mchammer"], capture_output=True).returncode == 0:
        return candidate
    return None


def icet_worker(n_attempts: int) -> None:
    """(Run by an icet interpreter) mchammer SGC on the FCC model of figure 2; prints attempts/s."""
    from ase.build import bulk, make_supercell
    from icet import ClusterExpansion, ClusterSpace
    from mchammer.calculators import ClusterExpansionCalculator
    from mchammer.ensembles import SemiGrandCanonicalEnsemble

    prim = bulk("Au", "fcc", a=1.0)
    cs = ClusterSpace(prim, list(FCC_CUTOFFS), [["Au", "Pd"]])
    # icet: E per atom = J0 + sum_a J_a <Pi_a>; ours: E = sum_a V_a sum_(clusters) Pi, so J_a = V_a m_a
    # (m_a clusters per primitive cell); orbits of this model are in the same order (pairs 1-3, triplet)
    mult = [o.multiplicity if hasattr(o, "multiplicity") else len(o) for o in cs.orbit_list.orbits]
    ours = [*FCC_ECIS[2], *FCC_ECIS[3]]
    params = [0.0, 0.0] + [v * m for v, m in zip(ours, mult[1:])]
    ce = ClusterExpansion(cs, params)
    structure = make_supercell(prim, 4 * np.array(FCC_REPEATS)[:, None] * np.eye(3) @ np.array(
        [[-1, 1, 1], [1, -1, 1], [1, 1, -1]]) / 4)
    rng = np.random.default_rng(0)
    structure.set_chemical_symbols(rng.choice(["Au", "Pd"], len(structure)).tolist())
    calc = ClusterExpansionCalculator(structure, ce)
    ens = SemiGrandCanonicalEnsemble(structure, calc, temperature=KT, chemical_potentials={"Au": 0.0, "Pd": 0.0},
                                     boltzmann_constant=1.0, random_seed=1, ensemble_data_write_interval=10 ** 9)
    ens.run(len(structure))  # warm up
    t0 = time.process_time()
    ens.run(n_attempts)
    print(json.dumps({"rate": n_attempts / (time.process_time() - t0), "sites": len(structure)}))


def icet_rate(python: str) -> float:
    out = subprocess.run([python, __file__, "--icet-worker", "200000"], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": ""}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["rate"]


def campaign_seconds(folder: Path, mpi: bool) -> float:
    cfg = yaml.safe_load((REPO / "inputs" / "mc_b2_umbrella.yaml").read_text())
    cfg.update({"supercell": [8, 8, 8], "temperatures": [5.0, 7.0],
                "umbrella": {"phi": [10.0, 10.0], "points": {"kind": "sobol", "n": 4}},
                "sampling": {"min_sweeps": 40000, "max_sweeps": 40000, "chunk_sweeps": 40000},
                "output": {"table": str(folder / "out.csv")}, "run": {"backend": "mpi" if mpi else "serial"}})
    cfg.pop("homogeneity", None)
    path = folder / "mc.yaml"
    path.write_text(yaml.safe_dump(cfg))
    cmd = [sys.executable, "-m", "pf_app", "mc", str(path), "--quiet"]
    if mpi:
        cmd = [str(Path(sys.executable).parent / "mpirun"), "-n", "2", *cmd]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO, env={**os.environ, "NUMBA_NUM_THREADS": "1"})
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the se = 1e-4 points and the MPI campaign")
    parser.add_argument("--icet-worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.icet_worker:
        icet_worker(args.icet_worker)
        return
    from pf_app.montecarlo.sampler import Ensemble
    from pf_app.montecarlo.standard_models import B2_MAP, FCC_MAP, b2_model

    bcc = b2_model(pairs=(1.0,), repeats=(12, 12, 12))
    base = naive_rate()
    fast, _ = kernel_rate(bcc, Ensemble(KT, (10.0, 10.0), B2_POINT), B2_MAP.fractions(B2_POINT))
    emit("flip_attempts_per_s_per_core", fast, "attempts/s", base, fast / base)

    fcc = fcc_model()
    half = (0.5, 0.5, 0.5, 0.5)
    fcc_rate, acceptance = kernel_rate(fcc, Ensemble(KT, (10.0,) * 4, tuple(FCC_MAP.eta(half))), half)
    python = icet_python()
    if python is None:
        print(json.dumps({"note": "icet not importable (set ICET_PYTHON to an interpreter with icet): "
                                  "flip_attempts_per_s_per_core_fcc has no mchammer baseline"}), flush=True)
        emit("flip_attempts_per_s_per_core_fcc", fcc_rate, "attempts/s", fcc_rate, 1.0)
    else:
        ref = icet_rate(python)
        emit("flip_attempts_per_s_per_core_fcc", fcc_rate, "attempts/s", ref, fcc_rate / ref)
    print(json.dumps({"note": f"FCC kernel acceptance {acceptance:.3f}"}), flush=True)

    seconds, attempts = point_seconds(bcc, Ensemble(KT, (10.0, 10.0), B2_POINT), B2_MAP.fractions(B2_POINT), 1e-3)
    emit("seconds_per_point_se1e-3_phi10", seconds, "s", attempts / base, attempts / base / seconds)
    if args.quick:
        return
    seconds, attempts = point_seconds(bcc, Ensemble(KT, (1.0, 1.0), B2_POINT), B2_MAP.fractions(B2_POINT), 1e-4)
    emit("seconds_per_point_se1e-4", seconds, "s", attempts / base, attempts / base / seconds)
    x = (0.6, 0.5, 0.5, 0.4)
    seconds, attempts = point_seconds(fcc_model((6, 6, 6)), Ensemble(KT, (1.0,) * 4, tuple(FCC_MAP.eta(x))), x, 1e-4)
    emit("seconds_per_point_se1e-4_fcc", seconds, "s", attempts / base, attempts / base / seconds)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "serial").mkdir(), (Path(tmp) / "mpi").mkdir()
        t1 = campaign_seconds(Path(tmp) / "serial", mpi=False)
        t2 = campaign_seconds(Path(tmp) / "mpi", mpi=True)
    emit("campaign_speedup_2_mpi_ranks", t1 / t2, "x", 1.0, t1 / t2 / 2.0)


if __name__ == "__main__":
    main()
