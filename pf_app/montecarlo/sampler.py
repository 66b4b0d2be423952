"""One state point: the Markov chain (:class:`Sampler`) and the run-until-precise driver (:func:`run_point`).

Ensembles (energies per site, kT in the model's energy unit):

* umbrella: weight exp(-(E + M phi_c (c - kappa_c)^2 + M phi_eta (eta - kappa_eta)^2)/kT);
  mu_c = -2 phi_c (<c> - kappa_c), mu_eta = -2 phi_eta (<eta> - kappa_eta) at (<c>, <eta>);
* semi-grand-canonical: weight exp(-(E - M mu_c c - M mu_eta eta)/kT) with given mu.

The time series are per-sweep averages over every attempt (one sweep = M attempts).  The start of the
equilibrated part is detected automatically; the run stops when the standard errors (from the
integrated autocorrelation time) are below ``se_target`` with at least ``min_effective_samples``
independent samples, or at ``max_sweeps`` (then ``flag_unconverged`` = 1).  Long points checkpoint
(spins, RNG state, series) and continue from the checkpoint when run again.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pf_app.atomic_files import atomic_path
from pf_app.montecarlo import kernels
from pf_app.montecarlo.config import SamplingConfig
from pf_app.montecarlo.estimators import binder_cumulant, detect_equilibration, mean_estimate
from pf_app.montecarlo.hamiltonian import ClusterExpansion, local_fields, total_energy
from pf_app.montecarlo.homogeneity import BlockOrder, split_summary
from pf_app.montecarlo.lattice import BCCLattice

COL = {name: i for i, name in enumerate(kernels.BLOCK_COLUMNS)}


@dataclass(frozen=True)
class Ensemble:
    """kT and the bias: umbrella (phi > 0, mu = 0) or semi-grand-canonical (phi = 0, mu given)."""

    kT: float
    phi_c: float = 0.0
    kappa_c: float = 0.0
    phi_eta: float = 0.0
    kappa_eta: float = 0.0
    mu_c: float = 0.0
    mu_eta: float = 0.0

    @property
    def is_umbrella(self) -> bool:
        return self.phi_c > 0 or self.phi_eta > 0

    def bias_vector(self) -> np.ndarray:
        return np.array([self.phi_c, self.kappa_c, self.phi_eta, self.kappa_eta, self.mu_c, self.mu_eta])


@dataclass(frozen=True)
class PointTask:
    """A state point: its id, ensemble, starting sublattice fractions (x1, x2), seed, extra columns."""

    point_id: int
    ensemble: Ensemble
    start: tuple[float, float]
    seed: int
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PointSettings:
    """What all points of a campaign share."""

    model: ClusterExpansion
    shape: tuple[int, int, int]
    sampling: SamplingConfig
    block: int
    bimodality_threshold: float = 5.0 / 9.0
    excess_variance_threshold: float = 4.0
    checkpoint_dir: Path | None = None
    campaign_key: str = ""


@functools.lru_cache(maxsize=4)
def lattice_tables(shape: tuple[int, int, int]):
    """(lattice, nb1, nb2, nb3, triangles), built once per process and supercell."""
    lat = BCCLattice(tuple(shape))
    return lat, lat.neighbours(1), lat.neighbours(2), lat.neighbours(3), lat.triangles


def initial_sigma(lattice: BCCLattice, x1: float, x2: float, rng: np.random.Generator) -> np.ndarray:
    """Random configuration with round(x_s M/2) B atoms on sublattice s (+1 = B, -1 = A), int8."""
    half = lattice.n_sites // 2
    sigma = np.full(lattice.n_sites, -1, np.int8)
    for sub, x in ((0, x1), (1, x2)):
        n_b = int(round(min(max(x, 0.0), 1.0) * half))
        sites = np.flatnonzero(lattice.sublattice == sub)
        sigma[rng.choice(sites, n_b, replace=False)] = 1
    return sigma


class Sampler:
    """The Markov chain of one state point; ``run(n)`` does n sweeps and returns per-sweep records."""

    def __init__(self, model: ClusterExpansion, shape, ensemble: Ensemble, sigma: np.ndarray, rng: np.ndarray):
        self.lattice, self.nb1, self.nb2, self.nb3, self.tri = lattice_tables(tuple(shape))
        self.model, self.ensemble = model, ensemble
        self.sigma, self.rng = np.ascontiguousarray(sigma, np.int8), np.ascontiguousarray(rng, np.uint64)
        self.coef = model.coefficients()
        self.bias = ensemble.bias_vector()
        self.field = local_fields(model, self.lattice, self.sigma)
        self.counts = np.array([np.sum(self.sigma[0::2] == 1), np.sum(self.sigma[1::2] == 1)], np.int64)
        self.energy = np.array([total_energy(model, self.lattice, self.sigma)])
        self.accepted = 0
        self.attempts = 0

    def run(self, n_sweeps: int) -> np.ndarray:
        """n_sweeps sweeps of M attempts; returns (n_sweeps, len(BLOCK_COLUMNS))."""
        m = self.lattice.n_sites
        out = np.empty((n_sweeps, len(kernels.BLOCK_COLUMNS)))
        self.accepted += kernels.metropolis_blocks(
            self.sigma, self.field, self.nb1, self.nb2, self.nb3, self.tri, self.coef, self.counts,
            self.energy, self.bias, 1.0 / self.ensemble.kT, self.rng, n_sweeps, m, out)
        self.attempts += n_sweeps * m
        return out


@dataclass
class _Chain:
    sampler: Sampler
    blocks: list = field(default_factory=list)  # arrays (n, 7)
    moments: list = field(default_factory=list)  # rows (sweep, 8 moments)
    elapsed: float = 0.0
    sweeps: int = 0

    def advance(self, n_sweeps: int, order: BlockOrder) -> None:
        """n_sweeps more sweeps, then one homogeneity snapshot."""
        self.blocks.append(self.sampler.run(n_sweeps))
        self.sweeps += n_sweeps
        self.moments.append((self.sweeps - 1, *order.moments(self.sampler.sigma)))


def _checkpoint_path(settings: PointSettings, task: PointTask) -> Path | None:
    if settings.checkpoint_dir is None:
        return None
    return Path(settings.checkpoint_dir) / f"point_{task.point_id}.npz"


def _checkpoint_key(settings: PointSettings, task: PointTask) -> str:
    return f"{settings.campaign_key}/{task.point_id}/{task.ensemble}"


def _save(chain: _Chain, path: Path, key: str) -> None:
    s = chain.sampler
    with atomic_path(path) as tmp:
        np.savez(tmp, key=np.array(key), sigma=s.sigma, rng=s.rng, blocks=np.concatenate(chain.blocks),
                 moments=np.array(chain.moments), accepted=s.accepted, attempts=s.attempts, elapsed=chain.elapsed)


def _restore(path: Path | None, key: str, settings: PointSettings, task: PointTask) -> _Chain | None:
    if path is None or not path.is_file():
        return None
    with np.load(path) as f:
        if str(f["key"]) != key:
            return None
        sampler = Sampler(settings.model, settings.shape, task.ensemble, f["sigma"], f["rng"])
        sampler.accepted, sampler.attempts = int(f["accepted"]), int(f["attempts"])
        blocks = f["blocks"]
        return _Chain(sampler, [blocks], [tuple(r) for r in f["moments"]], float(f["elapsed"]), len(blocks))


def _fresh(settings: PointSettings, task: PointTask) -> _Chain:
    lattice = lattice_tables(tuple(settings.shape))[0]
    rng = np.random.default_rng([settings.sampling.seed, task.seed, task.point_id])
    sigma = initial_sigma(lattice, *task.start, rng)
    return _Chain(Sampler(settings.model, settings.shape, task.ensemble, sigma,
                          kernels.seed_rng(settings.sampling.seed, task.seed * 1_000_003 + task.point_id)))


def analyse(chain: _Chain, settings: PointSettings, task: PointTask) -> tuple[dict, bool]:
    """The row of a point from its series so far, and whether the precision goal is met."""
    ens, cfg = task.ensemble, settings.sampling
    data = np.concatenate(chain.blocks)
    watched = ("c", "eta") if ens.is_umbrella else ("c", "abs_eta")
    t0 = detect_equilibration([data[:, COL[n]] for n in watched])
    prod = data[t0:]
    est = {n: mean_estimate(prod[:, COL[n]]) for n in ("c", "eta", "abs_eta", "energy")}
    m = chain.sampler.lattice.n_sites
    row = {"point_id": task.point_id, "kT": ens.kT, "c": est["c"].mean, "eta": est["eta"].mean}
    if ens.is_umbrella:
        row.update(mu_c=-2 * ens.phi_c * (est["c"].mean - ens.kappa_c),
                   mu_eta=-2 * ens.phi_eta * (est["eta"].mean - ens.kappa_eta),
                   se_mu_c=2 * ens.phi_c * est["c"].se, se_mu_eta=2 * ens.phi_eta * est["eta"].se,
                   kappa_c=ens.kappa_c, kappa_eta=ens.kappa_eta, phi_c=ens.phi_c, phi_eta=ens.phi_eta)
        errors = (row["se_mu_c"], row["se_mu_eta"])
    else:
        h = (prod[:, COL["energy_last"]] - ens.mu_c * prod[:, COL["c_last"]]
             - ens.mu_eta * prod[:, COL["eta_last"]])
        row.update(mu_c=ens.mu_c, mu_eta=ens.mu_eta, se_c=est["c"].se, se_eta=est["eta"].se,
                   abs_eta=est["abs_eta"].mean, se_abs_eta=est["abs_eta"].se,
                   heat_capacity=m * float(np.var(h)) / ens.kT ** 2,
                   binder_eta=binder_cumulant(prod[:, COL["eta_last"]]))
        errors = (est["c"].se, est["abs_eta"].se)
    n_eff = min(est[n].n_effective for n in watched)
    converged = max(errors) <= cfg.se_target and n_eff >= cfg.min_effective_samples
    moments = np.array([r[1:] for r in chain.moments if r[0] >= t0])
    row.update(task.extra)
    row.update(energy=est["energy"].mean, se_energy=est["energy"].se,
               tau_c=est["c"].tau, tau_eta=est["eta"].tau, n_effective=n_eff,
               n_sweeps=len(data), n_equilibration=t0,
               acceptance=chain.sampler.accepted / max(chain.sampler.attempts, 1),
               seconds=chain.elapsed, flag_unconverged=int(not converged))
    row.update(split_summary(moments, settings.bimodality_threshold, settings.excess_variance_threshold))
    return row, converged


def run_point(settings: PointSettings, task: PointTask) -> dict:
    """Sample one state point until precise (or the cap) and return its table row."""
    cfg = settings.sampling
    path, key = _checkpoint_path(settings, task), _checkpoint_key(settings, task)
    chain = _restore(path, key, settings, task) or _fresh(settings, task)
    order = BlockOrder(chain.sampler.lattice, settings.block)
    t_start, t_saved = time.perf_counter() - chain.elapsed, time.perf_counter()
    while True:
        # next convergence check after max(chunk_sweeps, a quarter of the run so far) more sweeps
        target = min(chain.sweeps + max(cfg.chunk_sweeps, chain.sweeps // 4), cfg.max_sweeps)
        target = max(target, min(cfg.min_sweeps, cfg.max_sweeps))
        while chain.sweeps < target:
            chain.advance(min(cfg.snapshot_every, target - chain.sweeps), order)
        chain.elapsed = time.perf_counter() - t_start
        if chain.sweeps >= cfg.min_sweeps:
            row, converged = analyse(chain, settings, task)
            if converged or chain.sweeps >= cfg.max_sweeps:
                break
        if path is not None and time.perf_counter() - t_saved > cfg.checkpoint_every_s:
            _save(chain, path, key)
            t_saved = time.perf_counter()
    if path is not None:
        path.unlink(missing_ok=True)
    return row

