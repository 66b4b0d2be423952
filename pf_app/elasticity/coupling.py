"""Elasticity in the phase-field Newton system: the displacement as d more scalar fields.

A case with an ``elasticity:`` block solves for u = (c, mu, eta_1, ..., eta_N, u_x, u_y[, u_z]) in one
Newton system.  The free energy gains the elastic energy (:mod:`pf_app.elasticity.forms`),

    F = integral of  g(c, eta) + kappa/2 |grad|^2 + W(eps(u) + E - eps0(c, eta)),

so that, with W_x = dW/dx at fixed u (the driving forces), the rows of the residual are

    mu row       (mu, q) - (g_c, q) - (kappa_c grad c, grad q) - (W_c, q)          = 0
    eta_i rows   ... + (L_i g_eta_i, q) + (L_i W_eta_i, q)                           = 0
    u_a rows     (sigma, eps(q e_a))                                                 = 0   (a = x, y[, z])

mechanical equilibrium holding at every step (quasi-static: elastic waves are far faster than
diffusion).  The Jacobian's blocks come from the model's derivative machinery like the other rows',
so Newton stays exact; blocks that vanish (d(c row)/du, d(u rows)/dmu) stay None.

Boundary conditions of the displacement (``elasticity.boundary``):

* ``periodic`` (every axis of a box periodic in the case): u = E x + w with w periodic (the state's
  displacement fields hold w).  Each component of the mean strain E is prescribed (``mean_strain``)
  or follows from a prescribed mean stress (``mean_stress``, zero for components in neither).  A
  periodic w has zero mean strain, so <sigma> = <C (E - eps0)> and, when C is the same everywhere and
  eps0 is affine in c alone, E = C^-1 <sigma> + eps0(<c>) exactly; <c> is conserved by every Newton
  iterate, so E is set once per step from the last state (with source terms it lags by a step).
  Mean stresses with other stiffness or eigenstrain laws are an input error.
* ``traction_free``: nothing prescribed besides the case's ``boundaries.<name>.dirichlet`` values of
  u_x, u_y, u_z (prescribed displacements on named boundaries); along periodic axes u is periodic.

Rigid-body modes that nothing fixes are pinned (u = 0 at one degree of freedom per free mode,
:mod:`pf_app.elasticity.rigid`), which changes no stress.  2D is plane strain.
"""

from __future__ import annotations

import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

import dolfinx.fem.petsc as fem_petsc
from dolfinx import fem

from pf_app.config import ConfigError
from pf_app.elasticity.config import ElasticityConfig, build_law, check_against, components_of
from pf_app.elasticity.forms import strain
from pf_app.elasticity.rigid import choose_pins, free_modes, periodic_compatible_modes
from pf_app.elasticity.stiffness import VOIGT, VOIGT_PAIRS
from pf_app.formula import Node, parse

AXES = ("x", "y", "z")
ON_FACE_RTOL = 1e-8  # a node lies on a face of the box to this fraction of the box's size


def _names(node: Node) -> set[str]:
    if node.op == "var":
        return {node.value}
    return set().union(*(_names(a) for a in node.args)) if node.args else set()


def _depends_on(text, fields: tuple[str, ...], parameters: dict) -> set[str]:
    """The fields a formula of the block names."""
    return _names(parse(str(text), set(fields) | set(parameters))) & set(fields)


def mean_stress_solvable(el: ElasticityConfig, variables: tuple[str, ...]) -> bool:
    """True when the mean strain follows from the mean stress in closed form (module doc): one
    stiffness that depends on no field, and every eigenstrain component affine in c alone."""
    from pf_app.formula import Formula

    if len(el.stiffness) != 1 or _depends_on(el.stiffness[0].weight, variables, el.parameters):
        return False
    for text in el.eigenstrain.values():
        f = Formula.from_text(str(text), variables, el.parameters)
        if _names(f.tree) & set(variables[1:]) or _names(f.grad[0]) & set(variables):
            return False
    return True


def check_case(cfg) -> None:
    """The checks of an ``elasticity`` block that need the case (``cfg``: CaseConfig); raises
    ConfigError with the key under ``elasticity``."""
    el = cfg.elasticity

    def fail(key, expected, got):
        raise ConfigError(None, f"elasticity.{key}", expected, got)

    if el.degree != cfg.fields.degree:
        fail("degree", f"the fields' degree ({cfg.fields.degree}: one Lagrange space for every field)", el.degree)
    b = el.boundary
    if b.kind == "displacement":
        fail("boundary.kind", "periodic or traction_free in a phase-field case (prescribe displacements with "
             "boundaries.<name>.dirichlet: {u_x: ..., u_y: ...})", "displacement")
    if cfg.mesh.file is None:
        check_against(el, cfg.variables, cfg.mesh.dim)
        every_axis = set(AXES[: cfg.mesh.dim])
        if b.kind == "periodic" and set(cfg.periodic) != every_axis:
            fail("boundary.kind", f"traction_free unless the case is periodic along every axis ({', '.join(sorted(every_axis))})",
                 "periodic")
        if b.kind == "traction_free" and set(cfg.periodic) == every_axis:
            fail("boundary.kind", "periodic when the case is periodic along every axis (with mean_strain or mean_stress)",
                 "traction_free")
        if b.kind == "periodic":
            unknown = [n for n in components_of(cfg.mesh.dim) if n not in b.mean_strain]
            if unknown and not mean_stress_solvable(el, cfg.variables):
                fail(f"boundary.mean_strain.{unknown[0]}", "a mean strain for every component when the stiffness "
                     "depends on the fields or the eigenstrain is not affine in c alone (the coupled model holds the "
                     "mean strain; the mean stress is solved for only in the closed form of docs/elasticity.md)", None)


class ElasticCoupling:
    """The elastic terms of a coupled case: driving forces in the mu and eta rows, the equilibrium rows,
    the energy density, and the mean strain of periodic boxes.

    ``u``: the model's state (blocked Function, fields in the order of :meth:`CaseConfig.field_names`),
    ``first``: the index of u_x, ``mobility_eta``: the Allen-Cahn coefficients L_i (UFL), ``dx``: the
    measure of the rows (the case's quadrature degree; elastic terms are never lumped)."""

    def __init__(self, cfg, mesh, u, first: int, mobility_eta: list, dx: ufl.Measure, file=None):
        el = cfg.elasticity
        self.cfg, self.el, self.dim, self.first, self.dx = cfg, el, mesh.topology.dim, first, dx
        self.law = build_law(el, cfg.variables, self.dim, file)
        n_eta = len(cfg.fields.order_parameters)
        self.fields = [u[0], *(u[2 + i] for i in range(n_eta))]
        self.mobility_eta = mobility_eta
        self.displacement = ufl.as_vector([u[first + a] for a in range(self.dim)])
        self.mean_strain = fem.Constant(mesh, np.zeros((3, 3)))
        b = el.boundary
        self.unknown_mean = [n for n in components_of(self.dim) if n not in b.mean_strain] if b.kind == "periodic" else []
        self._set_prescribed_mean_strain()
        total = self.total_strain()
        self.stress = self.law.stress(total, self.fields)
        self.forces = self.law.driving_forces(total, self.fields)
        self.energy_density = self.law.energy_density(total, self.fields)

    def total_strain(self):
        return strain(self.displacement, self.dim) + self.mean_strain

    # ---- rows ---------------------------------------------------------------------------------------
    def row(self, k: int, q) -> ufl.Form | None:
        """The elastic part of row k of the residual, tested with the scalar test function q (module doc)."""
        if k == 0:
            return None
        if k == 1:
            return -self.forces[0] * q * self.dx
        if k < self.first:
            i = k - 2
            return self.mobility_eta[i] * self.forces[1 + i] * q * self.dx
        a = k - self.first
        v = ufl.as_vector([q if b == a else 0 for b in range(self.dim)])
        return ufl.inner(self.stress, strain(v, self.dim)) * self.dx

    # ---- mean strain of periodic boxes ------------------------------------------------------------
    def _set_prescribed_mean_strain(self) -> None:
        E = np.zeros((3, 3))
        for name, value in self.el.boundary.mean_strain.items():
            i, j = VOIGT_PAIRS[VOIGT.index(name)]
            E[i, j] = E[j, i] = value
        self.mean_strain.value[:] = E

    def set_mean_strain(self, mean_c: float) -> None:
        """E's components solved from the prescribed mean stress (zero where none is given) at the
        mean composition ``mean_c`` (module doc: exact for one stiffness and eps0 affine in c)."""
        if not self.unknown_mean:
            return
        C = self.law.stiffness.numpy(np.array([[mean_c] + [0.0] * (len(self.fields) - 1)]))[0]
        eps0, _ = self.law.eigenstrain.numpy(np.array([[mean_c] + [0.0] * (len(self.fields) - 1)]))
        shear = np.array([1, 1, 1, 2, 2, 2])
        e0 = np.array([eps0[0][i, j] for i, j in VOIGT_PAIRS]) * shear
        E = np.array([self.mean_strain.value[i, j] for i, j in VOIGT_PAIRS]) * shear
        U = [VOIGT.index(n) for n in self.unknown_mean]
        K = [a for a in range(6) if a not in U]
        S = np.array([self.el.boundary.mean_stress.get(n, 0.0) for n in self.unknown_mean])
        E[U] = e0[U] + np.linalg.solve(C[np.ix_(U, U)], S - C[np.ix_(U, K)] @ (E[K] - e0[K]))
        value = self.mean_strain.value
        for a, (i, j) in enumerate(VOIGT_PAIRS):
            value[i, j] = value[j, i] = E[a] / shear[a]

    # ---- rigid-body modes -------------------------------------------------------------------------
    def add_pins(self, dirichlet, V0: fem.FunctionSpace, periodic_axes) -> int:
        """Pin the rigid modes that neither the periodic axes nor the Dirichlet conditions of the
        displacement fix: a zero Dirichlet condition per free mode added to ``dirichlet``
        (:class:`pf_app.phasefield.boundary.DirichletConditions`), so that the Jacobian gets identity
        rows there.  Returns the number of pins."""
        from pf_app.phasefield.periodic import box_bounds

        mesh, dim, comm = V0.mesh, self.dim, V0.mesh.comm
        lo, hi = box_bounds(mesh)
        centre = 0.5 * (lo + hi)
        n_owned = V0.dofmap.index_map.size_local
        coords = V0.tabulate_dof_coordinates()
        constrained = []
        for a in range(dim):
            for bc in dirichlet.by_field.get(self.first + a, []):
                dofs, n_bc_owned = bc.dof_indices()
                constrained.append((coords[dofs[:n_bc_owned]] - centre, np.full(n_bc_owned, a)))
        candidates = periodic_compatible_modes(dim, periodic_axes)
        n_points = comm.allreduce(n_owned, op=MPI.SUM)
        modes = free_modes(dim, candidates, constrained, comm, n_points, float(np.max(hi - lo)))
        owned = coords[:n_owned]
        tol = ON_FACE_RTOL * float(np.max(hi - lo))
        inside = np.ones(n_owned, bool)  # a pin on a periodic face would need its images pinned too
        for axis in periodic_axes:
            inside &= (np.abs(owned[:, axis] - lo[axis]) > tol) & (np.abs(owned[:, axis] - hi[axis]) > tol)
        nodes = np.flatnonzero(inside)
        pins = choose_pins(modes, owned[nodes] - centre, dim, comm)
        zero = fem.Function(V0, name="pin")
        for rank, local, component in pins:
            dofs = np.array([nodes[local]] if rank == comm.rank else [], dtype=np.int32)
            dirichlet.by_field.setdefault(self.first + component, []).append(fem.dirichletbc(zero, dofs))
        return len(pins)


def equilibrate(model, layout) -> int:
    """Mechanical equilibrium at the state's c and eta: the displacement fields of ``model.u`` set so
    that their rows vanish (the rows are affine in u: one linear solve, exact), Dirichlet values and
    pins held.  Returns the solver's iteration count (0 for LU).  Used for the initial state, whose
    displacement the case does not give."""
    from pf_app.elasticity.operator import ElasticOperator

    coupling, u = model.elastic, model.u
    nf, first, dim = model.n_fields, coupling.first, coupling.dim
    if coupling.unknown_mean:
        coupling.set_mean_strain(model.mass() / model.volume)
    if model.dirichlet:
        model.dirichlet.update()
    for a in range(dim):  # prescribed values first: the increment is zero there
        for bc in model.dirichlet.by_field.get(first + a, []):
            dofs = bc.dof_indices()[0]
            u.x.array[dofs * nf + first + a] = bc.g.x.array[dofs]
    op = ElasticOperator(model, layout)
    op.assemble()
    b = fem_petsc.create_vector(model.V0)
    parts = []
    for a in range(dim):
        with b.localForm() as loc:
            loc.set(0.0)
        fem_petsc.assemble_vector(b, model.residual_forms[first + a])
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        r = layout.create_node_vector()
        layout.P0.multTranspose(b, r)
        parts.append(r)
    rhs = op.interleaved(parts)
    rhs.scale(-1.0)
    rhs.array[op.bc_rows_owned] = 0.0
    ksp = op.solver(model.cfg.elasticity.solver)
    du = rhs.duplicate()
    ksp.solve(rhs, du)
    if ksp.getConvergedReason() < 0:
        raise RuntimeError(f"initial mechanical equilibrium did not converge (KSP reason {ksp.getConvergedReason()})")
    full = fem_petsc.create_vector(model.V0)
    n_owned_full = layout.n_owned_full
    for a, part in enumerate(op.split(du)):
        layout.P0.mult(part, full)
        u.x.array[: n_owned_full * nf][first + a::nf] += full.array[:n_owned_full]
    u.x.scatter_forward()
    iterations = ksp.getIterationNumber()
    ksp.destroy()
    return iterations
