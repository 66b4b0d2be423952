"""One state point: the Markov chain (:class:`Sampler`) and the run-until-precise driver (:func:`run_point`).

Ensembles (energies per site, kT in the model's energy unit, eta = Q x the order parameters):

* umbrella: weight exp(-(E + M sum_k phi_k (eta_k - kappa_k)^2)/kT);
  mu_k = -2 phi_k (<eta_k> - kappa_k) at <eta>;
* semi-grand-canonical: weight exp(-(E - M sum_k mu_k eta_k)/kT) with given mu.

The time series are per-sweep averages over every attempt (one sweep = M attempts).  The start of the
equilibrated part is detected automatically; the run stops when the standard errors (from the
integrated autocorrelation time) are below ``se_target`` with at least ``min_effective_samples``
independent samples, or at ``max_sweeps`` (then ``flag_unconverged`` = 1).  Long points checkpoint
(occupations, RNG state, series; format ``pf_app.montecarlo.point_checkpoint`` version 1,
docs/formats.md) and continue from the checkpoint when run again.

Library API (used by campaigns and by active learning): build a :class:`PointSettings` from a
:class:`~pf_app.montecarlo.model.SamplerModel` and :class:`SamplingConfig`, a :class:`PointTask` with an
:class:`Ensemble`, and call :func:`run_point` -> the table row (a dict).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pf_app import mu_table
from pf_app.atomic_files import atomic_path
from pf_app.file_format import check_npz_format
from pf_app.montecarlo import kernels
from pf_app.montecarlo.config import SamplingConfig
from pf_app.montecarlo.estimators import binder_cumulant, detect_equilibration, mean_estimate
from pf_app.montecarlo.hamiltonian import ClusterTables
from pf_app.montecarlo.homogeneity import BlockOrder, split_summary
from pf_app.montecarlo.lattice import Supercell
from pf_app.montecarlo.model import SamplerModel

_TABLES: dict[tuple, ClusterTables] = {}  # per process: (model fingerprint, ordering cell, repeats) -> tables
_TABLES_KEPT = 4
CHECKPOINT_FORMAT, CHECKPOINT_VERSION = "pf_app.montecarlo.point_checkpoint", 1


@dataclass(frozen=True)
class Ensemble:
    """kT and, per order parameter, the bias: umbrella (phi > 0, mu = 0) or semi-grand-canonical (phi = 0, mu)."""

    kT: float
    phi: tuple[float, ...] = ()
    kappa: tuple[float, ...] = ()
    mu: tuple[float, ...] = ()

    @property
    def is_umbrella(self) -> bool:
        return any(p > 0 for p in self.phi)

    def vectors(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(phi, kappa, mu) as float64 arrays of length n (missing entries 0)."""
        def pad(v):
            out = np.zeros(n)
            out[: len(v)] = v
            return out

        return pad(self.phi), pad(self.kappa), pad(self.mu)


@dataclass(frozen=True)
class PointTask:
    """A state point: its id, ensemble, starting sublattice fractions x (one per sublattice), seed, extra columns."""

    point_id: int
    ensemble: Ensemble
    start: tuple[float, ...]
    seed: int
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PointSettings:
    """What all points of a campaign share."""

    model: SamplerModel
    sampling: SamplingConfig
    block: int
    bimodality_threshold: float = 5.0 / 9.0
    excess_variance_threshold: float = 4.0
    checkpoint_dir: Path | None = None
    campaign_key: str = ""


def cluster_tables(model: SamplerModel) -> ClusterTables:
    """The model's cluster tables on its supercell, built once per process."""
    key = (model.expansion.fingerprint, model.order_map.cell.tobytes(), model.repeats)
    if key not in _TABLES:
        if len(_TABLES) >= _TABLES_KEPT:
            _TABLES.pop(next(iter(_TABLES)))
        _TABLES[key] = ClusterTables(model.expansion, model.order_map, model.repeats)
    return _TABLES[key]


def initial_sigma(supercell: Supercell, x, rng: np.random.Generator) -> np.ndarray:
    """Random configuration with round(x_s N_s) sigma = +1 sites on sublattice s, int8."""
    sigma = np.full(supercell.n_sites, -1, np.int8)
    for sub, xs in enumerate(x):
        sites = np.flatnonzero(supercell.sublattice == sub)
        n_b = int(round(min(max(xs, 0.0), 1.0) * len(sites)))
        sigma[rng.choice(sites, n_b, replace=False)] = 1
    return sigma


class Sampler:
    """The Markov chain of one state point; ``run(n)`` does n sweeps and returns per-sweep records."""

    def __init__(self, model: SamplerModel, ensemble: Ensemble, sigma: np.ndarray, rng: np.ndarray,
                 tables: ClusterTables | None = None):
        """``tables``: the model's own (default) or other tables of its supercell (e.g. twisted boundaries)."""
        self.model, self.ensemble = model, ensemble
        self.tables = cluster_tables(model) if tables is None else tables
        sc = self.tables.supercell
        self.sigma, self.rng = np.ascontiguousarray(sigma, np.int8), np.ascontiguousarray(rng, np.uint64)
        self.columns = kernels.block_columns(model.order_map.names)
        self.phi, self.kappa, self.mu = ensemble.vectors(model.order_map.n)
        per_sublattice = sc.n_sites // sc.n_sublattices
        self.amat = np.ascontiguousarray(model.order_map.Q / per_sublattice)
        self.field = self.tables.local_fields(self.sigma)
        self.counts = np.bincount(sc.sublattice, weights=self.sigma == 1, minlength=sc.n_sublattices).astype(np.int64)
        self.energy = np.array([self.tables.total_energy(self.sigma)])
        self.accepted = 0
        self.attempts = 0

    @property
    def n_sites(self) -> int:
        return self.tables.supercell.n_sites

    def run(self, n_sweeps: int) -> np.ndarray:
        """n_sweeps sweeps of M attempts; returns (n_sweeps, len(columns))."""
        t, m = self.tables, self.n_sites
        out = np.empty((n_sweeps, len(self.columns)))
        self.accepted += kernels.metropolis_blocks(
            self.sigma, self.field, t.supercell.sublattice, *t.kernel_arguments(), self.counts, self.energy,
            self.amat, self.phi, self.kappa, self.mu, 1.0 / self.ensemble.kT, self.rng, n_sweeps, m, out)
        self.attempts += n_sweeps * m
        return out


@dataclass
class _Chain:
    sampler: Sampler
    blocks: list = field(default_factory=list)  # arrays (n, len(block_columns))
    moments: list = field(default_factory=list)  # rows (sweep, 4 moments per order parameter)
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
                 moments=np.array(chain.moments), accepted=s.accepted, attempts=s.attempts, elapsed=chain.elapsed,
                 format=np.array(CHECKPOINT_FORMAT), version=np.array(CHECKPOINT_VERSION))


def check_checkpoint(path: Path) -> None:
    """Refuse a point checkpoint of another format or version; one written without them (before they
    were added) is version 1."""
    check_npz_format(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, " (delete the file to restart the point)")


def _restore(path: Path | None, key: str, settings: PointSettings, task: PointTask) -> _Chain | None:
    if path is None or not path.is_file():
        return None
    check_checkpoint(path)
    with np.load(path) as f:
        if str(f["key"]) != key:
            return None
        sampler = Sampler(settings.model, task.ensemble, f["sigma"], f["rng"])
        sampler.accepted, sampler.attempts = int(f["accepted"]), int(f["attempts"])
        blocks = f["blocks"]
        return _Chain(sampler, [blocks], [tuple(r) for r in f["moments"]], float(f["elapsed"]), len(blocks))


def _fresh(settings: PointSettings, task: PointTask) -> _Chain:
    supercell = cluster_tables(settings.model).supercell
    rng = np.random.default_rng([settings.sampling.seed, task.seed, task.point_id])
    sigma = initial_sigma(supercell, task.start, rng)
    return _Chain(Sampler(settings.model, task.ensemble, sigma,
                          kernels.seed_rng(settings.sampling.seed, task.seed * 1_000_003 + task.point_id)))


def analyse(chain: _Chain, settings: PointSettings, task: PointTask) -> tuple[dict, bool]:
    """The row of a point from its series so far, and whether the precision goal is met.

    Umbrella: the watched series are all order parameters; semi-grand-canonical: the composition-like
    ones signed and the ordering ones as |eta| (their sign flips between variants).
    """
    ens, cfg = task.ensemble, settings.sampling
    omap = settings.model.order_map
    names, col = omap.names, {n: i for i, n in enumerate(chain.sampler.columns)}
    data = np.concatenate(chain.blocks)
    ordering = [n for n, comp in zip(names, omap.is_composition) if not comp]
    watched = list(names) if ens.is_umbrella else [n if n not in ordering else f"abs_{n}" for n in names]
    t0 = detect_equilibration([data[:, col[n]] for n in watched])
    prod = data[t0:]
    series = [*names, *(f"abs_{n}" for n in ordering), "energy"]
    est = {n: mean_estimate(prod[:, col[n]]) for n in series}
    m = chain.sampler.n_sites
    row = {"point_id": task.point_id, mu_table.KT: ens.kT, **{n: est[n].mean for n in names}}
    phi, kappa, mu = chain.sampler.phi, chain.sampler.kappa, chain.sampler.mu
    if ens.is_umbrella:
        row.update({f"mu_{n}": -2 * phi[k] * (est[n].mean - kappa[k]) for k, n in enumerate(names)})
        row.update({f"se_mu_{n}": 2 * phi[k] * est[n].se for k, n in enumerate(names)})
        row.update({f"kappa_{n}": kappa[k] for k, n in enumerate(names)})
        row.update({f"phi_{n}": phi[k] for k, n in enumerate(names)})
        errors = [row[f"se_mu_{n}"] for n in names]
    else:
        h = prod[:, col["energy_last"]] - sum(mu[k] * prod[:, col[f"{n}_last"]] for k, n in enumerate(names))
        row.update({f"mu_{n}": mu[k] for k, n in enumerate(names)})
        row.update({f"se_{n}": est[n].se for n in names})
        for n in ordering:
            row.update({f"abs_{n}": est[f"abs_{n}"].mean, f"se_abs_{n}": est[f"abs_{n}"].se})
        row["heat_capacity"] = m * float(np.var(h)) / ens.kT ** 2
        row.update({f"binder_{n}": binder_cumulant(prod[:, col[f"{n}_last"]]) for n in ordering})
        errors = [est[n].se for n in watched]
    n_eff = min(est[n].n_effective for n in watched)
    converged = max(errors) <= cfg.se_target and n_eff >= cfg.min_effective_samples
    moments = np.array([r[1:] for r in chain.moments if r[0] >= t0])
    row.update(task.extra)
    row.update(energy=est["energy"].mean, se_energy=est["energy"].se)
    row.update({f"tau_{n}": est[n].tau for n in names})
    row.update(n_effective=n_eff, n_sweeps=len(data), n_equilibration=t0,
               acceptance=chain.sampler.accepted / max(chain.sampler.attempts, 1),
               seconds=chain.elapsed, flag_unconverged=int(not converged))
    row.update(split_summary(moments, names, settings.bimodality_threshold, settings.excess_variance_threshold))
    return row, converged


def run_point(settings: PointSettings, task: PointTask) -> dict:
    """Sample one state point until precise (or the cap) and return its table row."""
    cfg = settings.sampling
    path, key = _checkpoint_path(settings, task), _checkpoint_key(settings, task)
    chain = _restore(path, key, settings, task) or _fresh(settings, task)
    order = BlockOrder(chain.sampler.tables.supercell, settings.model.order_map, settings.block)
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

