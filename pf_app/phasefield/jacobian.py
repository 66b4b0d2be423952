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

In a MatNest, blocks that depend on nothing that changes (e.g. the mass matrix d(mu row)/d(mu)) are
assembled once, and the vertex-rule terms of a lumped free energy, whose matrices are diagonal, are
assembled as vectors and added onto the diagonal (the previous step's diagonal taken off first): the
rows of mu then cost two vector assemblies instead of two matrix assemblies.  Dirichlet nodes
(:mod:`pf_app.phasefield.boundary`) get identity rows.
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


class SharedCoefficients:
    """Coefficients packed once per state for every form of a group that has the same coefficients and
    integrals (most blocks of the Jacobian depend on the state u only): DOLFINx would pack the same
    array for each of them."""

    def __init__(self, forms: list[fem.Form]):
        self.keys = {id(f): self._key(f) for f in forms}
        self.uses_left: dict = {}
        for key in self.keys.values():
            self.uses_left[key] = self.uses_left.get(key, 0) + 1
        self.shared = {key for key, n in self.uses_left.items() if n > 1}
        self.packed: dict = {}
        self.group_index = {key: i for i, key in enumerate(self.uses_left)}

    def group(self, form: fem.Form | None) -> int:
        """The index of the group of forms that share ``form``'s packing (assemble a group's forms one
        after the other and only its pack is alive); -1 for no form."""
        return -1 if form is None else self.group_index[self.keys[id(form)]]

    @staticmethod
    def _key(form: fem.Form) -> tuple:
        cpp = form._cpp_object
        coefficients = tuple(id(c) for c in cpp.coefficients)
        integrals = tuple((t, cpp.num_integrals(t, 0)) for t in cpp.integral_types)
        return coefficients, integrals

    def __call__(self, form: fem.Form) -> dict | None:
        """The packed coefficients of ``form`` (None: DOLFINx packs them itself)."""
        key = self.keys[id(form)]
        if key not in self.shared:
            return None
        if key not in self.packed:
            self.packed[key] = fem.pack_coefficients(form)
        self.uses_left[key] -= 1
        # after its last use the pack lives only as long as the caller's assembly (one group's pack of
        # ~100 bytes per cell, not all of them, at a time)
        return self.packed.pop(key) if self.uses_left[key] == 0 else self.packed[key]


class BlockJacobian:
    """The blocks of Newton's matrix in a MatNest (``kind="nest"``) or one AIJ matrix (``"aij"``)."""

    def __init__(self, model, layout: SystemLayout, kind: str):
        self.model, self.layout, self.kind = model, layout, kind
        specs = model.jacobian_blocks
        nf = len(specs)
        pattern = pattern_form(model.V0)
        self.bc_nodes = {k: model.dirichlet.local_nodes(k) for k in range(nf)} if model.dirichlet else {}
        if kind == "nest":
            self.matrix_forms = [[None if b.matrix is None else fem.form(b.matrix) for b in row] for row in specs]
            self.diagonal_forms = [[None if b.diagonal is None else fem.form(b.diagonal) for b in row] for row in specs]
            template = node_matrix(layout, pattern)
            self.blocks = [[None if b.matrix is None and b.diagonal is None else template.duplicate() for b in row]
                           for row in specs]
            template.destroy()
            for row in self.blocks:
                for A in row:
                    if A is not None:
                        A.setLGMap(layout.node_lgmap, layout.node_lgmap)
                        A.setOption(PETSc.Mat.Option.NEW_NONZERO_ALLOCATION_ERR, True)
                        A.setOption(PETSc.Mat.Option.KEEP_NONZERO_PATTERN, True)
            self.matrix = PETSc.Mat().createNest(self.blocks, isrows=layout.field_is, iscols=layout.field_is,
                                                 comm=layout.comm)
            self.diagonal = fem_petsc.create_vector(model.V0)  # one field's diagonal, ghosted
            self.added = {}  # (k, l) -> the diagonal added onto a constant block at the last assembly
            for k, row in enumerate(specs):
                for l, b in enumerate(row):
                    if b.constant:
                        self._assemble_matrix(k, l)
        else:
            self.combined_forms = [[None if b.combined is None else fem.form(b.combined) for b in row] for row in specs]
            self.blocks = None
            self.matrix = self._monolithic(layout, self.combined_forms, pattern)
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

    def _assemble_matrix(self, k: int, l: int, packed: SharedCoefficients | None = None) -> None:
        A = self.blocks[k][l]
        A.zeroEntries()
        form = self.matrix_forms[k][l]
        if form is not None:
            fem_petsc.assemble_matrix(A, form, coeffs=packed(form) if packed else None)
        A.assemble()

    def _diagonal(self, k: int, l: int, packed: SharedCoefficients) -> PETSc.Vec:
        """The vertex-rule part of block (k, l) at the current state, on the periodic nodes."""
        d, form = self.diagonal, self.diagonal_forms[k][l]
        with d.localForm() as loc:
            loc.set(0.0)
        fem_petsc.assemble_vector(d, form, coeffs=packed(form))
        d.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        reduced = self.layout.create_node_vector()
        self.layout.P0.multTranspose(d, reduced)
        return reduced

    def assemble(self) -> None:
        """Newton's matrix at the model's current state (and dt)."""
        if self.kind == "nest":
            specs = self.model.jacobian_blocks
            packed = SharedCoefficients([f for forms in (self.matrix_forms, self.diagonal_forms)
                                         for row in forms for f in row if f is not None])
            present = [(k, l) for k, row in enumerate(self.blocks) for l, A in enumerate(row) if A is not None]
            # the changing matrices first, then the diagonals added onto them, each pass group by group
            # of shared coefficient packing; then the Dirichlet rows
            changing = [(k, l) for k, l in present if not specs[k][l].constant]  # (no matrix form: zeroed)
            for k, l in sorted(changing, key=lambda kl: packed.group(self.matrix_forms[kl[0]][kl[1]])):
                self._assemble_matrix(k, l, packed)
            diagonals = [(k, l) for k, l in present if specs[k][l].diagonal is not None]
            for k, l in sorted(diagonals, key=lambda kl: packed.group(self.diagonal_forms[kl[0]][kl[1]])):
                A, d = self.blocks[k][l], self._diagonal(k, l, packed)
                if specs[k][l].constant:  # take off what the last assembly added
                    A.setDiagonal(d - self.added[(k, l)] if (k, l) in self.added else d,
                                  addv=PETSc.InsertMode.ADD_VALUES)
                    self.added[(k, l)] = d
                else:
                    A.setDiagonal(d, addv=PETSc.InsertMode.ADD_VALUES)
            for k, l in present:
                if k in self.bc_nodes:
                    # identity rows (a constant block's next diagonal update there is reset again)
                    self.blocks[k][l].zeroRowsLocal(self.bc_nodes[k].astype(PETSc.IntType), diag=1.0 if k == l else 0.0)
            self.matrix.assemble()
            return
        A = self.matrix
        A.zeroEntries()
        for k, row in enumerate(self.combined_forms):
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
