"""The displacement block of the phase-field block preconditioner (:mod:`pf_app.phasefield.block_preconditioner`).

With elasticity Newton's matrix gains the displacement u = (u_x, u_y[, u_z]) after the order parameters:

        [ J_cc    J_cmu    J_ceta    0      ]
    J = [ J_muc   J_mumu   J_mueta   J_muu  ]      J_uu: the elastic operator (C eps(w), eps(v))
        [ J_etac  0        J_etaeta  J_etau ]      J_uc, J_ueta: the eigenstrain's and the stiffness's
        [ J_uc    0        J_ueta    J_uu   ]            derivatives (the load the fields exert)

The chemistry is solved first as without elasticity (the Schur complement of (c, mu), then the order
parameters), and the displacement last, in block Gauss-Seidel order:

    z_u = J_uu^-1 (r_u - J_uc z_c - sum_i J_ueta_i z_eta_i)

by an inner Krylov iteration (GMRES, the same tolerance as the other inner solves) on the true block
J_uu, preconditioned by one V-cycle of smoothed aggregation (PETSc GAMG) on the node-major copy of the
elastic operator with the rigid-body modes as near-nullspace (:mod:`pf_app.elasticity.operator`);
while the block preconditioner applies its approximations once (before it escalates), by that
V-cycle alone.
The couplings J_muu, J_etau (the elastic driving forces' dependence on u) are left to the outer
FGMRES, which sees the exact J.
"""

from __future__ import annotations

from petsc4py import PETSc

from pf_app.elasticity.operator import ElasticOperator

#: the V-cycle of the elastic operator (options prefix ``<solver prefix>block_u_``): smoothed aggregation
AMG_OPTIONS = {"pc_type": "gamg", "pc_gamg_type": "agg", "mg_levels_ksp_type": "chebyshev",
               "mg_levels_pc_type": "jacobi"}


class InterlacedBlock:
    """J_uu applied to a node-major vector through the MatNest's scalar blocks (a petsc4py Python Mat)."""

    def __init__(self, blocks: list[list[PETSc.Mat | None]], op: ElasticOperator):
        self.blocks, self.op = blocks, op
        self.x = op.split(op.create_vector())
        self.y = op.split(op.create_vector())
        self.t = op.layout.create_node_vector()

    def mult(self, mat, x: PETSc.Vec, y: PETSc.Vec) -> None:
        self.op.split_into(x, self.x)
        for a, row in enumerate(self.blocks):
            self.y[a].set(0.0)
            for b, block in enumerate(row):
                if block is not None:
                    block.multAdd(self.x[b], self.y[a], self.y[a])
        self.op.interleave(self.y, y)


class DisplacementBlock:
    """The module's solve, called by the block preconditioner: ``prepare()`` when its AMG factors are
    rebuilt, ``apply(r, z)`` after the order parameters (``r``, ``z``: the per-field subvectors)."""

    def __init__(self, model, layout, jacobian, prefix: str, inner: dict):
        self.model, self.jac = model, jacobian
        self.first, self.dim = model.elastic.first, model.elastic.dim
        self.op = ElasticOperator(model, layout)
        fields = range(self.first, self.first + self.dim)
        self.shell_context = InterlacedBlock([[jacobian.block(a, b) for b in fields] for a in fields], self.op)
        n = self.op.A.getLocalSize()[0]
        N = self.op.A.getSize()[0]
        self.shell = PETSc.Mat().createPython(((n, N), (n, N)), self.shell_context, comm=layout.comm)
        self.shell.setUp()
        opts = PETSc.Options()
        slot = f"{prefix}block_u_"
        for key, value in {**inner, **AMG_OPTIONS}.items():  # solver.petsc_options, set before, win
            if not opts.hasName(slot + key):
                opts.setValue(slot + key, value)
        self.ksp = PETSc.KSP().create(layout.comm)
        self.ksp.setOptionsPrefix(slot)
        self.ksp.setFromOptions()
        self.rhs, self.solution = self.op.create_vector(), self.op.create_vector()
        self.t = [layout.create_node_vector() for _ in range(self.dim)]
        self.u = layout.create_node_vector()
        self.iterations = 0  # inner Krylov iterations since the counter was reset (diagnostics)

    def prepare(self) -> None:
        """The elastic operator at the current state and its V-cycle."""
        self.op.assemble()
        self.ksp.setOperators(self.shell, self.op.A)
        self.ksp.setUp()

    def apply(self, r: list[PETSc.Vec], z: list[PETSc.Vec], nested: bool) -> int:
        """z_u from r_u and the chemistry's z already computed (module doc), by the inner Krylov solve
        (``nested``) or by one V-cycle (while the block preconditioner applies its approximations
        once); returns the inner iterations."""
        block = self.jac.block
        chemical = [l for l in range(self.first) if l != 1]
        for a in range(self.dim):
            k = self.first + a
            r[k].copy(self.t[a])
            for l in chemical:
                if block(k, l) is not None:
                    block(k, l).mult(z[l], self.u)
                    self.t[a].axpy(-1.0, self.u)
        self.op.interleave(self.t, self.rhs)
        if nested:
            self.ksp.solve(self.rhs, self.solution)
            its = self.ksp.getIterationNumber()
        else:
            self.ksp.getPC().apply(self.rhs, self.solution)
            its = 0
        self.op.split_into(self.solution, [z[self.first + a] for a in range(self.dim)])
        self.iterations += its
        return its
