"""The elastic operator of a coupled case on the periodic nodes, node-major (interlaced), for AMG.

    K_u[(i, a), (j, b)] = (C(c, eta) eps(phi_j e_b), eps(phi_i e_a))

is the block d(u rows)/du of Newton's matrix (:mod:`pf_app.elasticity.coupling`), but assembled as
one matrix of block size d whose rows are ordered node by node (u_x, u_y[, u_z] of node 0, then node
1, ...): the layout smoothed aggregation needs to aggregate the components of a node together and to
use the rigid-body modes as its near-nullspace.  It is assembled by DOLFINx from a vector form through
a blocked local-to-global map that sends each local node to its periodic node (as the Jacobian's
scalar blocks are: :mod:`pf_app.phasefield.jacobian`), so it is P^T K P without the product.  Rows
and columns of the displacement's Dirichlet nodes (prescribed values and pins) are the identity's.

The Newton unknown keeps its field-major layout (:mod:`pf_app.phasefield.layout`); :meth:`interleave`
and :meth:`split` move one rank's displacement fields between the two layouts (no communication).
"""

from __future__ import annotations

import itertools

import numpy as np
import ufl
from petsc4py import PETSc

import dolfinx.fem.petsc as fem_petsc
from dolfinx import fem

from pf_app.elasticity.forms import strain
from pf_app.elasticity.rigid import rigid_modes
from pf_app.elasticity.solver import LU_OPTIONS, iterative_options

_prefixes = itertools.count()


class ElasticOperator:
    """K_u at the model's current state (module doc); ``assemble()`` refreshes it."""

    def __init__(self, model, layout):
        coupling = model.elastic
        self.model, self.layout, self.dim = model, layout, coupling.dim
        dim, mesh, comm = self.dim, model.mesh, layout.comm
        Vu = fem.functionspace(mesh, ("Lagrange", model.cfg.fields.degree, (dim,)))
        if not np.array_equal(Vu.dofmap.list, model.V0.dofmap.list):
            raise RuntimeError("the displacement's vector space numbers its nodes differently from the fields'")
        w, v = ufl.TrialFunction(Vu), ufl.TestFunction(Vu)
        form = ufl.inner(coupling.law.tangent_stress(strain(w, dim), coupling.fields), strain(v, dim)) * coupling.dx
        self.constant = not form.coefficients()  # one stiffness everywhere: assembled once
        self.form = fem.form(form)
        nodes = layout.nodes
        n, N = dim * nodes.owned, dim * nodes.total
        lgmap = PETSc.LGMap().create(nodes.local_to_global.astype(PETSc.IntType), bsize=dim, comm=comm)
        pre = PETSc.Mat().create(comm)
        pre.setType(PETSc.Mat.Type.PREALLOCATOR)
        pre.setSizes(((n, N), (n, N)), bsize=dim)
        pre.setLGMap(lgmap, lgmap)
        pre.setUp()
        fem_petsc.assemble_matrix(pre, self.form)
        pre.assemble()
        A = PETSc.Mat().createAIJ(((n, N), (n, N)), bsize=dim, comm=comm)
        pre.preallocatorPreallocate(A, fill=True)
        pre.destroy()
        A.setLGMap(lgmap, lgmap)
        A.setOption(PETSc.Mat.Option.NEW_NONZERO_ALLOCATION_ERR, True)
        A.setOption(PETSc.Mat.Option.KEEP_NONZERO_PATTERN, True)
        self.A = A
        # Dirichlet rows: local (owned and ghost) node-major indices, and their places in this rank's part
        first, offset = coupling.first, nodes.offset
        local_rows, owned_rows = [], []
        for a in range(dim):
            found = model.dirichlet.local_nodes(first + a) if model.dirichlet else np.empty(0, np.int32)
            local_rows.append(found * dim + a)
            periodic = nodes.local_to_global[found] - offset
            mine = periodic[(periodic >= 0) & (periodic < nodes.owned)]
            owned_rows.append(mine * dim + a)
        self.bc_rows_local = np.unique(np.concatenate(local_rows)).astype(PETSc.IntType)
        self.bc_rows_owned = np.unique(np.concatenate(owned_rows)).astype(np.int64)
        A.setNearNullSpace(self._near_nullspace())
        self.assembled = False

    def assemble(self) -> None:
        """K_u at the model's state (once if it depends on no field)."""
        if self.assembled and self.constant:
            return
        A = self.A
        A.zeroEntries()
        fem_petsc.assemble_matrix(A, self.form)
        A.assemble()
        A.zeroRowsColumnsLocal(self.bc_rows_local, diag=1.0)
        self.assembled = True

    # ---- layouts ----------------------------------------------------------------------------------
    def create_vector(self) -> PETSc.Vec:
        return self.A.createVecLeft()

    def interleave(self, parts: list[PETSc.Vec], out: PETSc.Vec) -> None:
        """out (node-major) <- this rank's entries of the field vectors ``parts`` (u_x, u_y[, u_z])."""
        view = out.array.reshape(-1, self.dim)
        for a, part in enumerate(parts):
            view[:, a] = part.array

    def interleaved(self, parts: list[PETSc.Vec]) -> PETSc.Vec:
        out = self.create_vector()
        self.interleave(parts, out)
        return out

    def split_into(self, vec: PETSc.Vec, parts: list[PETSc.Vec]) -> None:
        view = vec.array_r.reshape(-1, self.dim)
        for a, part in enumerate(parts):
            part.array[:] = view[:, a]

    def split(self, vec: PETSc.Vec) -> list[PETSc.Vec]:
        parts = [self.layout.create_node_vector() for _ in range(self.dim)]
        self.split_into(vec, parts)
        return parts

    def _near_nullspace(self) -> PETSc.NullSpace:
        """The rigid-body modes at this rank's periodic nodes (measured from the box centre), orthonormal."""
        from pf_app.phasefield.periodic import box_bounds

        lo, hi = box_bounds(self.model.mesh)
        coords = self.layout.node_coordinates() - 0.5 * (lo + hi)
        vectors = []
        for mode in rigid_modes(coords, self.dim):
            vec = self.create_vector()
            vec.array[:] = mode.reshape(-1)
            for q in vectors:  # Gram-Schmidt
                vec.axpy(-vec.dot(q), q)
            vec.normalize()
            vectors.append(vec)
        return PETSc.NullSpace().create(vectors=vectors, comm=self.layout.comm)

    # ---- a standalone solve -----------------------------------------------------------------------
    def solver(self, cfg) -> PETSc.KSP:
        """A KSP on K_u: MUMPS LU or CG + GAMG, chosen like the mechanical solver's
        (``elasticity.solver``: ``linear``, ``auto_dofs``, ``auto_dofs_3d``, ``rtol``, ``petsc_options``)."""
        dofs = self.A.getSize()[0]
        linear = cfg.linear if cfg.linear != "auto" else \
            ("iterative" if dofs >= (cfg.auto_dofs_3d if self.dim == 3 else cfg.auto_dofs) else "lu")
        prefix = f"elastic_equilibrium{next(_prefixes)}_"
        opts = PETSc.Options()
        for key, value in {**(LU_OPTIONS if linear == "lu" else iterative_options(cfg)), **cfg.petsc_options}.items():
            opts[prefix + key] = value
        ksp = PETSc.KSP().create(self.layout.comm)
        ksp.setOptionsPrefix(prefix)
        ksp.setOperators(self.A)
        ksp.setFromOptions()
        return ksp
