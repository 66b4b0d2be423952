"""Periodic boundary conditions without dolfinx_mpc: a map from mesh nodes to periodic nodes.

Every node on a maximum face of a periodic axis is a copy of its image on the minimum face (corners
and edges are wrapped on all periodic axes at once).  :func:`periodic_node_map` gives each local node
(owned and ghost) of a Lagrange space the global number of the *periodic node* it is, numbering the
owned nodes that are not copies rank by rank.  Matrices assembled through this numbering (as a PETSc
local-to-global map, :mod:`pf_app.phasefield.layout`) add every copy's contributions onto its master's
rows and columns, which is the Galerkin projection P^T J P onto periodic functions, without ever
forming J or P^T J P.  Images are found by matching coordinates (tolerance relative to the box size),
across ranks through an all-gather of the minimum-face nodes.  The fields written to disk live on the
real, full mesh.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mpi4py import MPI
from scipy.spatial import cKDTree

import dolfinx


def box_bounds(mesh: dolfinx.mesh.Mesh) -> tuple[np.ndarray, np.ndarray]:
    """Global minimum and maximum coordinate per axis (all ranks agree)."""
    x = mesh.geometry.x
    lo, hi = np.empty(3), np.empty(3)
    mesh.comm.Allreduce(x.min(axis=0) if len(x) else np.full(3, np.inf), lo, op=MPI.MIN)
    mesh.comm.Allreduce(x.max(axis=0) if len(x) else np.full(3, -np.inf), hi, op=MPI.MAX)
    return lo, hi


@dataclass(frozen=True)
class NodeMap:
    """Local node (owned, then ghosts) -> global number of the node it is in the solved system.

    ``owned`` of this rank's nodes are numbered ``offset .. offset + owned - 1``; ``total`` over all
    ranks; ``offsets`` (one per rank, then the total) say which rank owns a global node number."""

    local_to_global: np.ndarray
    owned: int
    offset: int
    total: int
    offsets: np.ndarray
    axes: tuple[int, ...]


def periodic_node_map(V: dolfinx.fem.FunctionSpace, axes: tuple[int, ...]) -> NodeMap:
    """The node numbering of the periodic system for the scalar or blocked Lagrange space ``V``
    (nodes only: every field of a node shares its number).  Without ``axes`` it is DOLFINx's own
    global numbering."""
    comm = V.mesh.comm
    imap = V.dofmap.index_map
    n_owned, n_local = imap.size_local, imap.size_local + imap.num_ghosts
    if not axes:
        offset = imap.local_range[0]
        return NodeMap(imap.local_to_global(np.arange(n_local, dtype=np.int32)).astype(np.int64), n_owned,
                       offset, imap.size_global, np.array(comm.allgather(offset) + [imap.size_global]), ())
    coords = V.tabulate_dof_coordinates()[:n_local]
    lo, hi = box_bounds(V.mesh)
    tol = 1e-8 * float(np.max(hi - lo))

    wrapped = coords.copy()
    is_copy = np.zeros(n_local, bool)
    on_min = np.zeros(n_local, bool)
    for a in axes:
        at_max = np.abs(coords[:, a] - hi[a]) < tol
        wrapped[at_max, a] = lo[a]
        is_copy |= at_max
        on_min |= np.abs(coords[:, a] - lo[a]) < tol

    # Numbering of owned non-copy nodes, then shared with ghosts through the index map.
    owned_master = ~is_copy[:n_owned]
    n_red_owned = int(owned_master.sum())
    offset = comm.exscan(n_red_owned) or 0
    n_red_global = comm.allreduce(n_red_owned)
    red = dolfinx.la.vector(imap, 1, dtype=np.float64)
    red.array[:] = -1.0
    red.array[:n_owned][owned_master] = offset + np.arange(n_red_owned)
    red.scatter_forward()
    node_map = red.array.astype(np.int64)

    # Copies: look their wrapped coordinates up among all ranks' owned minimum-face masters.
    cand = owned_master & on_min[:n_owned]
    all_pts = np.vstack(comm.allgather(np.ascontiguousarray(coords[:n_owned][cand])))
    all_ids = np.concatenate(comm.allgather(node_map[:n_owned][cand]))
    copies = np.flatnonzero(is_copy)
    if len(copies):
        if not len(all_pts):
            raise RuntimeError("periodic axes given but no nodes on the minimum faces")
        dist, idx = cKDTree(all_pts).query(wrapped[copies])
        if np.any(dist > tol):
            bad = copies[np.argmax(dist)]
            raise RuntimeError(f"periodic image of node at {coords[bad]} not found: the mesh is not periodic "
                               "(opposite faces must have matching nodes)")
        node_map[copies] = all_ids[idx]
    assert np.all(node_map >= 0)
    return NodeMap(node_map, n_red_owned, offset, n_red_global, np.array(comm.allgather(offset) + [n_red_global]),
                   tuple(axes))
