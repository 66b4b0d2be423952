"""Compiled single-site Metropolis kernel (numba) for any cluster list, with exact incremental energy and bias.

One attempt: pick a site uniformly at random (random site order, never a sequential or
checkerboard sweep), compute the exact change of

    H = E + M sum_k [phi_k (eta_k - kappa_k)^2 - mu_k eta_k],   eta = Q x,  x_s = n_s / N_s

for flipping it (dE = -2 sigma_i h_i from the local field; the bias from the integer numbers n_s of
sigma = +1 sites per sublattice, recomputed from the counts at every attempt, so nothing drifts), and
accept with min(1, exp(-dH/kT)).  The umbrella ensemble is mu = 0; the semi-grand-canonical ensemble
is phi = 0 with the given mu.  An accepted flip updates the local fields of the other sites of every
cluster containing the site (``ClusterTables``: per-site partner lists of pairs, triplets, quadruplets).

Statistics per block: the means over every attempt of eta_k, |eta_k| and E/M (accumulated when the
state changes, weighted by the number of attempts it lasted: exact integer sums for the counts), and
the end-of-block state.

Random numbers: xoshiro256** (state = 4 uint64, checkpointable), seeded with splitmix64.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

_MASK64 = (1 << 64) - 1


def block_columns(names: tuple[str, ...]) -> tuple[str, ...]:
    """Columns of the per-block output: means over every attempt, then the end-of-block state."""
    return (*names, *(f"abs_{n}" for n in names), "energy",
            *(f"{n}_last" for n in names), "energy_last")


def seed_rng(seed: int, stream: int = 0) -> np.ndarray:
    """xoshiro256** state (uint64[4]) from two integers via splitmix64."""
    x = (seed * 0x9E3779B97F4A7C15 + stream * 0xD1B54A32D192ED03 + 1) & _MASK64
    state = []
    for _ in range(4):
        x = (x + 0x9E3779B97F4A7C15) & _MASK64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        state.append(z ^ (z >> 31))
    return np.array(state, dtype=np.uint64)


@nb.njit(inline="always")
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@nb.njit(inline="always")
def _next(s0, s1, s2, s3):
    """One xoshiro256** output r and the advanced state (s0, s1, s2, s3)."""
    r = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return r, s0, s1, s2, s3


@nb.njit(nogil=True, cache=True)
def _order_parameters(counts, amat, eta):
    """eta = amat @ counts (exact from the integer counts), written into ``eta``."""
    n_op, n_sub = amat.shape
    for k in range(n_op):
        e = 0.0
        for s in range(n_sub):
            e += amat[k, s] * counts[s]
        eta[k] = e


@nb.njit(nogil=True, cache=True, inline="always")
def _bias(eta, sub, dn, amat, phi, kappa, mu, m):
    """M sum_k [phi_k (eta_k' - kappa_k)^2 - mu_k eta_k'] with eta' = eta + amat[:, sub] dn."""
    sq = 0.0
    lin = 0.0
    for k in range(eta.shape[0]):
        e = eta[k] + amat[k, sub] * dn
        d = e - kappa[k]
        sq += phi[k] * d * d
        lin += mu[k] * e
    return m * (sq - lin)


@nb.njit(nogil=True, cache=True)
def metropolis_blocks(sigma, field, sublattice, ptr2, nb2, v2, ptr3, nb3, v3, ptr4, nb4, v4, counts, energy,
                      amat, phi, kappa, mu, beta, rng, n_blocks, attempts_per_block, out):
    """Run ``n_blocks`` blocks of ``attempts_per_block`` Metropolis attempts in place.

    sigma int8[M] (+-1), field float64[M] (local fields, kept exact), sublattice int32[M],
    ptr/nb/v for pairs, triplets, quadruplets: the per-site cluster partner lists (``ClusterTables``),
    counts int64[S] = sigma = +1 sites per sublattice, energy float64[1] = total E,
    amat[k, s] = Q[k, s] / N_s (eta = amat @ counts, recomputed from the counts after every accepted
    flip), phi, kappa, mu float64[K], beta = 1/kT, rng uint64[4].  Writes ``out[b] = block_columns``
    (energies per site).  Returns the number of accepted flips.
    """
    m = sigma.shape[0]
    mf = float(m)
    mu64 = np.uint64(m)
    n_op, n_sub = amat.shape
    eta_now = np.empty(n_op)
    sum_counts = np.empty(n_sub, np.int64)
    sum_abs = np.empty(n_op)
    e_tot = energy[0]
    _order_parameters(counts, amat, eta_now)
    b_now = _bias(eta_now, 0, 0, amat, phi, kappa, mu, mf)
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    accepted = 0
    for blk in range(n_blocks):
        sum_counts[:] = 0
        sum_abs[:] = 0.0
        sum_e = 0.0
        last = 0  # attempt from which the current state has been held
        for att in range(attempts_per_block):
            r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
            i = np.int64(((r >> np.uint64(32)) * mu64) >> np.uint64(32))
            si = sigma[i]
            d_e = -2.0 * si * field[i]
            sub = sublattice[i]
            b_new = _bias(eta_now, sub, -si, amat, phi, kappa, mu, mf)  # sigma -1 -> +1 adds one to the count
            d_h = d_e + b_new - b_now
            accept = d_h <= 0.0
            if not accept:
                r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
                u = (r >> np.uint64(11)) * (1.0 / 9007199254740992.0)
                accept = u < math.exp(-beta * d_h)
            if not accept:
                continue
            accepted += 1
            w = att - last  # attempts the old state lasted
            for s in range(n_sub):
                sum_counts[s] += counts[s] * w
            for k in range(n_op):
                sum_abs[k] += abs(eta_now[k]) * w
            sum_e += e_tot * w
            last = att
            counts[sub] -= si
            for k in range(n_op):  # exact from the integer counts (no drift)
                e_k = 0.0
                for s in range(n_sub):
                    e_k += amat[k, s] * counts[s]
                eta_now[k] = e_k
            sigma[i] = -si
            e_tot += d_e
            b_now = b_new
            ds = -2.0 * si
            for e in range(ptr2[i], ptr2[i + 1]):
                field[nb2[e]] += v2[e] * ds
            for e in range(ptr3[i], ptr3[i + 1]):
                v = v3[e] * ds
                a = nb3[e, 0]
                b = nb3[e, 1]
                field[a] += v * sigma[b]
                field[b] += v * sigma[a]
            for e in range(ptr4[i], ptr4[i + 1]):
                v = v4[e] * ds
                a = nb4[e, 0]
                b = nb4[e, 1]
                c = nb4[e, 2]
                field[a] += v * sigma[b] * sigma[c]
                field[b] += v * sigma[a] * sigma[c]
                field[c] += v * sigma[a] * sigma[b]
        w = attempts_per_block - last
        for s in range(n_sub):
            sum_counts[s] += counts[s] * w
        for k in range(n_op):
            sum_abs[k] += abs(eta_now[k]) * w
        sum_e += e_tot * w
        na = float(attempts_per_block)
        for k in range(n_op):
            mean = 0.0
            for s in range(n_sub):
                mean += amat[k, s] * sum_counts[s]
            out[blk, k] = mean / na
            out[blk, n_op + k] = sum_abs[k] / na
            out[blk, 2 * n_op + 1 + k] = eta_now[k]
        out[blk, 2 * n_op] = sum_e / (na * mf)
        out[blk, 3 * n_op + 1] = e_tot / mf
    energy[0] = e_tot
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return accepted
