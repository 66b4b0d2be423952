"""Who answers the loop's points: real umbrella Monte Carlo, a pool of existing rows, or exact data.

Every oracle writes the answers of one round to a table (``pf_app.mu_table`` CSV) with the loop's
global ``point_id``, the asked-for ``target_<name>`` per order parameter (B2: ``target_c``,
``target_eta``) and the measured (c, eta, mu_c, mu_eta, ...) and resumes into it: points already
answered there are not asked again.

* :class:`MonteCarloOracle`: ``pf_app mc`` on the round's targets (bias centres aimed with the
  current committee's mu; a killed campaign continues at the point it stopped at).
* :class:`PoolOracle` (the benchmark's): each target is answered by the nearest (in the sublattice
  fractions) not-yet-used row of an existing table, e.g. the shipped B2 campaign; the validation
  rows of a given training config are removed from the pool first and form the held-out set.  It
  costs nothing, so the benchmark can count points without running Monte Carlo; it can only give
  back points the pool has (the answer lies near, not at, the target; a region whose rows are used
  up is answered from farther away).
* :class:`ExactOracle`: exact derivatives of a known free energy, one row at a time (tests).

With a temperature range a target is (eta, kT): the answer's ``kT`` column is the asked-for kT.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pf_app import mu_table
from pf_app.learn import adapters
from pf_app.learn.sampling import Domain


def target_columns(names) -> list[str]:
    """The columns of the asked-for order parameters: ``target_<name>``."""
    return [f"target_{n}" for n in names]


def _with_ids(table: mu_table.MuTable, ids: np.ndarray, targets: np.ndarray, extra: dict | None = None):
    named = target_columns(table.order_parameters)
    cols = {"point_id": np.asarray(ids, float)}
    cols.update({k: v for k, v in table.columns.items() if k != "point_id" and k not in named})
    cols.update({name: targets[:, k] for k, name in enumerate(named)})
    cols.update(extra or {})
    return mu_table.MuTable(table.order_parameters, cols, dict(table.meta))


class MonteCarloOracle:
    """Umbrella Monte Carlo through ``pf_app mc`` (campaign template ``campaign``); with a temperature
    range each target runs at its own kT (``umbrella.points.kT``)."""

    def __init__(self, campaign: Path, overrides: dict, progress: bool, domain: Domain):
        self.campaign, self.overrides, self.progress = Path(campaign), dict(overrides), progress
        self.domain = domain

    def held_out(self):
        return None

    def answer(self, targets: np.ndarray, first_id: int, guess: Path | None, path: Path, previous) -> mu_table.MuTable:
        raw = path.with_name(path.stem + "_mc.csv")
        eta, kT = self.domain.split(targets)
        table = adapters.run_campaign_points(self.campaign, self.overrides, eta, guess, raw, self.progress, kT)
        local = table.columns["point_id"].astype(int)
        order = np.argsort(local, kind="stable")
        table = table.select(order)
        out = _with_ids(table, first_id + local[order], eta[local[order]])
        mu_table.write(out, path)  # atomic
        return out


class PoolOracle:
    """Nearest unused row of ``table``; the validation rows of ``held_out_from`` are never given out."""

    def __init__(self, table: Path, held_out_from: Path, domain: Domain):
        self.pool = mu_table.read(table)
        self.x_held, self.mu_held = adapters.held_out_rows(held_out_from)
        held = {tuple(r) for r in self.x_held}
        self.in_pool = np.array([tuple(r) not in held for r in self.pool.x])
        if len(self.pool) - self.in_pool.sum() != len(self.x_held):
            raise ValueError(f"{table}: {len(self.x_held)} held-out rows of {held_out_from} but "
                             f"{len(self.pool) - self.in_pool.sum()} found in the pool")
        self.domain = domain
        self.f_pool = self.domain.fractions(self.pool.x)
        self.source = table

    def held_out(self):
        return self.x_held, self.mu_held

    def answer(self, targets: np.ndarray, first_id: int, guess: Path | None, path: Path, previous) -> mu_table.MuTable:
        if path.exists():
            return mu_table.read(path)
        free = self.in_pool.copy()
        if previous is not None and len(previous):
            free[previous.columns["source_row"].astype(int)] = False
        rows = []
        for f in self.domain.fractions(targets):
            if not free.any():
                raise ValueError(f"{self.source}: the pool is used up ({len(rows)} points of this round answered)")
            d2 = ((self.f_pool - f) ** 2).sum(axis=1)
            d2[~free] = np.inf
            i = int(np.argmin(d2))
            free[i] = False
            rows.append(i)
        rows = np.array(rows, int)
        picked = self.pool.select(rows)
        cols = dict(picked.columns)
        if "point_id" in cols:
            cols["source_point_id"] = cols.pop("point_id")
        picked = mu_table.MuTable(picked.order_parameters, cols, dict(picked.meta))
        out = _with_ids(picked, first_id + np.arange(len(rows)), targets, {"source_row": rows.astype(float)})
        mu_table.write(out, path)  # atomic
        return out


class ExactOracle:
    """mu = dg/dx of a known free energy at the target itself, appended one row at a time."""

    def __init__(self, free_energy, held_out: int, domain: Domain, seed: int = 0):
        self.free_energy = free_energy
        self.n_held, self.domain, self.seed = held_out, domain, seed

    def _mu(self, points: np.ndarray) -> np.ndarray:
        eta, kT = self.domain.split(points)
        return (self.free_energy(eta, 1) if kT is None else self.free_energy(eta, 1, kT=kT))[1]

    def held_out(self):
        if self.n_held == 0:
            return None
        u = np.random.default_rng(self.seed + 12345).random((self.n_held, self.domain.dim))
        x = self.domain.from_unit(u)
        return x, self._mu(x)

    def answer(self, targets: np.ndarray, first_id: int, guess: Path | None, path: Path, previous) -> mu_table.MuTable:
        done = set()
        if path.exists():
            done = {int(i) for i in mu_table.read(path).columns["point_id"]}
        for i, t in enumerate(targets):
            if first_id + i in done:
                continue
            eta, kT = self.domain.split(t[None, :])
            row = adapters.exact_table(self.free_energy, eta) if kT is None else \
                adapters.exact_table(self.free_energy, eta, kT)
            mu_table.append_csv(path, _with_ids(row, np.array([first_id + i]), eta))
        return mu_table.read(path)


def make_oracle(cfg, file, progress: bool, domain: Domain):
    """The oracle of a :class:`pf_app.learn.config.LearnConfig` over ``domain``."""
    o = cfg.oracle
    if o.kind == "monte_carlo":
        return MonteCarloOracle(o.campaign, o.campaign_set, progress, domain)
    if o.kind == "pool":
        return PoolOracle(o.table, o.held_out_from, domain)
    return ExactOracle(adapters.exact_free_energy(o.free_energy, file), o.held_out, domain, cfg.points.seed)
