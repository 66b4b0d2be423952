"""Compiled (numba) Monte Carlo with a tabulated local energy: canonical swaps, semi-grand-canonical
flips and Wang-Landau, every energy change exact.

The energy is ``E = sum_i table[index_i]`` (:mod:`.local_energy`): ``index_i = own_i * own_stride +
sum_k n_ik * stride_k`` with own_i the site's species (0 = A, 1 = B) and n_ik its B neighbours in
shell k.  A site changing species changes its own index by ``+-own_stride`` and, through its
neighbour table (``neighbours[i, c]``, the Z neighbour entries of site i, images repeated, column c
in shell ``k(c)``), the index of each neighbour by ``+-column_stride[c]``.  A move touches the moved
sites and their neighbours only (2 + 2 Z sites for a swap; 110 on FCC with 4 shells): the kernel
records each touched site once with its old index, applies the changes, and sums
``table[new] - site_energy[old]`` over the touched sites, which is the exact energy change, whatever
the overlap of the two neighbourhoods (a swap of neighbours included).  Rejected moves restore the
saved indices.

State arrays (all updated in place): ``occ`` int8[M]; ``index`` int64[M]; ``site_energy``
float64[M] (= table[index]); ``order`` int32[M] a permutation of the sites holding the B sites in its
first ``n_b`` entries and ``where`` int32[M] its inverse (uniform picks of a B and an A site);
``sublattice`` int32[M] and ``counts`` int64[S] the B atoms per sublattice (for the order
parameters); ``energy`` float64[1] the running total [eV] (a sum of exact changes: its drift is
round-off, checked against a fresh sum by the callers); ``rng`` uint64[4] xoshiro256** (the cluster
kernel's generator, :mod:`.kernels`).

Each block of ``attempts`` records the energy and the sublattice counts at its end.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from pf_app.montecarlo.kernels import _next

_UNIFORM = 1.0 / 9007199254740992.0  # 2^-53


@nb.njit(nogil=True, cache=True, inline="always")
def _touch(j, stamp, mark, touched, saved, index, nt):
    if mark[j] != stamp:
        mark[j] = stamp
        touched[nt] = j
        saved[nt] = index[j]
        nt += 1
    return nt


@nb.njit(nogil=True, cache=True, inline="always")
def _change(site, sign, stamp, mark, touched, saved, index, neighbours, column_stride, own_stride, nt):
    """Site ``site`` changes species by ``sign`` (+1: A -> B): its own index and its neighbours'."""
    nt = _touch(site, stamp, mark, touched, saved, index, nt)
    index[site] += sign * own_stride
    for c in range(neighbours.shape[1]):
        j = neighbours[site, c]
        nt = _touch(j, stamp, mark, touched, saved, index, nt)
        index[j] += sign * column_stride[c]
    return nt


@nb.njit(nogil=True, cache=True, inline="always")
def _delta(table, index, site_energy, touched, nt, new_energy):
    """Sum of new - old site energies of the touched sites; the new ones kept in ``new_energy``."""
    d = 0.0
    for t in range(nt):
        j = touched[t]
        e = table[index[j]]
        new_energy[t] = e
        d += e - site_energy[j]
    return d


@nb.njit(nogil=True, cache=True, inline="always")
def _keep(site_energy, touched, nt, new_energy):
    for t in range(nt):
        site_energy[touched[t]] = new_energy[t]


@nb.njit(nogil=True, cache=True, inline="always")
def _undo(index, touched, saved, nt):
    for t in range(nt):
        index[touched[t]] = saved[t]


@nb.njit(nogil=True, cache=True, inline="always")
def _swapped(a, b, u, v, occ, order, where, sublattice, counts):
    """Record an accepted swap: A site ``a`` (at ``order[v]``) becomes B, B site ``b`` (at
    ``order[u]``) becomes A; ``order``/``where`` and the sublattice counts follow."""
    occ[a] = 1
    occ[b] = 0
    order[u] = a
    order[v] = b
    where[a] = u
    where[b] = v
    counts[sublattice[a]] += 1
    counts[sublattice[b]] -= 1


@nb.njit(nogil=True, cache=True, inline="always")
def _apart(a, b, frac, cell, reach_sq):
    """True when sites a and b are farther apart than ``sqrt(reach_sq)`` (minimum image)."""
    r_sq = 0.0
    d0 = frac[a, 0] - frac[b, 0]
    d1 = frac[a, 1] - frac[b, 1]
    d2 = frac[a, 2] - frac[b, 2]
    d0 -= np.floor(d0 + 0.5)
    d1 -= np.floor(d1 + 0.5)
    d2 -= np.floor(d2 + 0.5)
    for k in range(3):
        x = d0 * cell[0, k] + d1 * cell[1, k] + d2 * cell[2, k]
        r_sq += x * x
    return r_sq > reach_sq


@nb.njit(nogil=True, cache=True, inline="always")
def _delta_alone(site, sign, index, site_energy, neighbours, column_stride, own_stride, table):
    """Energy change of site ``site`` changing species by ``sign`` when no other site of its
    neighbourhood changes and no site repeats in it (read only)."""
    d = table[index[site] + sign * own_stride] - site_energy[site]
    for c in range(neighbours.shape[1]):
        j = neighbours[site, c]
        d += table[index[j] + sign * column_stride[c]] - site_energy[j]
    return d


@nb.njit(nogil=True, cache=True, inline="always")
def _apply_alone(site, sign, index, site_energy, neighbours, column_stride, own_stride, table):
    index[site] += sign * own_stride
    site_energy[site] = table[index[site]]
    for c in range(neighbours.shape[1]):
        j = neighbours[site, c]
        index[j] += sign * column_stride[c]
        site_energy[j] = table[index[j]]


@nb.njit(nogil=True, cache=True)
def _scratch(m, size):
    """Work arrays of a kernel: the stamp of each of the m sites (-1: never touched) and, for the at
    most ``size`` sites a move touches, their indices, saved table indices and new site energies."""
    return np.full(m, -1, np.int64), np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size)


@nb.njit(nogil=True, cache=True)
def _record_block(blk, e_tot, counts, out_energy, out_counts):
    """The energy and sublattice counts at the end of block ``blk``."""
    out_energy[blk] = e_tot
    for s in range(counts.shape[0]):
        out_counts[blk, s] = counts[s]


@nb.njit(nogil=True, cache=True)
def swap_blocks(occ, index, site_energy, neighbours, column_stride, own_stride, table, order, where, n_b,
                sublattice, counts, energy, beta, rng, n_blocks, attempts, out_energy, out_counts,
                frac, cell, reach_sq, simple):
    """Canonical Metropolis: ``n_blocks`` blocks of ``attempts`` swaps of a uniformly chosen B site
    with a uniformly chosen A site (a symmetric proposal: n_A n_B pairs both ways), accepted with
    min(1, exp(-beta dE)).  Returns the number accepted.

    Fast path: in a cell where no site repeats in a neighbourhood (``simple``), two sites farther
    apart than twice the cutoff (``reach_sq``, angstrom^2; ``frac`` (M, 3) and ``cell`` give the
    minimum-image distance) have disjoint neighbourhoods, so each one's change is evaluated alone,
    reading the indices without writing them (a rejected swap writes nothing)."""
    m = occ.shape[0]
    n_a = m - n_b
    size = 2 * neighbours.shape[1] + 2
    mark, touched, saved, new_energy = _scratch(m, size)
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    e_tot = energy[0]
    accepted = 0
    stamp = 0
    for blk in range(n_blocks):
        for _ in range(attempts):
            r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
            u = np.int64(((r >> np.uint64(32)) * np.uint64(n_b)) >> np.uint64(32))
            v = n_b + np.int64(((r & np.uint64(0xFFFFFFFF)) * np.uint64(n_a)) >> np.uint64(32))
            b = order[u]
            a = order[v]
            alone = simple and _apart(a, b, frac, cell, reach_sq)
            if alone:
                d_e = (_delta_alone(a, 1, index, site_energy, neighbours, column_stride, own_stride, table)
                       + _delta_alone(b, -1, index, site_energy, neighbours, column_stride, own_stride, table))
            else:
                stamp += 1
                nt = _change(a, 1, stamp, mark, touched, saved, index, neighbours, column_stride, own_stride, 0)
                nt = _change(b, -1, stamp, mark, touched, saved, index, neighbours, column_stride, own_stride, nt)
                d_e = _delta(table, index, site_energy, touched, nt, new_energy)
            take = d_e <= 0.0
            if not take:
                r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
                take = (r >> np.uint64(11)) * _UNIFORM < math.exp(-beta * d_e)
            if take:
                if alone:
                    _apply_alone(a, 1, index, site_energy, neighbours, column_stride, own_stride, table)
                    _apply_alone(b, -1, index, site_energy, neighbours, column_stride, own_stride, table)
                else:
                    _keep(site_energy, touched, nt, new_energy)
                _swapped(a, b, u, v, occ, order, where, sublattice, counts)
                e_tot += d_e
                accepted += 1
            elif not alone:
                _undo(index, touched, saved, nt)
        _record_block(blk, e_tot, counts, out_energy, out_counts)
    energy[0] = e_tot
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return accepted


@nb.njit(nogil=True, cache=True)
def flip_blocks(occ, index, site_energy, neighbours, column_stride, own_stride, table, sublattice, counts,
                energy, beta, delta_mu, rng, n_blocks, attempts, out_energy, out_counts):
    """Semi-grand-canonical Metropolis: flip a uniformly chosen site, accepted with
    min(1, exp(-beta (dE - delta_mu dN_B))), ``delta_mu`` = mu_B - mu_A [eV].  Returns the number
    accepted; ``counts`` sum to N_B."""
    m = occ.shape[0]
    size = neighbours.shape[1] + 1
    mark, touched, saved, new_energy = _scratch(m, size)
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    e_tot = energy[0]
    accepted = 0
    stamp = 0
    mu64 = np.uint64(m)
    for blk in range(n_blocks):
        for _ in range(attempts):
            r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
            i = np.int64(((r >> np.uint64(32)) * mu64) >> np.uint64(32))
            sign = 1 - 2 * occ[i]  # +1: A -> B
            stamp += 1
            nt = _change(i, sign, stamp, mark, touched, saved, index, neighbours, column_stride, own_stride, 0)
            d_e = _delta(table, index, site_energy, touched, nt, new_energy)
            d_h = d_e - delta_mu * sign
            take = d_h <= 0.0
            if not take:
                r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
                take = (r >> np.uint64(11)) * _UNIFORM < math.exp(-beta * d_h)
            if take:
                _keep(site_energy, touched, nt, new_energy)
                occ[i] += sign
                counts[sublattice[i]] += sign
                e_tot += d_e
                accepted += 1
            else:
                _undo(index, touched, saved, nt)
        _record_block(blk, e_tot, counts, out_energy, out_counts)
    energy[0] = e_tot
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return accepted


@nb.njit(nogil=True, cache=True)
def wang_landau_swaps(occ, index, site_energy, neighbours, column_stride, own_stride, table, order, where, n_b,
                      sublattice, counts, energy, e_min, bin_width, ln_g, hist, seen, ln_f, only_seen, rng,
                      attempts, q_sum, q_count, q_weights):
    """``attempts`` Wang-Landau swaps (one walker): accepted with min(1, g(E_old) / g(E_new)), moves
    leaving the bins rejected (and, with ``only_seen``, moves into bins never visited); after every
    attempt ln g and the histogram of the current bin grow by ``ln_f`` and 1, and the observable
    ``|sum_s q_weights[k, s] counts[s]|`` summed over k (a norm of the order parameters) is added to
    the bin's ``q_sum``.  Returns the number accepted."""
    m = occ.shape[0]
    n_a = m - n_b
    n_bins = ln_g.shape[0]
    size = 2 * neighbours.shape[1] + 2
    mark, touched, saved, new_energy = _scratch(m, size)
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    e_tot = energy[0]
    current = np.int64(math.floor((e_tot - e_min) / bin_width))
    accepted = 0
    stamp = 0
    for _ in range(attempts):
        r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
        u = np.int64(((r >> np.uint64(32)) * np.uint64(n_b)) >> np.uint64(32))
        v = n_b + np.int64(((r & np.uint64(0xFFFFFFFF)) * np.uint64(n_a)) >> np.uint64(32))
        b = order[u]
        a = order[v]
        stamp += 1
        nt = _change(a, 1, stamp, mark, touched, saved, index, neighbours, column_stride, own_stride, 0)
        nt = _change(b, -1, stamp, mark, touched, saved, index, neighbours, column_stride, own_stride, nt)
        d_e = _delta(table, index, site_energy, touched, nt, new_energy)
        target = np.int64(math.floor((e_tot + d_e - e_min) / bin_width))
        take = 0 <= target < n_bins
        if take and only_seen:
            take = seen[target]
        if take:
            r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
            take = (r >> np.uint64(11)) * _UNIFORM < math.exp(min(ln_g[current] - ln_g[target], 0.0))
        if take:
            _keep(site_energy, touched, nt, new_energy)
            _swapped(a, b, u, v, occ, order, where, sublattice, counts)
            e_tot += d_e
            current = target
            accepted += 1
        else:
            _undo(index, touched, saved, nt)
        ln_g[current] += ln_f
        hist[current] += 1.0
        seen[current] = True
        q = 0.0
        for k in range(q_weights.shape[0]):
            e_k = 0.0
            for s in range(q_weights.shape[1]):
                e_k += q_weights[k, s] * counts[s]
            q += e_k * e_k
        q_sum[current] += math.sqrt(q)
        q_count[current] += 1.0
    energy[0] = e_tot
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return accepted
