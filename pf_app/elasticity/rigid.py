"""Rigid-body modes: which ones the boundary conditions leave free, and where to pin them.

A rigid-body motion (translation, infinitesimal rotation) has zero strain, so it is in the null space
of the elastic operator unless the boundary conditions fix it.  A displacement problem whose
conditions leave k modes free is singular; pinning one well-chosen degree of freedom per free mode
(u = 0 there) selects one solution without changing the stress, because the load is orthogonal to
the free modes (:mod:`pf_app.elasticity.solver`).  Both the standalone mechanical solver and the
coupled phase-field model (:mod:`pf_app.elasticity.coupling`) use these functions.

Modes are numbered as :func:`rigid_modes` returns them: translations x, y (, z), then rotations
(2D: about z; 3D: about x, y, z).  A set of modes is a matrix whose rows are coefficients on them.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from mpi4py import MPI

#: relative size below which a mode's weight at the constrained degrees of freedom counts as zero
FREE_MODE_RTOL = 1e-10
#: a pin set whose last pivot is below this fraction of the first would not fix every free mode
PIN_PIVOT_RTOL = 1e-8
#: points this fraction of the body's size apart are equally extreme (ties go to the smallest coordinates)
TIE_RTOL = 1e-9


def rigid_modes(x: np.ndarray, dim: int) -> np.ndarray:
    """The rigid-body motions at points x (n, 3) as (modes, n, dim): translations, then rotations
    (2D: about z; 3D: about x, y, z), with x measured from the caller's centre."""
    n = len(x)
    modes = [np.tile(np.eye(dim)[i], (n, 1)) for i in range(dim)]
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    zero = np.zeros(n)
    if dim == 2:
        modes.append(np.column_stack([-Y, X]))
    else:
        modes += [np.column_stack([zero, -Z, Y]), np.column_stack([Z, zero, -X]), np.column_stack([-Y, X, zero])]
    return np.stack(modes)


def periodic_compatible_modes(dim: int, periodic_axes) -> np.ndarray:
    """The rigid modes whose displacement does not vary along any periodic axis (the only ones a
    displacement periodic along those axes can contain): every translation, and a rotation about
    axis k when neither of the two other axes is periodic.  Rows of coefficients."""
    n_modes = dim * (dim + 1) // 2
    rotation_axes = (2,) if dim == 2 else (0, 1, 2)
    keep = list(range(dim)) + [dim + r for r, axis in enumerate(rotation_axes)
                               if not any(a in periodic_axes for a in range(3) if a != axis)]
    return np.eye(n_modes)[keep]


def free_modes(dim: int, candidates: np.ndarray, constrained, comm, n_points: int, length: float) -> np.ndarray:
    """The combinations of the ``candidates`` modes (rows of coefficients) that vanish at every
    constrained degree of freedom.  ``constrained``: this rank's (points (n, 3) measured from the
    centre, components (n,)) pairs of prescribed degrees of freedom; ``n_points`` and ``length`` (the
    body's node count over all ranks and its size) scale the rank test."""
    gram = np.zeros((len(candidates), len(candidates)))
    for points, components in constrained:
        values = np.einsum("fm,mnd->fnd", candidates, rigid_modes(points, dim))[:, np.arange(len(points)), components]
        gram += values @ values.T
    gram = comm.allreduce(gram, op=MPI.SUM)
    w, Q = np.linalg.eigh(gram)
    scale = n_points * max(1.0, length) ** 2
    return (Q[:, w <= FREE_MODE_RTOL * scale].T @ candidates) if len(candidates) else candidates


def choose_pins(modes: np.ndarray, coords: np.ndarray, dim: int, comm) -> list[tuple[int, int, int]]:
    """(rank, local index, component) of one pinned degree of freedom per row of ``modes``, among the
    extreme points of ``coords`` (this rank's candidate points (n, 3), measured from the centre) along
    +-x, +-y (, +-z): the pivoted QR of the modes' values there picks the best-conditioned set (the
    pins are far apart, so a rotation is fixed with the largest lever).  Ties between equally extreme
    points go to the lexicographically smallest coordinates, so the pins are the same points on any
    number of ranks.  Collective."""
    k = len(modes)
    if k == 0:
        return []
    size = comm.allreduce(float(np.max(np.abs(coords), initial=0.0)), op=MPI.MAX)
    tol = TIE_RTOL * max(size, 1e-300)
    candidates = []
    for direction in np.vstack([np.eye(3)[:dim], -np.eye(3)[:dim]]):
        local = None
        if len(coords):
            reach = coords @ direction
            tied = np.flatnonzero(reach >= reach.max() - tol)
            i = int(tied[np.lexsort(np.round(coords[tied] / tol).T[::-1])[0]])
            local = (float(reach[i]), coords[i], i)
        gathered = comm.allgather(local)
        top = max(g[0] for g in gathered if g is not None)
        rank = min((r for r, g in enumerate(gathered) if g is not None and g[0] >= top - tol),
                   key=lambda r: tuple(np.round(gathered[r][1] / tol)))
        candidates.append((rank, gathered[rank][2], gathered[rank][1]))
    points = np.array([c[2] for c in candidates])
    table = np.einsum("fm,mnd->ndf", modes, rigid_modes(points, dim)).reshape(-1, k)  # rows: (point, component)
    _, R, pivots = scipy.linalg.qr(table.T, pivoting=True)
    if abs(R[k - 1, k - 1]) <= PIN_PIVOT_RTOL * abs(R[0, 0]):
        raise RuntimeError("could not pin the free rigid-body modes at the body's extreme nodes")
    return [(candidates[p // dim][0], candidates[p // dim][1], p % dim) for p in pivots[:k]]
