"""The numbering of the unknowns that Newton solves for: field by field, over the periodic nodes.

The state lives in a blocked Lagrange space V (node-major: c, mu, eta_1.. of node 0, then node 1, ...),
which is what the forms, the output and the checkpoints use.  The Newton unknown x is laid out
**field-major per rank**: rank r owns the periodic nodes ``o_r .. o_r + n_r - 1``
(:class:`pf_app.phasefield.periodic.NodeMap`) and holds

    x = [ c(o_r..) | mu(o_r..) | eta_1(o_r..) | ... ]       (n_fields x n_r entries),

so each field is one contiguous piece of every rank's part (an index set without copies): the blocks
of the Jacobian are scalar matrices in the node numbering, nested by these index sets
(:mod:`pf_app.phasefield.jacobian`), and the preconditioner works on views of x's fields.

Two 0/1 matrices connect the layouts: ``P`` (owned dofs of V x unknowns) with ``u = P x`` (every copy
node takes its master's value) and ``P0`` (owned nodes of the scalar space x periodic nodes), whose
transpose adds the residual of a copy node onto its master: r_k = P0^T b_k for each field k.
"""

from __future__ import annotations

import numpy as np
from petsc4py import PETSc

from dolfinx import fem

from pf_app.phasefield.periodic import NodeMap, periodic_node_map


class SystemLayout:
    """Node map, index sets, prolongation and local-to-global maps of one case's Newton system."""

    def __init__(self, V: fem.FunctionSpace, V0: fem.FunctionSpace, axes: tuple[int, ...]):
        if not (np.array_equal(V.dofmap.list, V0.dofmap.list)
                and V.dofmap.index_map.size_local == V0.dofmap.index_map.size_local):
            raise RuntimeError("the scalar and the blocked space number their nodes differently")
        comm = V.mesh.comm
        self.comm, self.V, self.V0 = comm, V, V0
        self.n_fields = V.dofmap.index_map_bs
        self.nodes: NodeMap = periodic_node_map(V0, axes)
        nf, nodes = self.n_fields, self.nodes
        imap = V0.dofmap.index_map
        self.n_owned_full = imap.size_local
        # scalar local-to-global map of the node numbering (what the Jacobian's blocks assemble through)
        self.node_lgmap = PETSc.LGMap().create(nodes.local_to_global.astype(PETSc.IntType), comm=comm)
        lo = nf * nodes.offset
        self.field_is = [PETSc.IS().createStride(nodes.owned, lo + k * nodes.owned, 1, comm=comm) for k in range(nf)]
        self.P = self._prolongation()
        self.P0 = self._scalar_prolongation(imap)
        ones = self.P.createVecLeft()
        ones.set(1.0)
        self.multiplicity = self.P.createVecRight()
        self.P.multTranspose(ones, self.multiplicity)  # copies per unknown
        ones = self.P0.createVecLeft()
        ones.set(1.0)
        copies = self.P0.createVecRight()
        self.P0.multTranspose(ones, copies)
        node_copies = self.P0.createVecLeft()
        self.P0.mult(copies, node_copies)
        #: per owned node: how many nodes (itself included) are the same periodic node
        self.copies_of_node = node_copies.getArray().copy()

    # ---- numbering ----------------------------------------------------------------------------------
    def field_major(self, global_nodes: np.ndarray, field: int) -> np.ndarray:
        """Global index in x of ``field`` at the given global (periodic) node numbers."""
        offsets = self.nodes.offsets
        owner = np.searchsorted(offsets, global_nodes, side="right") - 1
        counts = np.diff(offsets)
        return self.n_fields * offsets[owner] + field * counts[owner] + (global_nodes - offsets[owner])

    def _prolongation(self) -> PETSc.Mat:
        nf, nodes, n = self.n_fields, self.nodes, self.n_owned_full
        owned_map = nodes.local_to_global[:n]
        cols = np.column_stack([self.field_major(owned_map, k) for k in range(nf)]).ravel().astype(PETSc.IntType)
        indptr = np.arange(n * nf + 1, dtype=PETSc.IntType)
        P = PETSc.Mat().createAIJ(((n * nf, PETSc.DETERMINE), (nodes.owned * nf, nodes.total * nf)),
                                  csr=(indptr, cols, np.ones(n * nf)), comm=self.comm)
        P.assemble()
        return P

    def _scalar_prolongation(self, imap) -> PETSc.Mat:
        n, nodes = self.n_owned_full, self.nodes
        P0 = PETSc.Mat().createAIJ(((n, imap.size_global), (nodes.owned, nodes.total)),
                                   csr=(np.arange(n + 1, dtype=PETSc.IntType),
                                        nodes.local_to_global[:n].astype(PETSc.IntType), np.ones(n)),
                                   comm=self.comm)
        P0.assemble()
        return P0

    # ---- vectors ------------------------------------------------------------------------------------
    def create_vector(self) -> PETSc.Vec:
        """An unknown vector x (field-major, see the module doc)."""
        return self.P.createVecRight()

    def create_node_vector(self) -> PETSc.Vec:
        """A vector of one field over the periodic nodes (the layout of each of x's fields)."""
        return self.P0.createVecRight()

    def prolong(self, x: PETSc.Vec, u: fem.Function) -> None:
        """u <- P x (owned dofs), then ghost values from their owners."""
        self.P.mult(x, u.x.petsc_vec)
        u.x.scatter_forward()

    def restrict(self, u: fem.Function, x: PETSc.Vec) -> None:
        """x <- average over the copies of each unknown (exact for periodic u)."""
        self.P.multTranspose(u.x.petsc_vec, x)
        x.pointwiseDivide(x, self.multiplicity)

    def node_coordinates(self) -> np.ndarray:
        """Coordinates of this rank's periodic nodes (in the order of a field of x): each master's own."""
        nodes, n = self.nodes, self.n_owned_full
        local = nodes.local_to_global[:n] - nodes.offset
        mine = (local >= 0) & (local < nodes.owned)
        coords = np.empty((nodes.owned, 3))
        coords[local[mine]] = self.V0.tabulate_dof_coordinates()[:n][mine]
        return coords


def scalar_space(V: fem.FunctionSpace) -> fem.FunctionSpace:
    """The scalar Lagrange space of one field of the blocked space V (same nodes, same numbering:
    checked by :class:`SystemLayout`)."""
    import basix.ufl

    element = basix.ufl.element("Lagrange", V.mesh.basix_cell(), V.ufl_element().embedded_superdegree)
    return fem.functionspace(V.mesh, element)

