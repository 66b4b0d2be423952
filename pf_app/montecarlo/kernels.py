"""Compiled single-site Metropolis kernel (numba) with an exact incremental energy and bias.

One attempt: pick a site uniformly at random (random site order, never a sequential or
checkerboard sweep), compute the exact change of

    H = E + M [phi_c (c - kappa_c)^2 + phi_eta (eta - kappa_eta)^2 - mu_c c - mu_eta eta]

for flipping it (dE = -2 sigma_i h_i from the local field, the bias from the integer counts of B
atoms on the two sublattices, so there is no drift), and accept with min(1, exp(-dH/kT)).  The
umbrella ensemble is mu = 0; the semi-grand-canonical ensemble is phi = 0 with the given mu.
Accepted flips update the local fields of the 26 pair neighbours and 36 triplet partners.

Random numbers: xoshiro256** (state = 4 uint64, checkpointable), seeded with splitmix64.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

#: Columns of the per-block output: means over every attempt of the block, then the end-of-block state.
BLOCK_COLUMNS = ("c", "eta", "abs_eta", "energy", "c_last", "eta_last", "energy_last")

_MASK64 = (1 << 64) - 1


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
def _bias(n1, n2, m, scale, bias):
    """M * [phi_c (c - kc)^2 + phi_eta (eta - ke)^2 - mu_c c - mu_eta eta] from the B counts."""
    c = (n1 + n2) * scale
    e = (n1 - n2) * scale
    dc = c - bias[1]
    de = e - bias[3]
    return m * (bias[0] * dc * dc + bias[2] * de * de - bias[4] * c - bias[5] * e)


@nb.njit(nogil=True, cache=True)
def metropolis_blocks(sigma, field, nb1, nb2, nb3, tri, coef, counts, energy, bias, beta, rng,
                      n_blocks, attempts_per_block, out):
    """Run ``n_blocks`` blocks of ``attempts_per_block`` Metropolis attempts in place.

    sigma int8[M] (+-1), field float64[M] (local fields, kept exact), neighbour tables int32,
    coef = (point, V1, V2, V3, triplet), counts int64[2] = B atoms on sublattices 1 and 2,
    energy float64[1] = total E, bias = (phi_c, kappa_c, phi_eta, kappa_eta, mu_c, mu_eta),
    beta = 1/kT, rng uint64[4].  Writes ``out[b] = BLOCK_COLUMNS`` (energies per site).
    Returns the number of accepted flips.
    """
    m = sigma.shape[0]
    mf = float(m)
    mu64 = np.uint64(m)
    scale = math.sqrt(2.0) / mf
    v1, v2, v3, vt = coef[1], coef[2], coef[3], coef[4]
    n1, n2 = counts[0], counts[1]
    e_tot = energy[0]
    b_now = _bias(n1, n2, mf, scale, bias)
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    accepted = 0
    for blk in range(n_blocks):
        sum_n1 = 0
        sum_n2 = 0
        sum_abs = 0
        sum_e = 0.0
        for _ in range(attempts_per_block):
            r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
            i = np.int64(((r >> np.uint64(32)) * mu64) >> np.uint64(32))
            si = sigma[i]
            d_e = -2.0 * si * field[i]
            dn = -si  # change of the B count on the site's sublattice (sigma: -1 -> +1 adds a B)
            if i & 1:
                b_new = _bias(n1, n2 - si, mf, scale, bias)
            else:
                b_new = _bias(n1 - si, n2, mf, scale, bias)
            d_h = d_e + b_new - b_now
            accept = d_h <= 0.0
            if not accept:
                r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
                u = (r >> np.uint64(11)) * (1.0 / 9007199254740992.0)
                accept = u < math.exp(-beta * d_h)
            if accept:
                accepted += 1
                sigma[i] = -si
                ds = -2.0 * si
                e_tot += d_e
                b_now = b_new
                if i & 1:
                    n2 += dn
                else:
                    n1 += dn
                if v1 != 0.0:
                    for k in range(nb1.shape[1]):
                        field[nb1[i, k]] += v1 * ds
                if v2 != 0.0:
                    for k in range(nb2.shape[1]):
                        field[nb2[i, k]] += v2 * ds
                if v3 != 0.0:
                    for k in range(nb3.shape[1]):
                        field[nb3[i, k]] += v3 * ds
                if vt != 0.0:
                    for k in range(tri.shape[1]):
                        a = tri[i, k, 0]
                        b = tri[i, k, 1]
                        field[a] += vt * ds * sigma[b]
                        field[b] += vt * ds * sigma[a]
            sum_n1 += n1
            sum_n2 += n2
            sum_abs += abs(n1 - n2)
            sum_e += e_tot
        na = float(attempts_per_block)
        out[blk, 0] = (sum_n1 + sum_n2) * scale / na
        out[blk, 1] = (sum_n1 - sum_n2) * scale / na
        out[blk, 2] = sum_abs * scale / na
        out[blk, 3] = sum_e / (na * mf)
        out[blk, 4] = (n1 + n2) * scale
        out[blk, 5] = (n1 - n2) * scale
        out[blk, 6] = e_tot / mf
    counts[0], counts[1] = n1, n2
    energy[0] = e_tot
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return accepted
