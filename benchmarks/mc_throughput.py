"""Monte Carlo throughput figures, one JSON object per line: {"name", "value", "unit", "baseline", "ratio"}.

1. flip_attempts_per_s_per_core: the numba kernel (exact Metropolis, random site order, umbrella bias
   phi = 10) on the nearest-neighbour model, L = 12 (M = 3456), kT = 3 V_NN, B2-ordered target;
   baseline = a naive per-attempt Python/numpy implementation of the same algorithm, same run;
   ratio = value / baseline.  Goal: >= 40 M attempts/s/core.
2. seconds_per_point_se1e-4: one umbrella data point at kT = 3 V_NN, L = 12, run until both standard
   errors of mu are <= 1e-4 V_NN (equilibration included), at the B2 point (c, eta) = (1/sqrt2, 0.68)
   with phi_c = phi_eta = 1 V_NN; baseline = the naive implementation's time for the same attempts;
   ratio = baseline / value.  Goal: <= 0.3 s.
3. seconds_per_point_se1e-3_phi10: the same with the stiff bias phi = 10 V_NN (the bias needed inside
   the two-phase / antiphase region) at standard error 1e-3; the cost grows as phi / se^2.
4. campaign_speedup_2_mpi_ranks: wall time of an 8-point campaign (L = 8, fixed length) run as
   ``python -m pf_app mc`` serially divided by the same under ``mpirun -n 2``; baseline = 1 (serial),
   ratio = value / 2 (parallel efficiency).

Run: .venv/bin/python benchmarks/mc_throughput.py   (NUMBA_NUM_THREADS=1; the kernel is single threaded)
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from pf_app.montecarlo import kernels
from pf_app.montecarlo.config import SamplingConfig
from pf_app.montecarlo.hamiltonian import ClusterExpansion
from pf_app.montecarlo.lattice import BCCLattice
from pf_app.montecarlo.sampler import Ensemble, PointSettings, PointTask, Sampler, initial_sigma, run_point
from pf_app.montecarlo.targets import to_fractions

REPO = Path(__file__).resolve().parents[1]
SQRT2 = math.sqrt(2.0)
MODEL = ClusterExpansion(pairs=(1.0, 0.0, 0.0))
SHAPE = (12, 12, 12)
KT = 3.0
B2_POINT = (1 / SQRT2, 0.68)


def emit(name, value, unit, baseline, ratio):
    print(json.dumps({"name": name, "value": float(value), "unit": unit, "baseline": float(baseline),
                      "ratio": float(ratio)}), flush=True)


def naive_rate(seconds: float = 2.0) -> float:
    """Attempts/s of a straightforward Python loop over numpy arrays (same physics as the kernel)."""
    lat = BCCLattice(SHAPE)
    m, nb1, scale = lat.n_sites, lat.neighbours(1), SQRT2 / lat.n_sites
    sigma = initial_sigma(lat, *to_fractions(*B2_POINT), np.random.default_rng(0))
    rng = np.random.default_rng(1)
    n = np.array([np.sum(sigma[0::2] == 1), np.sum(sigma[1::2] == 1)])
    phi, kappa = 10.0, np.array(B2_POINT)

    def bias(n1, n2):
        c, e = (n1 + n2) * scale, (n1 - n2) * scale
        return m * phi * ((c - kappa[0]) ** 2 + (e - kappa[1]) ** 2)

    attempts, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(1000):
            i = rng.integers(m)
            s = sigma[i]
            d_e = -2.0 * s * MODEL.pairs[0] * sigma[nb1[i]].sum()
            new = n.copy()
            new[i & 1] -= s
            d_h = d_e + bias(*new) - bias(*n)
            if d_h <= 0 or rng.random() < math.exp(-d_h / KT):
                sigma[i] = -s
                n = new
        attempts += 1000
    return attempts / (time.perf_counter() - t0)


def kernel_rate(sweeps: int = 400) -> float:
    lat = BCCLattice(SHAPE)
    sigma = initial_sigma(lat, *to_fractions(*B2_POINT), np.random.default_rng(0))
    s = Sampler(MODEL, SHAPE, Ensemble(KT, 10.0, B2_POINT[0], 10.0, B2_POINT[1]), sigma, kernels.seed_rng(1))
    s.run(50)  # compile / warm up
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        s.run(sweeps)
        best = max(best, sweeps * lat.n_sites / (time.perf_counter() - t0))
    return best


def point_seconds(phi: float, se: float) -> tuple[float, int]:
    settings = PointSettings(MODEL, SHAPE, SamplingConfig(se_target=se, max_sweeps=10_000_000), block=3)
    task = PointTask(0, Ensemble(KT, phi, B2_POINT[0], phi, B2_POINT[1]), to_fractions(*B2_POINT), 1)
    t0 = time.perf_counter()
    row = run_point(settings, task)
    return time.perf_counter() - t0, int(row["n_sweeps"]) * 2 * int(np.prod(SHAPE))


def campaign_seconds(folder: Path, mpi: bool) -> float:
    cfg = {"model": {"pairs": [1.0]}, "supercell": [8, 8, 8], "temperatures": [5.0, 7.0], "ensemble": "umbrella",
           "umbrella": {"phi": [10.0, 10.0], "points": {"kind": "sobol", "n": 4}},
           "sampling": {"min_sweeps": 40000, "max_sweeps": 40000, "chunk_sweeps": 40000},
           "output": {"table": str(folder / "out.csv")}, "run": {"backend": "mpi" if mpi else "serial"}}
    path = folder / "mc.yaml"
    path.write_text(yaml.safe_dump(cfg))
    cmd = [sys.executable, "-m", "pf_app", "mc", str(path), "--quiet"]
    if mpi:
        cmd = [str(Path(sys.executable).parent / "mpirun"), "-n", "2", *cmd]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO, env={**os.environ, "NUMBA_NUM_THREADS": "1"})
    return time.perf_counter() - t0


def main() -> None:
    base = naive_rate()
    fast = kernel_rate()
    emit("flip_attempts_per_s_per_core", fast, "attempts/s", base, fast / base)
    seconds, attempts = point_seconds(1.0, 1e-4)
    emit("seconds_per_point_se1e-4", seconds, "s", attempts / base, attempts / base / seconds)
    seconds, attempts = point_seconds(10.0, 1e-3)
    emit("seconds_per_point_se1e-3_phi10", seconds, "s", attempts / base, attempts / base / seconds)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "serial").mkdir(), (Path(tmp) / "mpi").mkdir()
        t1 = campaign_seconds(Path(tmp) / "serial", mpi=False)
        t2 = campaign_seconds(Path(tmp) / "mpi", mpi=True)
    emit("campaign_speedup_2_mpi_ranks", t1 / t2, "x", 1.0, t1 / t2 / 2.0)


if __name__ == "__main__":
    main()
