"""Periodic boundary conditions without dolfinx_mpc: a prolongation matrix P.

P maps the reduced ("periodic") unknowns to all dofs of a blocked Lagrange space: every node on a
maximum face of a periodic axis is a copy of its image on the minimum face (corners and edges are
wrapped on all periodic axes at once).  Newton then solves P^T F(P u_r) = 0 with Jacobian P^T J P,
which is the Galerkin projection onto periodic functions.  Images are found by matching coordinates
(tolerance relative to the box size), across ranks through an all-gather of the minimum-face nodes.
The fields written to disk live on the real, full mesh.
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI
from petsc4py import PETSc
from scipy.spatial import cKDTree

import dolfinx


def box_bounds(mesh: dolfinx.mesh.Mesh) -> tuple[np.ndarray, np.ndarray]:
    """Global minimum and maximum coordinate per axis (all ranks agree)."""
    x = mesh.geometry.x
    lo, hi = np.empty(3), np.empty(3)
    mesh.comm.Allreduce(x.min(axis=0) if len(x) else np.full(3, np.inf), lo, op=MPI.MIN)
    mesh.comm.Allreduce(x.max(axis=0) if len(x) else np.full(3, -np.inf), hi, op=MPI.MAX)
    return lo, hi


class PeriodicMap:
    """The prolongation P (owned full dofs x reduced dofs) and its helpers for one blocked space."""

    def __init__(self, V: dolfinx.fem.FunctionSpace, axes: tuple[int, ...]):
        comm = V.mesh.comm
        imap, bs = V.dofmap.index_map, V.dofmap.index_map_bs
        n_owned, n_local = imap.size_local, imap.size_local + imap.num_ghosts
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

        # Reduced numbering of owned non-copy nodes, then shared with ghosts through the index map.
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
        local_pts = np.ascontiguousarray(coords[:n_owned][cand])
        local_ids = node_map[:n_owned][cand]
        all_pts = np.vstack(comm.allgather(local_pts))
        all_ids = np.concatenate(comm.allgather(local_ids))
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

        self.bs, self.n_owned, self.comm, self.axes = bs, n_owned, comm, tuple(axes)
        self.P = self._matrix(imap, bs, node_map[:n_owned], n_red_owned, n_red_global)
        ones = self.P.createVecLeft()
        ones.set(1.0)
        self.multiplicity = self.P.createVecRight()
        self.P.multTranspose(ones, self.multiplicity)  # copies per reduced dof

    @staticmethod
    def _matrix(imap, bs, owned_map, n_red_owned, n_red_global) -> PETSc.Mat:
        n_owned = imap.size_local
        n_rows = n_owned * bs
        cols = (np.repeat(owned_map, bs) * bs + np.tile(np.arange(bs), n_owned)).astype(PETSc.IntType)
        indptr = np.arange(n_rows + 1, dtype=PETSc.IntType)  # one entry (a 1) per owned row
        P = PETSc.Mat().createAIJ(((n_owned * bs, imap.size_global * bs), (n_red_owned * bs, n_red_global * bs)),
                                  csr=(indptr, cols, np.ones(n_rows)), comm=imap.comm)
        P.assemble()
        return P

    def create_reduced_vector(self) -> PETSc.Vec:
        return self.P.createVecRight()

    def prolong(self, x_reduced: PETSc.Vec, u: dolfinx.fem.Function) -> None:
        """u <- P x_reduced (owned dofs), then ghost values from their owners."""
        self.P.mult(x_reduced, u.x.petsc_vec)
        u.x.scatter_forward()

    def restrict(self, u: dolfinx.fem.Function, x_reduced: PETSc.Vec) -> None:
        """x_reduced <- average over the copies of each reduced dof (exact for periodic u)."""
        self.P.multTranspose(u.x.petsc_vec, x_reduced)
        x_reduced.pointwiseDivide(x_reduced, self.multiplicity)
