"""A block preconditioner for the mixed Cahn-Hilliard / Allen-Cahn Newton system that holds at every dt.

The Newton matrix of one time step (unknowns c, mu, eta_1..eta_N; ``tau = dt / a0`` with a0 the
leading BDF coefficient) has the blocks

        [ M/tau + D_c    K_Mc      D_ceta          ]      M     mass matrix
    J = [ -B             M         -G_ceta         ]      K_Mc  stiffness weighted by the CH mobility M_c
        [ A_etac         0         M/tau + A_eta   ]      B     kappa_c K + G_cc  (G: g's Hessian as mass)

with D_c, D_ceta the derivatives of the mobility and A_eta = kappa_eta K_L + L G_etaeta (+ the
derivative of L).  Eliminating c with the lumped mass M_L (D = M_L^-1) leaves the Schur complement

    S = M + tau B D K_Mc.

**What grows with dt.**  For large tau, S ~ tau B D K_Mc.  B is the second variation of the free
energy: inside the interfaces g is concave (G < 0), and B is nearly singular on the interfaces'
translation and capillary modes (B applied to grad c is grad mu, ~ 0 near equilibrium).  Those modes
are the slow ones that a large step resolves.  The factorised approximation of Bosch, Kay, Stoll and
Wathen (SIAM J. Sci. Comput. 36 (2014) B854),

    S_ = (M + alpha B+) M_L^-1 (M + beta K_Mc),   alpha beta = tau,   B+ = kappa_c K + max(G_cc, 0),

with alpha = 1 / (mean g_cc+ + sqrt(kappa_c / (tau m))), is spectrally equivalent to S per Fourier mode
(ratio in [~0.49, 1]; tests) but not on these modes: with B+ it sees B+ ~ |G-| where B ~ 0, with B
itself the cross terms alpha B + beta K_Mc dominate, so no choice of (alpha, beta) covers both the bulk
and the interface modes once tau |G-| m / h^2 >> 1.  Measured on PFHub 1a states (docs/phasefield_3d.md):
GMRES with S_ alone needs 19 iterations at dt = 1, 70-100 at dt = 100 and does not converge in 400 at
dt >= 1e3, while the same factorisation with S itself needs 4-5 at every dt.

**What we do.**  The Schur solve is an inner Krylov iteration on S itself, applied without forming it
(S v = M v + tau B (D (K_Mc v)): three products with blocks of J), preconditioned by S_; at large tau
the inner Krylov resolves the slow interface modes (4-8 outer iterations per Newton iteration from
dt = 1 to 1e5 on PFHub 1a).  At small tau one application of S_ is enough and cheaper, so the
preconditioner *escalates*: every linear solve starts with single applications of the approximations
(the BKSW preconditioner, a fixed linear operator) and switches to the inner Krylov solves when the
outer iterations reach ``escalate_after`` (30); from then on, solves at a tau at least half that one
start nested.  The outer method is FGMRES, which admits a preconditioner that changes between
iterations.  The order parameters likewise: an inner Krylov iteration on the
true block J_eta_i,eta_i, preconditioned by one AMG V-cycle of its convex part
P_eta = M/tau + kappa_eta K_L + max(L G_etaeta, 0) (the Allen-Cahn walls have the same slow modes).
FGMRES runs on the exact Jacobian, so Newton stays exact.  One application (r -> z):

    y_c     = tau M_L^-1 r_c
    z_mu    = S^-1 (r_mu + B y_c)                         inner GMRES, preconditioned by S_^-1
    z_c     = y_c - tau M_L^-1 K_Mc z_mu
    z_eta_i = J_eta_i,eta_i^-1 (r_eta_i - A_eta_i,c z_c - sum_{j<i} A_eta_i,eta_j z_eta_j)   inner GMRES, AMG(P_eta_i)

with S_^-1 = (M + beta K_Mc)^-1 M_L (M + alpha B+)^-1, one V-cycle of PETSc GAMG per factor.

Every block of J is read from the MatNest of :mod:`pf_app.phasefield.jacobian` as it is (the subvectors
of x are views); the SPD operators M + alpha B+, M + beta K_Mc and P_eta are scalar forms assembled into
matrices of the same node pattern (no copies of J's blocks, no periodic triple products).
"""

from __future__ import annotations

import math

import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

import dolfinx.fem.petsc as fem_petsc
from dolfinx import fem

from pf_app.phasefield.jacobian import node_matrix, pattern_form

#: Defaults of each AMG V-cycle (options prefix ``<solver prefix>block_<slot>_``).
AMG_OPTIONS = {"ksp_type": "preonly", "pc_type": "gamg", "pc_gamg_reuse_interpolation": True,
               "mg_levels_ksp_type": "chebyshev", "mg_levels_pc_type": "jacobi"}


#: the AMG factors are rebuilt when tau moved by more than this factor since they were built (or after
#: ``rebuild_every`` Newton iterations): the inner Krylov solves absorb a factor built for a nearby tau
REBUILD_TAU_FACTOR = 2.0

#: Krylov vectors kept by each inner GMRES before it restarts.  At large dt the Schur complement's
#: preconditioned spectrum has a few outlying eigenvalues (the interfaces' slow modes) that a restart
#: at 30 forgets: on the PFHub 1a disc state, a restart at 100 cuts the inner iterations at dt = 1e5
#: from 1,324 to 850 per Newton iteration (wall -40 %); a vector of a 96^3 node field is 7 MB, so the
#: inner solves hold at most 0.7 GB of them (and only while escalated).
INNER_RESTART = 100


def preconditioner_forms(model, alpha: fem.Constant, beta: fem.Constant) -> list:
    """The SPD operators that the preconditioner inverts (module doc), as bilinear forms on the scalar
    space of one field: M + alpha B+, M + beta K_Mc, then P_eta_i (coefficients from the state)."""
    p = model.parts
    w, q = ufl.TrialFunction(model.V0), ufl.TestFunction(model.V0)
    dx, dx_g = p.dx, p.dx_g

    def mass(coefficient=1.0, measure=dx):
        return coefficient * w * q * measure

    def stiffness(coefficient):
        return coefficient * ufl.inner(ufl.grad(w), ufl.grad(q)) * dx

    def positive(expr):
        return ufl.max_value(expr, 0.0)

    forms = [mass() + alpha * stiffness(p.kappa_c) + mass(alpha * positive(p.hessian_diagonal[0]), dx_g),
             mass() + beta * stiffness(p.mobility_c)]
    for i, (L, keta) in enumerate(zip(p.mobility_eta, p.kappa_eta)):
        forms.append(mass(model.bdf[0] / model.dt) + stiffness(L * keta)
                     + mass(positive(L * p.hessian_diagonal[1 + i]), dx_g))
    return forms


def lumped_mass(M: PETSc.Mat) -> PETSc.Vec:
    """Row-sum-preserving diagonal lumping by scaling diag(M) (Hinton, Rock and Zienkiewicz 1976):
    equal to the row sums for P1/Q1 elements, positive for P2 (whose vertex row sums vanish)."""
    diagonal = M.getDiagonal()
    total = M.getRowSum().sum()
    diagonal.scale(total / diagonal.sum())
    return diagonal


def factor_weights(tau: float, kappa_c: float, mobility: float, curvature: float) -> tuple[float, float]:
    """(alpha, beta), alpha beta = tau: the weights of the two factors of S_ (module doc) for the time
    scale tau, gradient coefficient kappa_c, mobility and convex curvature g_cc (>= 0)."""
    alpha = 1.0 / (curvature + math.sqrt(kappa_c / (tau * mobility)))
    return alpha, tau / alpha


class SchurOperator:
    """S v = M v + tau B D K_Mc v from the blocks of J (B = -J_mu,c), as a petsc4py Python matrix."""

    def __init__(self, J_mumu, J_muc, J_cmu, lumped_inverse: PETSc.Vec):
        self.M, self.Bn, self.K, self.D = J_mumu, J_muc, J_cmu, lumped_inverse
        self.tau = 1.0
        self.t = J_cmu.createVecLeft()

    def mult(self, mat, x, y):
        self.K.mult(x, self.t)
        self.t.pointwiseMult(self.t, self.D)
        self.Bn.mult(self.t, y)                 # y = -B D K x
        y.scale(-self.tau)
        self.M.multAdd(x, y, y)                 # y = M x + tau B D K x


class ProductSchurInverse:
    """S_^-1 t = (M + beta K_Mc)^-1 M_L (M + alpha B+)^-1 t: two AMG V-cycles (a Python PC)."""

    def __init__(self, alpha_ksp: PETSc.KSP, beta_ksp: PETSc.KSP, lumped: PETSc.Vec):
        self.alpha_ksp, self.beta_ksp, self.lumped = alpha_ksp, beta_ksp, lumped
        self.t = lumped.duplicate()

    def setUp(self, pc) -> None:  # noqa: N802 (petsc4py's name)
        pass

    def apply(self, pc, b, x) -> None:
        self.alpha_ksp.solve(b, self.t)
        self.t.pointwiseMult(self.t, self.lumped)
        self.beta_ksp.solve(self.t, x)


class KSPApply:
    """One solve of a KSP (an AMG V-cycle) as a Python PC."""

    def __init__(self, ksp: PETSc.KSP):
        self.ksp = ksp

    def setUp(self, pc) -> None:  # noqa: N802 (petsc4py's name)
        pass

    def apply(self, pc, b, x) -> None:
        self.ksp.solve(b, x)


class BlockPreconditioner:
    """The module's preconditioner as a petsc4py Python PC on the MatNest Jacobian.

    ``prepare()`` is called after each Jacobian assembly and rebuilds the AMG factors (assembly of the
    SPD forms and GAMG set-up) every ``rebuild_every`` Newton iterations (0: every iteration) and
    whenever tau moved by more than REBUILD_TAU_FACTOR; the inner Krylov solves always use the current
    Jacobian's blocks and tau."""

    def __init__(self, model, layout, jacobian, prefix: str, inner_rtol: float, inner_max_it: int,
                 rebuild_every: int = 0, escalate_after: int = 30):
        if model.cfg.gradient.kappa_c <= 0:
            raise ValueError("the iterative solver needs gradient.kappa_c > 0")
        self.model, self.layout, self.jac = model, layout, jacobian
        comm = layout.comm
        self.n_eta = model.n_eta
        mesh = model.mesh
        self.alpha, self.beta = fem.Constant(mesh, 1.0), fem.Constant(mesh, 1.0)
        self.forms = [fem.form(a) for a in preconditioner_forms(model, self.alpha, self.beta)]
        p = model.parts
        self.mean_forms = [fem.form(p.mobility_c * p.dx), fem.form(ufl.max_value(p.hessian_diagonal[0], 0.0) * p.dx_g)]
        pattern = pattern_form(model.V0)
        self.operators = [node_matrix(layout, pattern) for _ in self.forms]
        block = jacobian.block
        self.lumped = lumped_mass(block(1, 1))  # J_mu,mu = M, assembled once
        self.lumped_inverse = self.lumped.copy()
        self.lumped_inverse.reciprocal()
        opts = PETSc.Options()

        def ksp(slot: str, defaults: dict) -> PETSc.KSP:
            k = PETSc.KSP().create(comm)
            k.setOptionsPrefix(f"{prefix}block_{slot}_")
            for key, value in defaults.items():  # solver.petsc_options, set before, win
                if not opts.hasName(f"{prefix}block_{slot}_{key}"):
                    opts.setValue(f"{prefix}block_{slot}_{key}", value)
            k.setFromOptions()
            return k

        inner = {"ksp_type": "gmres", "ksp_rtol": inner_rtol, "ksp_atol": 0.0, "ksp_max_it": inner_max_it,
                 "ksp_gmres_restart": min(INNER_RESTART, inner_max_it), "ksp_norm_type": "unpreconditioned"}
        self.amg = [ksp(slot, AMG_OPTIONS) for slot in ("ch_alpha", "ch_beta", *(f"eta{i}_amg" for i in range(self.n_eta)))]
        self.schur = SchurOperator(block(1, 1), block(1, 0), block(0, 1), self.lumped_inverse)
        n, N = layout.nodes.owned, layout.nodes.total
        self.schur_matrix = PETSc.Mat().createPython(((n, N), (n, N)), self.schur, comm=comm)
        self.schur_matrix.setUp()
        self.schur_ksp = ksp("schur", inner)
        self.schur_ksp.setOperators(self.schur_matrix)
        self.schur_ksp.getPC().setType(PETSc.PC.Type.PYTHON)
        self.product = ProductSchurInverse(self.amg[0], self.amg[1], self.lumped)
        self.schur_ksp.getPC().setPythonContext(self.product)
        self.eta_ksp = []
        for i in range(self.n_eta):
            k = ksp(f"eta{i}", inner)
            k.setOperators(block(2 + i, 2 + i))
            k.getPC().setType(PETSc.PC.Type.PYTHON)
            k.getPC().setPythonContext(KSPApply(self.amg[2 + i]))
            self.eta_ksp.append(k)
        self.elastic = None  # the displacement block, solved after the order parameters (:mod:`pf_app.elasticity.block`)
        if model.elastic is not None:
            from pf_app.elasticity.block import DisplacementBlock

            self.elastic = DisplacementBlock(model, layout, jacobian, prefix, inner)
        self.work = {name: layout.create_node_vector() for name in ("y_c", "t", "u")}
        self.rebuild_every, self.since_rebuild, self.tau_built = rebuild_every, 0, None
        # escalation (module doc): one application of the approximations until an outer solve needs
        # ``escalate_after`` iterations, inner Krylov solves from then on and for every tau >= tau_nested
        self.escalate_after, self.tau_nested, self.nested = escalate_after, math.inf, False
        self.inner_iterations = 0  # inner Krylov iterations since the counter was reset (diagnostics)
        self.schur_iterations = 0

    def rebuild_at_next_jacobian(self) -> None:
        self.tau_built = None

    def configure(self, ksp: PETSc.KSP) -> None:
        """Make this the PC of the outer ``ksp`` and watch its iterations (escalation)."""
        pc = ksp.getPC()
        pc.setType(PETSc.PC.Type.PYTHON)
        pc.setPythonContext(self)
        ksp.setMonitor(self._monitor)

    def _monitor(self, ksp, its: int, rnorm: float) -> None:
        if its == 0:  # a new linear solve: nested from the start where a solve at a smaller tau needed it
            self.nested = self.schur.tau >= self.tau_nested
        elif not self.nested and its >= self.escalate_after:
            self.nested = True  # FGMRES admits a preconditioner that changes between iterations
            self.tau_nested = min(self.tau_nested, self.schur.tau / REBUILD_TAU_FACTOR)

    def means(self) -> tuple[float, float]:
        """Volume means of the Cahn-Hilliard mobility M_c and of max(g_cc, 0) at the current state."""
        m = self.model
        totals = m.mesh.comm.allreduce(np.array([fem.assemble_scalar(f) for f in self.mean_forms]), op=MPI.SUM)
        return max(totals[0] / m.volume, 1e-300), totals[1] / m.volume

    def prepare(self) -> None:
        """When due, assemble the SPD operators at the current state and set up their AMG V-cycles."""
        m = self.model
        tau = float(m.dt.value) / float(m.bdf.value[0])
        self.schur.tau = tau
        self.since_rebuild += 1
        if (self.tau_built is not None and abs(math.log(tau / self.tau_built)) <= math.log(REBUILD_TAU_FACTOR)
                and self.since_rebuild < self.rebuild_every):
            return
        self.since_rebuild, self.tau_built = 0, tau
        self.alpha.value, self.beta.value = factor_weights(tau, m.cfg.gradient.kappa_c, *self.means())
        for A, form in zip(self.operators, self.forms):
            A.zeroEntries()
            fem_petsc.assemble_matrix(A, form)
            A.assemble()
        for k, A in zip(self.amg, self.operators):
            k.setOperators(A)
            k.setUp()
        for k in self.eta_ksp:
            k.setUp()
        if self.elastic is not None:
            self.elastic.prepare()

    # ---- petsc4py Python PC protocol ------------------------------------------------------------
    def setUp(self, pc) -> None:  # noqa: N802 (petsc4py's name); the work is done in prepare()
        pass

    def apply(self, pc, x: PETSc.Vec, y: PETSc.Vec) -> None:
        iss, block, w = self.layout.field_is, self.jac.block, self.work
        tau = self.schur.tau
        r = [x.getSubVector(s) for s in iss]
        z = [y.getSubVector(s) for s in iss]
        # y_c = tau M_L^-1 r_c;  z_mu = S^-1 (r_mu - J_mu,c y_c)
        w["y_c"].pointwiseMult(r[0], self.lumped_inverse)
        w["y_c"].scale(tau)
        block(1, 0).mult(w["y_c"], w["t"])
        w["t"].aypx(-1.0, r[1])
        if self.nested:
            self.schur_ksp.solve(w["t"], z[1])
            self.inner_iterations += self.schur_ksp.getIterationNumber()
            self.schur_iterations += self.schur_ksp.getIterationNumber()
        else:
            self.product.apply(None, w["t"], z[1])
        # z_c = y_c - tau M_L^-1 K_Mc z_mu
        block(0, 1).mult(z[1], w["t"])
        w["t"].pointwiseMult(w["t"], self.lumped_inverse)
        w["y_c"].copy(z[0])
        z[0].axpy(-tau, w["t"])
        # order parameters, block Gauss-Seidel with inner Krylov on the true diagonal blocks
        for i in range(self.n_eta):
            r[2 + i].copy(w["t"])
            if block(2 + i, 0) is not None:
                block(2 + i, 0).mult(z[0], w["u"])
                w["t"].axpy(-1.0, w["u"])
            for j in range(i):
                if block(2 + i, 2 + j) is not None:
                    block(2 + i, 2 + j).mult(z[2 + j], w["u"])
                    w["t"].axpy(-1.0, w["u"])
            if self.nested:
                self.eta_ksp[i].solve(w["t"], z[2 + i])
                self.inner_iterations += self.eta_ksp[i].getIterationNumber()
            else:
                self.amg[2 + i].solve(w["t"], z[2 + i])
        if self.elastic is not None:
            self.inner_iterations += self.elastic.apply(r, z, self.nested)
        for s, v in zip(iss, r):
            x.restoreSubVector(s, v)
        for s, v in zip(iss, z):
            y.restoreSubVector(s, v)
