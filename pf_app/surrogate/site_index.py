"""Periodic lookup of lattice sites by position: a hash of rounded fractional coordinates.

Matching the atoms of a data file to the sites of a lattice, or the sites moved by a symmetry
operation to the sites they land on, is a nearest-site search modulo the supercell.  A dense
distance matrix costs O(M^2) per search (M sites); :class:`SiteIndex` costs O(M log M) to build and
O(log M) per query:

* each site's fractional coordinate along axis a is rounded on a grid of ``n_a`` bins,
  ``k_a = round((f_a - f0_a) n_a) mod n_a``, and the three integers make one key;
* when the sites' coordinates along an axis are the evenly spaced values ``f0_a + j / G`` (every
  supercell of a lattice with such a basis: FCC, BCC, BCT ...), ``n_a = G`` and every site sits at
  the centre of its bin, half a bin (far more than the tolerance) from the bin's edges, so one key
  finds it;
* otherwise ``n_a`` is the finest grid whose bins are at least twice the tolerance wide: a point
  within the tolerance of a site rounds to the site's bin or to one neighbour along each axis, so
  a query that misses its first key tries the (at most 8) keys of the corners of its tolerance box.

A key found is checked: the Cartesian distance (minimum image) to the site must be within ``tol``
[angstrom].  Distinct sites must fall into distinct bins (sites closer than ~2 tol are refused).
"""

from __future__ import annotations

import itertools

import numpy as np


def _evenly_spaced(values: np.ndarray, tol_frac: float) -> tuple[int, float] | None:
    """(G, f0) when the fractional coordinates ``values`` are f0 + j / G (modulo 1) within
    ``tol_frac``, else None."""
    v = np.sort(np.mod(values, 1.0))
    distinct = v[np.concatenate([[True], np.diff(v) > 2 * tol_frac])]
    if len(distinct) > 1 and 1.0 - (distinct[-1] - distinct[0]) <= 2 * tol_frac:
        distinct = distinct[:-1]  # the last value is the first one's periodic image (1 - f ~ 0)
    g = len(distinct)
    steps = (distinct - distinct[0]) * g
    if np.abs(steps - np.round(steps)).max() <= 2 * tol_frac * g:
        return g, float(distinct[0])
    return None


class SiteIndex:
    """The sites of a periodic ``cell`` (3, 3; rows are vectors) at ``positions`` (M, 3), both in
    angstrom; :meth:`lookup` maps query positions to site indices within ``tol`` angstrom."""

    def __init__(self, cell: np.ndarray, positions: np.ndarray, tol: float):
        self.cell = np.asarray(cell, dtype=float)
        self.inv = np.linalg.inv(self.cell)
        self.tol = float(tol)
        self.frac = np.mod(np.asarray(positions, dtype=float) @ self.inv, 1.0)
        # |d| <= tol moves fractional coordinate a by at most tol |column a of cell^-1|
        self.tol_frac = self.tol * np.linalg.norm(self.inv, axis=0)
        self.n_bins = np.empty(3, dtype=np.int64)
        self.origin = np.zeros(3)
        self.exact = True  # every site at its bin's centre: one key per query suffices
        for a in range(3):
            grid = _evenly_spaced(self.frac[:, a], self.tol_frac[a])
            if grid is not None and grid[0] <= 0.25 / self.tol_frac[a]:
                self.n_bins[a], self.origin[a] = grid
            else:
                self.n_bins[a] = max(1, int(0.5 / self.tol_frac[a]))  # bins >= 2 tol wide
                self.exact = False
        keys = self._keys(self._bins(self.frac))
        order = np.argsort(keys, kind="stable")
        self.keys, self.sites = keys[order], order
        if len(keys) > 1 and (np.diff(self.keys) == 0).any():
            raise ValueError(f"two sites closer than {2 * self.tol:g} angstrom: no unique lookup")

    def _bins(self, frac: np.ndarray, shift: np.ndarray | float = 0.0) -> np.ndarray:
        return np.mod(np.round((frac + shift - self.origin) * self.n_bins).astype(np.int64), self.n_bins)

    def _keys(self, bins: np.ndarray) -> np.ndarray:
        return bins[..., 0] + self.n_bins[0] * (bins[..., 1] + self.n_bins[1] * bins[..., 2])

    def _find(self, keys: np.ndarray, frac: np.ndarray) -> np.ndarray:
        """Site index of each key, -1 where the key is empty or the site farther than ``tol``."""
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        site = np.where(self.keys[pos] == keys, self.sites[pos], -1)
        hit = site >= 0
        d = frac[hit] - self.frac[site[hit]]
        d -= np.round(d)
        far = np.linalg.norm(d @ self.cell, axis=-1) > self.tol
        site[np.flatnonzero(hit)[far]] = -1
        return site

    def lookup(self, positions: np.ndarray) -> np.ndarray:
        """(..., 3) positions [angstrom] -> (...) index of the site within ``tol`` (periodic), -1
        where there is none."""
        positions = np.asarray(positions, dtype=float)
        frac = (positions.reshape(-1, 3) @ self.inv)
        site = self._find(self._keys(self._bins(frac)), frac)
        if not self.exact:
            for corner in itertools.product((-1.0, 1.0), repeat=3):
                miss = np.flatnonzero(site < 0)
                if not len(miss):
                    break
                f = frac[miss]
                site[miss] = self._find(self._keys(self._bins(f, np.array(corner) * self.tol_frac)), f)
        return site.reshape(positions.shape[:-1])

    def nearest_distance(self, position: np.ndarray) -> float:
        """Distance [angstrom] from one ``position`` to its nearest site (minimum image; O(M), for
        error messages)."""
        d = np.asarray(position, dtype=float) @ self.inv - self.frac
        d -= np.round(d)
        return float(np.linalg.norm(d @ self.cell, axis=-1).min())
