"""Newton's matrix assembled block by block, straight into the periodic system.

Each block J_kl (row field k, column field l; :attr:`PhaseFieldModel.jacobian_forms`) is a scalar
bilinear form of one field's space V0.  It is assembled by DOLFINx into a PETSc matrix whose
local-to-global map sends every local node to its periodic node (:class:`SystemLayout`): the element
matrices of a copy node add onto its master's rows and columns, so the matrix *is* P^T J P, and
neither the full Jacobian nor the triple product exists.  All blocks share one sparsity pattern (the
node graph of the cells), computed once with PETSc's preallocator.

Two containers of the same blocks (``kind``):

* ``nest`` (iterative solver): a MatNest of the scalar blocks over the field index sets of x, so the
  preconditioner reads each block as it is and the zero block d(eta row)/d(mu) takes no memory;
* ``aij`` (LU): one matrix in x's numbering, each block assembled into its part through
  MatGetLocalSubMatrix, which MUMPS factors.

Blocks that depend on nothing that changes (e.g. the mass matrix d(mu row)/d(mu)) are assembled once
in a MatNest.  Dirichlet nodes (:mod:`pf_app.phasefield.boundary`) get identity rows.
"""

from __future__ import annotations

import numpy as np
import ufl
from petsc4py import PETSc

import dolfinx.fem.petsc as fem_petsc
from dolfinx import fem

from pf_app.phasefield.layout import SystemLayout


def pattern_form(V0: fem.FunctionSpace) -> fem.Form:
    """A bilinear form whose sparsity is that of every block (all node pairs of a cell)."""
    w, q = ufl.TrialFunction(V0), ufl.TestFunction(V0)
    return fem.form(w * q * ufl.dx(metadata={"quadrature_degree": 0}))


def node_matrix(layout: SystemLayout, pattern: fem.Form) -> PETSc.Mat:
    """An empty scalar AIJ matrix over the periodic nodes with the cells' sparsity pattern and the
    node local-to-global map (so DOLFINx assembles into it)."""
    n, N = layout.nodes.owned, layout.nodes.total
    pre = PETSc.Mat().create(layout.comm)
    pre.setType(PETSc.Mat.Type.PREALLOCATOR)
    pre.setSizes(((n, N), (n, N)))
    pre.setLGMap(layout.node_lgmap, layout.node_lgmap)
    pre.setUp()
    fem_petsc.assemble_matrix(pre, pattern)
    pre.assemble()
    A = PETSc.Mat().createAIJ(((n, N), (n, N)), comm=layout.comm)
    pre.preallocatorPreallocate(A, fill=True)
    pre.destroy()
    A.setLGMap(layout.node_lgmap, layout.node_lgmap)
    A.setOption(PETSc.Mat.Option.NEW_NONZERO_ALLOCATION_ERR, True)
    A.setOption(PETSc.Mat.Option.KEEP_NONZERO_PATTERN, True)
    return A


class BlockJacobian:
    """The blocks of Newton's matrix in a MatNest (``kind="nest"``) or one AIJ matrix (``"aij"``)."""

    def __init__(self, model, layout: SystemLayout, kind: str):
        self.model, self.layout, self.kind = model, layout, kind
        forms = model.jacobian_forms
        nf = len(forms)
        pattern = pattern_form(model.V0)
        template = node_matrix(layout, pattern)
        self.bc_nodes = {k: model.dirichlet.local_nodes(k) for k in range(nf)} if model.dirichlet else {}
        if kind == "nest":
            self.blocks = [[None if f is None else template.duplicate() for f in row] for row in forms]
            for row in self.blocks:
                for A in row:
                    if A is not None:
                        A.setLGMap(layout.node_lgmap, layout.node_lgmap)
                        A.setOption(PETSc.Mat.Option.NEW_NONZERO_ALLOCATION_ERR, True)
                        A.setOption(PETSc.Mat.Option.KEEP_NONZERO_PATTERN, True)
            template.destroy()
            self.matrix = PETSc.Mat().createNest(self.blocks, isrows=layout.field_is, iscols=layout.field_is,
                                                 comm=layout.comm)
            for k, l in model.constant_blocks:
                self._assemble_block(self.blocks[k][l], k, l)
        else:
            template.destroy()
            self.blocks = None
            self.matrix = self._monolithic(layout, forms, pattern)
            n_local = len(layout.nodes.local_to_global)
            self.local_is = [PETSc.IS().createStride(n_local, k * n_local, 1, comm=PETSc.COMM_SELF) for k in range(nf)]

    @staticmethod
    def _monolithic(layout: SystemLayout, forms, pattern) -> PETSc.Mat:
        nf, nodes = len(forms), layout.nodes
        n_local = len(nodes.local_to_global)
        indices = np.concatenate([layout.field_major(nodes.local_to_global, k) for k in range(nf)])
        lgmap = PETSc.LGMap().create(indices.astype(PETSc.IntType), comm=layout.comm)
        n, N = nf * nodes.owned, nf * nodes.total
        pre = PETSc.Mat().create(layout.comm)
        pre.setType(PETSc.Mat.Type.PREALLOCATOR)
        pre.setSizes(((n, N), (n, N)))
        pre.setLGMap(lgmap, lgmap)
        pre.setUp()
        local = [PETSc.IS().createStride(n_local, k * n_local, 1, comm=PETSc.COMM_SELF) for k in range(nf)]
        for k in range(nf):
            for l in range(nf):
                if forms[k][l] is not None or k == l:
                    sub = pre.getLocalSubMatrix(local[k], local[l])
                    fem_petsc.assemble_matrix(sub, pattern)
                    pre.restoreLocalSubMatrix(local[k], local[l], sub)
        pre.assemble()
        A = PETSc.Mat().createAIJ(((n, N), (n, N)), comm=layout.comm)
        pre.preallocatorPreallocate(A, fill=True)
        pre.destroy()
        A.setLGMap(lgmap, lgmap)
        A.setOption(PETSc.Mat.Option.NEW_NONZERO_ALLOCATION_ERR, True)
        A.setOption(PETSc.Mat.Option.KEEP_NONZERO_PATTERN, True)
        return A

    def _assemble_block(self, A: PETSc.Mat, k: int, l: int) -> None:
        A.zeroEntries()
        fem_petsc.assemble_matrix(A, self.model.jacobian_forms[k][l])
        A.assemble()
        if k in self.bc_nodes:
            A.zeroRowsLocal(self.bc_nodes[k].astype(PETSc.IntType), diag=1.0 if k == l else 0.0)

    def assemble(self) -> None:
        """Newton's matrix at the model's current state (and dt)."""
        model = self.model
        if self.kind == "nest":
            for k, row in enumerate(self.blocks):
                for l, A in enumerate(row):
                    if A is not None and (k, l) not in model.constant_blocks:
                        self._assemble_block(A, k, l)
            self.matrix.assemble()
            return
        A = self.matrix
        A.zeroEntries()
        for k, row in enumerate(model.jacobian_forms):
            for l, form in enumerate(row):
                if form is not None:
                    sub = A.getLocalSubMatrix(self.local_is[k], self.local_is[l])
                    fem_petsc.assemble_matrix(sub, form)
                    A.restoreLocalSubMatrix(self.local_is[k], self.local_is[l], sub)
        A.assemble()
        if self.bc_nodes:
            rows = np.concatenate([self.local_is[k].getIndices()[nodes] for k, nodes in self.bc_nodes.items()])
            A.zeroRowsLocal(rows.astype(PETSc.IntType), diag=1.0)

    def block(self, k: int, l: int) -> PETSc.Mat | None:
        """Block (k, l) of a nest (None where it vanishes)."""
        return self.blocks[k][l]
