"""Monte Carlo with a local network on any supercell: the state the compiled kernels
(:mod:`.local_kernels`) update, canonical and semi-grand-canonical runs with block statistics, and
the finite-size-scaling estimators (heat capacity, order parameters, Binder cumulant).

Units: energies eV, kT in eV (k_B = 8.617333262e-5 eV/K), heat capacity in k_B per site.
Order parameters: eta = Q x (:class:`~.order_parameters.OrderParameterMap`) with x_s the B
fraction on sublattice s of an ordering cell (FCC: the 4 simple-cubic sublattices of the cubic cell,
``FCC_MAP``: eta1..eta3 the L1_0 / L1_2 parameters, |eta|^2 = eta1^2 + eta2^2 + eta3^2).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pf_app.montecarlo.kernels import seed_rng
from pf_app.montecarlo.local_energy import LocalNetworkEnergy
from pf_app.surrogate.structures import Lattice


def sublattice_of_sites(lattice: Lattice, ordering_cell: np.ndarray, tol: float = 1e-3) -> np.ndarray:
    """(M,) index of each site's sublattice: its position modulo ``ordering_cell`` (3, 3 rows,
    angstrom), the sublattices numbered by their first site in the lattice order."""
    frac = np.mod(lattice.positions @ np.linalg.inv(ordering_cell), 1.0)
    key = np.mod(np.round(frac / tol), np.round(1 / tol)).astype(np.int64)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))  # sublattices in the order of their first site
    return rank[inverse.ravel()].astype(np.int32)


@dataclasses.dataclass
class LocalState:
    """A configuration on ``model.lattice`` with every array the kernels update (see
    :mod:`.local_kernels`)."""

    model: LocalNetworkEnergy
    occ: np.ndarray
    index: np.ndarray
    site_energy: np.ndarray
    order: np.ndarray
    where: np.ndarray
    sublattice: np.ndarray
    counts: np.ndarray
    energy: np.ndarray
    rng: np.ndarray

    @classmethod
    def start(cls, model: LocalNetworkEnergy, occ: np.ndarray, sublattice: np.ndarray, seed: int,
              stream: int = 0) -> "LocalState":
        occ = np.asarray(occ, dtype=np.int8).copy()
        index = model.environment.table_index(occ[None])[0]
        site_energy = model.table[index]
        order = np.concatenate([np.flatnonzero(occ == 1), np.flatnonzero(occ == 0)]).astype(np.int32)
        where = np.empty_like(order)
        where[order] = np.arange(len(order), dtype=np.int32)
        n_sub = int(sublattice.max()) + 1
        counts = np.bincount(sublattice, weights=occ, minlength=n_sub).astype(np.int64)
        return cls(model, occ, index, site_energy, order, where, np.asarray(sublattice, np.int32), counts,
                   np.array([site_energy.sum()]), seed_rng(seed, stream))

    @property
    def n_b(self) -> int:
        return int(self.occ.sum())

    def kernel_tables(self):
        env = self.model.environment
        own, strides = env.table_strides()
        return (env.neighbours.astype(np.int32), strides[env.shell_of_column].astype(np.int64), np.int64(own),
                self.model.table)

    def geometry(self):
        """(frac (M, 3), cell, (2 cutoff + 1e-3)^2, simple) for the swap kernel's fast path; simple:
        no site repeats in any neighbourhood (and none is its own neighbour), the large cells."""
        lattice, env = self.model.lattice, self.model.environment
        rows = np.sort(env.neighbours, axis=1)
        simple = bool((np.diff(rows, axis=1) != 0).all() and (env.neighbours != np.arange(env.n_sites)[:, None]).all())
        reach = 2 * float(env.shell_distances[-1]) + 1e-3
        return lattice.positions @ np.linalg.inv(lattice.cell), lattice.cell, reach ** 2, simple

    def drift_eV(self) -> float:
        """Running energy minus a fresh sum of the site table entries (round-off only)."""
        fresh = self.model.table[self.model.environment.table_index(self.occ[None])[0]].sum()
        return float(self.energy[0] - fresh)

    def canonical(self, kT_eV: float, n_blocks: int, attempts: int) -> tuple[np.ndarray, np.ndarray, int]:
        """``n_blocks`` x ``attempts`` swap attempts; (energy at each block end (n_blocks,) eV, B counts
        per sublattice (n_blocks, S), accepted swaps)."""
        from pf_app.montecarlo.local_kernels import swap_blocks

        neighbours, column_stride, own, table = self.kernel_tables()
        out_e = np.empty(n_blocks)
        out_c = np.empty((n_blocks, len(self.counts)), np.int64)
        acc = swap_blocks(self.occ, self.index, self.site_energy, neighbours, column_stride, own, table, self.order,
                          self.where, self.n_b, self.sublattice, self.counts, self.energy, 1.0 / kT_eV, self.rng,
                          n_blocks, attempts, out_e, out_c, *self.geometry())
        return out_e, out_c, acc

    def semi_grand(self, kT_eV: float, delta_mu_eV: float, n_blocks: int, attempts: int):
        """Flips at fixed mu_B - mu_A = ``delta_mu_eV``; as :meth:`canonical`."""
        from pf_app.montecarlo.local_kernels import flip_blocks

        neighbours, column_stride, own, table = self.kernel_tables()
        out_e = np.empty(n_blocks)
        out_c = np.empty((n_blocks, len(self.counts)), np.int64)
        acc = flip_blocks(self.occ, self.index, self.site_energy, neighbours, column_stride, own, table,
                          self.sublattice, self.counts, self.energy, 1.0 / kT_eV, delta_mu_eV, self.rng,
                          n_blocks, attempts, out_e, out_c)
        self.order[:] = np.concatenate([np.flatnonzero(self.occ == 1), np.flatnonzero(self.occ == 0)])
        self.where[self.order] = np.arange(len(self.order), dtype=np.int32)
        return out_e, out_c, acc


def order_parameters(counts: np.ndarray, sites_per_sublattice: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """(..., S) B counts per sublattice -> (..., S) eta = Q x."""
    return (np.asarray(counts, dtype=float) / sites_per_sublattice) @ np.asarray(Q).T


def block_statistics(energy_eV: np.ndarray, eta_order: np.ndarray, kT_eV: float, n_sites: int,
                     n_batches: int = 20) -> dict:
    """Means and standard errors (batch means over ``n_batches`` consecutive batches) of a canonical
    run's samples: energy per site, heat capacity per site ``var(E) / (M kT^2)`` [k_B], ``|eta|``,
    ``|eta|^2``, ``|eta|^4`` and the Binder cumulant ``U = 1 - <|eta|^4> / (3 <|eta|^2>^2)`` of the
    ordering parameters ``eta_order`` (n, K) (4/9 for a Gaussian three-component parameter, 2/3 for
    a sharp ordered state)."""
    e = np.asarray(energy_eV, float)
    m2 = (np.asarray(eta_order) ** 2).sum(axis=1)
    batches = np.array_split(np.arange(len(e)), n_batches)

    def per_batch(f):
        return np.array([f(idx) for idx in batches])

    stats = {
        "energy_per_site_eV": per_batch(lambda i: e[i].mean() / n_sites),
        "heat_capacity_kB_per_site": per_batch(lambda i: e[i].var() / (n_sites * kT_eV ** 2)),
        "eta_abs": per_batch(lambda i: np.sqrt(m2[i]).mean()),
        "eta_sq": per_batch(lambda i: m2[i].mean()),
        "eta_4": per_batch(lambda i: (m2[i] ** 2).mean()),
    }
    out = {}
    for name, v in stats.items():
        out[name] = float(v.mean())
        out[f"{name}_se"] = float(v.std(ddof=1) / np.sqrt(len(v)))
    out["binder"] = binder(m2)
    # the cumulant's error from the batches by the jackknife (it is a ratio of means)
    jack = np.array([binder(np.delete(m2, idx)) for idx in batches])
    out["binder_se"] = float(np.sqrt((len(jack) - 1) * np.mean((jack - jack.mean()) ** 2)))
    # whole-run heat capacity (the batch value above is biased low by short batches)
    out["heat_capacity_run_kB_per_site"] = float(e.var() / (n_sites * kT_eV ** 2))
    return out


def binder(m2: np.ndarray) -> float:
    """``1 - <m^4> / (3 <m^2>^2)`` of samples of m^2."""
    m2 = np.asarray(m2, float)
    return float(1.0 - np.mean(m2 ** 2) / (3.0 * np.mean(m2) ** 2))


def binder_crossing(t_values: np.ndarray, u_small: np.ndarray, u_large: np.ndarray) -> float | None:
    """Temperature where U_small(T) - U_large(T) changes sign (linear interpolation between grid
    points; below T_c the larger cell's U is larger, above it smaller), None when it does not."""
    d = np.asarray(u_large) - np.asarray(u_small)
    for i in range(len(d) - 1):
        if d[i] >= 0 > d[i + 1]:
            return float(t_values[i] + (t_values[i + 1] - t_values[i]) * d[i] / (d[i] - d[i + 1]))
    return None
