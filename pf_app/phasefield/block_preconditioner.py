"""A block preconditioner for the mixed Cahn-Hilliard / Allen-Cahn Newton system, with AMG blocks.

The Newton matrix J of one time step (unknowns ordered c, mu, eta_1..eta_N; ``tau = dt / a0`` with
a0 the leading BDF coefficient) has the blocks

        [ M/tau + D_c    K_Mc      D_ceta          ]      M     mass matrix
    J = [ -B             M         -G_ceta         ]      K_Mc  stiffness weighted by the CH mobility M_c
        [ A_etac         0         M/tau + A_eta   ]      B     kappa_c K + G_cc  (G: g's Hessian as mass)

with D_c, D_ceta the derivatives of the mobility and A_eta = kappa_eta K_L + L G_etaeta (+ the
derivative of L).  Eliminating c with the lumped mass M_L leaves the Schur complement

    S = M + tau B M_L^-1 K_Mc  ~  S_ = (M + alpha B+) M_L^-1 (M + beta K_Mc),   alpha beta = tau,

the factorisation of Bosch, Kay, Stoll and Wathen (SIAM J. Sci. Comput. 36 (2014) B854) extended to
a free energy with curvature and a variable mobility.  B+ = kappa_c K + max(G_cc, 0) keeps the
convex part of g so that both factors are symmetric positive definite Laplacian-like operators,
which one algebraic multigrid V-cycle (PETSc GAMG) solves to a constant factor independent of h
and dt.  Per Fourier mode k with constant coefficients (X = kappa_c k^2 + g_cc, Y = m k^2):

    S / S_ = (1 + tau X Y) / ((1 + alpha X)(1 + beta Y)),

and alpha = 1 / (g_cc + sqrt(kappa_c / (tau m))) keeps this ratio in [~1/2, 1] for every k, dt, m
and g_cc >= 0 (BKSW's alpha = sqrt(tau m / kappa_c) is the g_cc = 0 case; with the B2 free energy's
g_cc ~ 4 it would let the ratio fall to 1/(1 + alpha g_cc) ~ 0.01 at long wavelengths).  We take
m and g_cc as volume means over the current state (tests/phasefield: the bound on a grid of k).
The middle factor is the lumped mass, like the elimination of c: with the consistent M there the
two disagree at high wavenumbers by the spread of M^-1 M_L, and GMRES needs ~1.5x the iterations.
The order parameters follow by block Gauss-Seidel with P_eta = M/tau + kappa_eta K_L + max(L G_etaeta, 0).

One application of the preconditioner (r -> z):

    y_c   = tau M_L^-1 r_c
    z_mu  = (M + beta K_Mc)^-1  M_L  (M + alpha B+)^-1 (r_mu + B y_c)
    z_c   = y_c - tau M_L^-1 K_Mc z_mu
    z_eta_i = P_eta_i^-1 (r_eta_i - A_eta_i,c z_c - sum_{j<i} A_eta_i,eta_j z_eta_j)

It is a fixed linear operator (every inner solve is one V-cycle), so plain GMRES applies, and the
Krylov method runs on the true Jacobian: Newton stays exact.  What the preconditioner leaves out
(the mobility derivatives, g's concave part, the coupling of c to eta through G_ceta) is what the
outer GMRES iterations pay for; their count does not grow with the mesh (benchmarks/pf_solver_scaling.py).

The coupling blocks are read from the assembled (periodic-reduced) Jacobian itself (M = J_mu,mu,
K_Mc = J_c,mu, B = -J_mu,c, A_eta,c = J_eta,c); the SPD operators M + alpha B+, M + beta K_Mc and P_eta
are assembled as forms on the scalar space of one field (a ninth of the entries of a mixed-space
matrix) and reduced with that space's own periodic map, whose numbering is the mixed one's node
numbering.
"""

from __future__ import annotations

import math

import basix.ufl
import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

import dolfinx.fem.petsc as fem_petsc
from dolfinx import fem

from pf_app.phasefield.periodic import PeriodicMap

#: Defaults of each inner solve: one GAMG V-cycle (options prefix ``<solver prefix>block_<slot>_``).
INNER_OPTIONS = {"ksp_type": "preonly", "pc_type": "gamg", "pc_gamg_reuse_interpolation": True,
                 "mg_levels_ksp_type": "chebyshev", "mg_levels_pc_type": "jacobi"}


def preconditioner_forms(model, V0: fem.FunctionSpace, alpha: fem.Constant, beta: fem.Constant) -> list:
    """The SPD operators that the preconditioner inverts (module doc), as bilinear forms on the scalar
    space V0 of one field: M + alpha B+, M + beta K_Mc, then P_eta_i (coefficients from the state)."""
    p = model.parts
    w, q = ufl.TrialFunction(V0), ufl.TestFunction(V0)
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


def field_index_sets(vec: PETSc.Vec, bs: int) -> list[PETSc.IS]:
    """Index sets of the fields in an interleaved (node-major) vector of block size ``bs``."""
    lo, hi = vec.getOwnershipRange()
    return [PETSc.IS().createGeneral(np.arange(lo + k, hi, bs, dtype=PETSc.IntType), comm=vec.comm)
            for k in range(bs)]


class BlockPreconditioner:
    """A petsc4py Python PC (``setUp``/``apply``) implementing the module's block factorisation.

    ``update(J, spd, tau)`` is called when the preconditioner is rebuilt, with the Newton matrix and
    the assembled SPD block operators (in the same, possibly periodic-reduced, layout)."""

    def __init__(self, n_fields: int, template: PETSc.Vec, prefix: str, comm):
        self.n_fields = n_fields
        self.index_sets = field_index_sets(template, n_fields)
        self.ksp = []
        opts = PETSc.Options()
        for slot in ["ch_alpha", "ch_beta", *(f"eta{i}" for i in range(n_fields - 2))]:
            ksp = PETSc.KSP().create(comm)
            ksp.setOptionsPrefix(f"{prefix}block_{slot}_")
            for k, v in INNER_OPTIONS.items():  # solver.petsc_options are set after these and win
                opts[f"{prefix}block_{slot}_{k}"] = v
            self.ksp.append(ksp)
        self.sub = None  # submatrices, created at the first update and refilled afterwards
        self.tau = 1.0

    def update(self, J: PETSc.Mat, spd: list[PETSc.Mat], tau: float) -> None:
        """Extract the blocks of J; set up the AMG solvers of the SPD operators ``spd`` (in the field
        layout of J's blocks: M + alpha B+, M + beta K_Mc, P_eta_i)."""
        iss, first = self.index_sets, self.sub is None
        n_eta = self.n_fields - 2
        c, mu = iss[0], iss[1]
        wanted = {"M": (J, mu, mu), "K_Mc": (J, c, mu), "B": (J, mu, c)}
        for i in range(n_eta):
            wanted[f"A_eta{i}_c"] = (J, iss[2 + i], c)
            for j in range(i):
                wanted[f"A_eta{i}_eta{j}"] = (J, iss[2 + i], iss[2 + j])
        if first:
            self.sub = {name: A.createSubMatrix(r, col) for name, (A, r, col) in wanted.items()}
            self.work = {name: self.sub["M"].createVecRight() for name in ("y_c", "t", "z_c", "z_mu", "u")}
            self.work.update({f"z_eta{i}": self.sub["M"].createVecRight() for i in range(n_eta)})
            self.r = [self.sub["M"].createVecRight() for _ in range(self.n_fields)]
            self.lumped_mass_inverse = lumped_mass(self.sub["M"])
            self.lumped_mass_inverse.reciprocal()
        else:
            for name, (A, r, col) in wanted.items():
                if name != "M":  # J_mu,mu = M does not change
                    A.createSubMatrix(r, col, submat=self.sub[name])
        self.tau = tau
        for ksp, A in zip(self.ksp, spd):
            ksp.setOperators(A)
            if first:
                ksp.setFromOptions()
            ksp.setUp()

    # ---- petsc4py Python PC protocol ------------------------------------------------------------
    def setUp(self, pc) -> None:  # noqa: N802 (petsc4py's name); the work is done in update()
        pass

    def apply(self, pc, x: PETSc.Vec, y: PETSc.Vec) -> None:
        bs, w, sub = self.n_fields, self.work, self.sub
        xa = x.getArray(readonly=True).reshape(-1, bs)
        for k in range(bs):
            self.r[k].getArray()[:] = xa[:, k]
        r = self.r
        # y_c = tau M_L^-1 r_c
        w["y_c"].pointwiseMult(r[0], self.lumped_mass_inverse)
        w["y_c"].scale(self.tau)
        # z_mu = S_beta^-1 M_L S_alpha^-1 (r_mu - J_mu,c y_c)
        sub["B"].mult(w["y_c"], w["t"])
        w["t"].aypx(-1.0, r[1])
        self.ksp[0].solve(w["t"], w["u"])
        w["t"].pointwiseDivide(w["u"], self.lumped_mass_inverse)
        self.ksp[1].solve(w["t"], w["z_mu"])
        # z_c = y_c - tau M_L^-1 K_Mc z_mu
        sub["K_Mc"].mult(w["z_mu"], w["t"])
        w["t"].pointwiseMult(w["t"], self.lumped_mass_inverse)
        w["y_c"].copy(w["z_c"])
        w["z_c"].axpy(-self.tau, w["t"])
        # order parameters, block Gauss-Seidel
        z_eta = [w[f"z_eta{i}"] for i in range(bs - 2)]
        for i in range(bs - 2):
            sub[f"A_eta{i}_c"].mult(w["z_c"], w["t"])
            w["t"].aypx(-1.0, r[2 + i])
            for j in range(i):
                sub[f"A_eta{i}_eta{j}"].mult(z_eta[j], w["u"])
                w["t"].axpy(-1.0, w["u"])
            self.ksp[2 + i].solve(w["t"], z_eta[i])
        ya = y.getArray().reshape(-1, bs)
        ya[:, 0] = w["z_c"].getArray(readonly=True)
        ya[:, 1] = w["z_mu"].getArray(readonly=True)
        for i in range(bs - 2):
            ya[:, 2 + i] = z_eta[i].getArray(readonly=True)


class BlockLinearSolver:
    """Owns what the block preconditioner needs besides the Jacobian: the constants alpha and beta,
    the compiled preconditioner form, its matrix (reduced like the Jacobian when periodic), and the
    Python PC context.  ``prepare(J_reduced)`` is called after each Jacobian assembly and rebuilds
    the blocks (assembly of the preconditioner form, extraction, AMG set-up) every ``rebuild_every``
    Newton iterations (0: every iteration) and whenever dt changes; in between, GMRES runs on the new
    Jacobian with the previous blocks, like the lagged LU."""

    def __init__(self, model, periodic, template: PETSc.Vec, prefix: str, rebuild_every: int = 0):
        if model.cfg.gradient.kappa_c <= 0:
            raise ValueError("the iterative solver needs gradient.kappa_c > 0")
        self.model, self.periodic = model, periodic
        mesh = model.mesh
        self.alpha, self.beta = fem.Constant(mesh, 1.0), fem.Constant(mesh, 1.0)
        V0 = scalar_space(model.V)
        self.forms = [fem.form(a) for a in preconditioner_forms(model, V0, self.alpha, self.beta)]
        p = model.parts
        self.mean_forms = [fem.form(p.mobility_c * p.dx), fem.form(ufl.max_value(p.hessian_diagonal[0], 0.0) * p.dx_g)]
        self.full = [fem_petsc.create_matrix(a) for a in self.forms]
        # the reduced numbering of the scalar space is the mixed one's node numbering (same nodes, same rule)
        self.scalar_periodic = None if periodic is None else PeriodicMap(V0, periodic.axes)
        self.reduced = None
        self.context = BlockPreconditioner(model.n_fields, template, prefix, mesh.comm)
        self.rebuild_every, self.since_rebuild, self.tau_built = rebuild_every, 0, None

    def rebuild_at_next_jacobian(self) -> None:
        self.tau_built = None

    def configure(self, pc: PETSc.PC) -> None:
        pc.setType(PETSc.PC.Type.PYTHON)
        pc.setPythonContext(self.context)

    def means(self) -> tuple[float, float]:
        """Volume means of the Cahn-Hilliard mobility M_c and of max(g_cc, 0) at the current state."""
        m = self.model
        totals = m.mesh.comm.allreduce(np.array([fem.assemble_scalar(f) for f in self.mean_forms]), op=MPI.SUM)
        return max(totals[0] / m.volume, 1e-300), totals[1] / m.volume

    def prepare(self, J: PETSc.Mat) -> None:
        """When due, assemble the preconditioner form at the current state and hand both matrices to the PC."""
        m = self.model
        tau = float(m.dt.value) / float(m.bdf.value[0])
        self.since_rebuild += 1
        if tau == self.tau_built and self.since_rebuild < self.rebuild_every:
            return
        self.since_rebuild, self.tau_built = 0, tau
        a, b = factor_weights(tau, m.cfg.gradient.kappa_c, *self.means())
        self.alpha.value, self.beta.value = a, b
        for A, a in zip(self.full, self.forms):
            A.zeroEntries()
            fem_petsc.assemble_matrix(A, a)
            A.assemble()
        if self.scalar_periodic is None:
            self.reduced = self.full
        elif self.reduced is None:
            self.reduced = [A.PtAP(self.scalar_periodic.P) for A in self.full]
        else:
            for A, R in zip(self.full, self.reduced):
                A.PtAP(self.scalar_periodic.P, result=R)
        self.context.update(J, self.reduced, tau)


def scalar_space(V: fem.FunctionSpace) -> fem.FunctionSpace:
    """The scalar Lagrange space of one field of the blocked space V, checked to number its nodes as V."""
    element = basix.ufl.element("Lagrange", V.mesh.basix_cell(), V.ufl_element().embedded_superdegree)
    V0 = fem.functionspace(V.mesh, element)
    if not (np.array_equal(V.dofmap.list, V0.dofmap.list)
            and V.dofmap.index_map.size_local == V0.dofmap.index_map.size_local):
        raise RuntimeError("the scalar and the blocked space number their nodes differently")
    return V0


def factor_weights(tau: float, kappa_c: float, mobility: float, curvature: float) -> tuple[float, float]:
    """(alpha, beta), alpha beta = tau: the weights of the two factors of S_ (module doc) for the time
    scale tau, gradient coefficient kappa_c, mobility and convex curvature g_cc (>= 0)."""
    alpha = 1.0 / (curvature + math.sqrt(kappa_c / (tau * mobility)))
    return alpha, tau / alpha
