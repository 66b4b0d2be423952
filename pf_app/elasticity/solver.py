"""Mechanical equilibrium for given (fixed) phase-field variables: one linear solve per load.

Find the displacement u in a vector Lagrange space (degree 1 or 2) such that

    (sigma(eps(u) + E - eps0(x)), eps(v)) = 0        for all v                         (1)

(:mod:`pf_app.elasticity.forms`), with E = 0 except on periodic boxes.  (1) is affine in u, so one
Newton step from any u is exact: we assemble K = dF/du and F at u (holding the prescribed boundary
values) and solve K du = -F.  Boundary conditions (``elasticity.boundary``):

* ``displacement``: Dirichlet values on box faces located by a coordinate test (x = min x, ...);
  the other faces are traction-free.
* ``traction_free``: nothing prescribed.
* ``periodic`` (every axis of a box): u = E x + w with w periodic (the reduced unknowns of
  :class:`pf_app.phasefield.layout.SystemLayout`, K_r = P^T K P).  Per component, E is prescribed
  or follows from a prescribed mean stress <sigma>; as <sigma> is affine in E, one solve with the
  prescribed E and one per unknown component give it exactly (the factorization is reused).

Rigid-body modes that the boundary conditions leave free (all of them when traction-free, the
translations of w when periodic) make K singular.  The load is orthogonal to them (a rigid motion
has zero discrete strain), so we pin as many well-separated degrees of freedom as there are free
modes (rows and columns of K replaced by the identity; chosen by a pivoted QR of the modes at the
extreme nodes of the body), which selects one solution without changing the stress, and then make
u L2-orthogonal to the free modes (zero mean displacement and rotation).

Linear solvers (``elasticity.solver.linear``): MUMPS LU for small systems; CG preconditioned by
smoothed aggregation (PETSc GAMG) given all rigid-body modes as its near-nullspace for large ones;
``auto`` picks by the number of unknowns.
"""

from __future__ import annotations

import itertools

import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

import dolfinx
import dolfinx.fem.petsc as fem_petsc
from dolfinx import fem

from pf_app.elasticity.config import AXES, BOUNDARIES, ElasticityConfig, components_of
from pf_app.elasticity.forms import ElasticLaw, strain
from pf_app.elasticity.rigid import choose_pins, free_modes, periodic_compatible_modes, rigid_modes
from pf_app.elasticity.stiffness import VOIGT, VOIGT_PAIRS
from pf_app.formula import Formula
from pf_app.phasefield.layout import SystemLayout, scalar_space
from pf_app.phasefield.periodic import box_bounds

LU_OPTIONS = {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
_prefixes = itertools.count()


def iterative_options(cfg) -> dict:
    """CG + GAMG (smoothed aggregation; the near-nullspace is attached to the matrix)."""
    return {"ksp_type": "cg", "ksp_rtol": cfg.rtol, "ksp_atol": 1e-50, "ksp_max_it": cfg.max_it,
            "ksp_norm_type": "unpreconditioned", "pc_type": "gamg", "pc_gamg_type": "agg",
            "mg_levels_ksp_type": "chebyshev", "mg_levels_pc_type": "jacobi"}


class CellStress:
    """Per owned cell the integral of a stress (a 3x3 UFL tensor) and the cell's volume, from one
    compiled form (a DG0 test function per Voigt component and one for the volume)."""

    def __init__(self, mesh, stress, dx: ufl.Measure):
        self.mesh, self.dim = mesh, mesh.topology.dim
        Q = fem.functionspace(mesh, ("DG", 0, (7,)))
        entries = ufl.as_vector([*(stress[i, j] for i, j in VOIGT_PAIRS), 1.0])
        self.form = fem.form(ufl.inner(entries, ufl.TestFunction(Q)) * dx)

    def integrals(self) -> tuple[np.ndarray, np.ndarray]:
        """Shapes (cells, 6) and (cells,)."""
        n_cells = self.mesh.topology.index_map(self.dim).size_local
        values = fem.assemble_vector(self.form).array[: 7 * n_cells].reshape(n_cells, 7)
        return values[:, :6], values[:, 6]

    def mean(self, cells: np.ndarray | None = None) -> np.ndarray:
        """The volume mean over the owned ``cells`` (a boolean mask; all if None) of every rank, Voigt order."""
        integral, volume = self.integrals()
        if cells is not None:
            integral, volume = integral[cells], volume[cells]
        total = self.mesh.comm.allreduce(np.append(integral.sum(axis=0), volume.sum()), op=MPI.SUM)
        return total[:6] / total[6]


class MechanicalSolver:
    """u for fixed ``fields`` (UFL expressions of c, eta_1, ...: Functions of any space, constants).

    After :meth:`solve`: ``u`` (for periodic boxes the periodic part w), ``mean_strain`` (the 3x3
    E, a Constant), and :meth:`stress`, :meth:`energy`, :meth:`mean_stress` for diagnostics."""

    def __init__(self, mesh: dolfinx.mesh.Mesh, cfg: ElasticityConfig, law: ElasticLaw, fields,
                 quadrature_degree: int | None = None):
        dim = mesh.topology.dim
        if mesh.geometry.dim != dim:
            raise ValueError(f"a {dim}D mesh with {dim} coordinates, got {mesh.geometry.dim} (write 2D meshes with gdim 2)")
        if law.dim != dim:
            raise ValueError(f"law for {law.dim}D on a {dim}D mesh")
        self.mesh, self.cfg, self.law, self.dim, self.fields = mesh, cfg, law, dim, list(fields)
        self.comm = mesh.comm
        self.V = fem.functionspace(mesh, ("Lagrange", cfg.degree, (dim,)))
        self.u = fem.Function(self.V, name="u")
        self.mean_strain = fem.Constant(mesh, np.zeros((3, 3)))
        self.dx = ufl.Measure("dx", domain=mesh, metadata={"quadrature_degree": quadrature_degree or 2 * cfg.degree + 2})
        v, du = ufl.TestFunction(self.V), ufl.TrialFunction(self.V)
        F = law.residual(self.total_strain(), self.fields, v, self.dx)
        self.F, self.K = fem.form(F), fem.form(ufl.derivative(F, self.u, du))
        self._cell_form = self._energy_form = self._mass = None  # compiled when first needed
        self.lo, self.hi = box_bounds(mesh)
        self.centre = 0.5 * (self.lo + self.hi)

        kind = cfg.boundary.kind
        self.bcs = self._dirichlet() if kind == "displacement" else []
        self.periodic = SystemLayout(self.V, scalar_space(self.V), tuple(range(dim))) if kind == "periodic" else None
        self.free_modes = self._free_modes()
        self._setup_linear_algebra()

    # ---- expressions ------------------------------------------------------------------------------
    def total_strain(self):
        return strain(self.u, self.dim) + self.mean_strain

    def stress(self):
        return self.law.stress(self.total_strain(), self.fields)

    def energy_density(self):
        return self.law.energy_density(self.total_strain(), self.fields)

    def energy(self) -> float:
        """Elastic energy, the integral of W (energy per volume x volume)."""
        if self._energy_form is None:
            self._energy_form = fem.form(self.energy_density() * self.dx)
        return self.comm.allreduce(fem.assemble_scalar(self._energy_form), op=MPI.SUM)

    def cell_stress_integrals(self) -> tuple[np.ndarray, np.ndarray]:
        """Per owned cell: the integral of sigma (Voigt order, tensor components) and the cell's volume
        (:class:`CellStress`)."""
        if self._cell_form is None:
            self._cell_form = CellStress(self.mesh, self.stress(), self.dx)
        return self._cell_form.integrals()

    def mean_stress(self, cells: np.ndarray | None = None) -> np.ndarray:
        """The volume mean of sigma over the owned ``cells`` (a boolean mask; all cells if None) of
        every rank, as a Voigt vector (tensor components, order xx, yy, zz, yz, xz, xy)."""
        if self._cell_form is None:
            self._cell_form = CellStress(self.mesh, self.stress(), self.dx)
        return self._cell_form.mean(cells)

    # ---- boundary conditions ------------------------------------------------------------------------
    def _dirichlet(self) -> list:
        mesh, dim, fdim = self.mesh, self.dim, self.dim - 1
        tol = 1e-8 * float(np.max(self.hi - self.lo))
        bcs = []
        for d in self.cfg.boundary.displacement:
            axis, side = divmod(BOUNDARIES.index(d.boundary), 2)
            plane = (self.lo, self.hi)[side][axis]
            facets = dolfinx.mesh.locate_entities_boundary(mesh, fdim, lambda x, a=axis, p=plane: np.abs(x[a] - p) < tol)
            for comp, text in d.values().items():
                Vc, _ = self.V.sub(comp).collapse()
                g = fem.Function(Vc)
                formula = Formula.from_text(text, AXES[:dim], self.cfg.parameters)
                g.interpolate(lambda x, f=formula: f.numpy(x[:dim].T, order=0))
                dofs = fem.locate_dofs_topological((self.V.sub(comp), Vc), fdim, facets)
                bcs.append(fem.dirichletbc(g, dofs, self.V.sub(comp)))
        return bcs

    def _free_modes(self) -> np.ndarray:
        """Rigid-body motions the boundary conditions leave free, as rows of coefficients on
        :func:`rigid_modes` (periodic: the translations)."""
        candidates = periodic_compatible_modes(self.dim, range(self.dim) if self.periodic is not None else ())
        if self.periodic is not None or not self.bcs:
            return candidates
        coords = self.V.tabulate_dof_coordinates() - self.centre
        bs = self.V.dofmap.index_map_bs
        constrained = []
        for bc in self.bcs:
            dofs, n_owned = bc.dof_indices()
            dofs = dofs[:n_owned]
            constrained.append((coords[dofs // bs], dofs % bs))
        n_points = self.comm.allreduce(len(coords), op=MPI.SUM)
        return free_modes(self.dim, candidates, constrained, self.comm, n_points, float(np.max(self.hi - self.lo)))

    def _pins(self) -> np.ndarray:
        """Global row indices (this rank's) of the degrees of freedom pinned to remove the free modes."""
        imap, bs = self.V.dofmap.index_map, self.V.dofmap.index_map_bs
        coords = self.V.tabulate_dof_coordinates()[: imap.size_local] - self.centre
        rows = []
        for rank, local, component in choose_pins(self.free_modes, coords, self.dim, self.comm):
            if rank == self.comm.rank:  # the node's owner knows its row (periodic: its image's reduced row)
                full_row = (imap.local_range[0] + local) * bs + component
                rows.append(full_row if self.periodic is None else int(self.periodic.P.getRow(full_row)[0][0]))
        rows = np.concatenate([np.asarray(r, dtype=PETSc.IntType) for r in self.comm.allgather(rows)])
        start, end = self.x.getOwnershipRange()  # each rank zeroes the rows it owns
        return rows[(rows >= start) & (rows < end)]

    # ---- linear algebra ---------------------------------------------------------------------------------
    def _setup_linear_algebra(self) -> None:
        self.A = fem_petsc.create_matrix(self.K)
        self.b = fem_petsc.create_vector(self.V)
        self._assemble_matrix()
        if self.periodic is not None:
            self.Ar = self.A.PtAP(self.periodic.P)
            self.x, self.r = self.periodic.create_vector(), self.periodic.create_vector()
        else:
            self.Ar = self.A
            self.x, self.r = self.b.duplicate(), self.b.duplicate()
        self.pins = self._pins()
        self.Ar.zeroRowsColumns(self.pins, diag=1.0)
        dofs = self.x.getSize()
        c = self.cfg.solver
        self.linear = c.linear if c.linear != "auto" else \
            ("iterative" if dofs >= (c.auto_dofs_3d if self.dim == 3 else c.auto_dofs) else "lu")
        prefix = f"elastic{next(_prefixes)}_"
        defaults = LU_OPTIONS if self.linear == "lu" else iterative_options(c)
        opts = PETSc.Options()
        for key, value in {**defaults, **c.petsc_options}.items():
            opts[prefix + key] = value
        if self.linear == "iterative":
            self.Ar.setNearNullSpace(self._near_nullspace())
        ksp = PETSc.KSP().create(self.comm)
        ksp.setOptionsPrefix(prefix)
        ksp.setOperators(self.Ar)
        ksp.setFromOptions()
        self.ksp = ksp
        self.linear_iterations = 0

    def _assemble_matrix(self) -> None:
        self.A.zeroEntries()
        fem_petsc.assemble_matrix(self.A, self.K, bcs=self.bcs)
        self.A.assemble()

    def _mode_vectors(self, coefficients: np.ndarray | None = None) -> list[PETSc.Vec]:
        """Rigid-body modes (rows of ``coefficients`` on :func:`rigid_modes`; all if None) as vectors of V."""
        coords = self.V.tabulate_dof_coordinates()[: self.V.dofmap.index_map.size_local] - self.centre
        modes = rigid_modes(coords, self.dim)
        if coefficients is not None:
            modes = np.einsum("fm,mnd->fnd", coefficients, modes)
        vectors = []
        for mode in modes:
            vec = self.b.duplicate()
            vec.array[:] = mode.reshape(-1)
            vectors.append(vec)
        return vectors

    def _near_nullspace(self) -> PETSc.NullSpace:
        """All rigid-body modes in the solved numbering (restricted to periodic unknowns), orthonormal."""
        vectors = []
        for full in self._mode_vectors():
            if self.periodic is not None:
                vec = self.x.duplicate()
                self.periodic.P.multTranspose(full, vec)
                vec.pointwiseDivide(vec, self.periodic.multiplicity)
            else:
                vec = full
            for w in vectors:  # Gram-Schmidt
                vec.axpy(-vec.dot(w), w)
            vec.normalize()
            vectors.append(vec)
        return PETSc.NullSpace().create(vectors=vectors, comm=self.comm)

    def rigid_mode_moments(self, coefficients: np.ndarray | None = None) -> np.ndarray:
        """The L2 products (z, u) of u with the rigid-body modes z (all, or the rows of ``coefficients``),
        through the consistent mass matrix."""
        vectors = self._mode_vectors(coefficients)
        return np.array([self._l2(z, self.u.x.petsc_vec) for z in vectors])

    def _l2(self, a: PETSc.Vec, b: PETSc.Vec) -> float:
        if self._mass is None:
            w, v = ufl.TrialFunction(self.V), ufl.TestFunction(self.V)
            self._mass = fem_petsc.assemble_matrix(fem.form(ufl.inner(w, v) * self.dx))
            self._mass.assemble()
        Mb = self._mass.createVecLeft()
        self._mass.mult(b, Mb)
        return a.dot(Mb)

    def _solve_increment(self) -> PETSc.Vec:
        """du (full numbering) with K du = -F(u), prescribed values held, pins at zero."""
        with self.b.localForm() as loc:
            loc.set(0.0)
        fem_petsc.assemble_vector(self.b, self.F)
        self.b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        self.b.scale(-1.0)
        fem_petsc.set_bc(self.b, self.bcs, x0=self.u.x.petsc_vec, alpha=1.0)  # zero where u is prescribed
        if self.periodic is not None:
            self.periodic.P.multTranspose(self.b, self.r)
        else:
            self.b.copy(self.r)
        start = self.r.getOwnershipRange()[0]
        self.r.array[self.pins - start] = 0.0
        self.x.set(0.0)
        self.ksp.solve(self.r, self.x)
        reason = self.ksp.getConvergedReason()
        if reason < 0:
            raise RuntimeError(f"mechanical linear solve did not converge (KSP reason {reason})")
        self.linear_iterations += self.ksp.getIterationNumber()
        if self.periodic is None:
            return self.x.copy()
        du = self.b.duplicate()
        self.periodic.P.mult(self.x, du)
        return du

    def _apply(self, du: PETSc.Vec, scale: float = 1.0) -> None:
        self.u.x.petsc_vec.axpy(scale, du)
        self.u.x.scatter_forward()

    # ---- solve --------------------------------------------------------------------------------------------
    def solve(self) -> None:
        """Equilibrium for the current fields (re-assembles K: the stiffness may depend on them)."""
        self._assemble_matrix()
        if self.periodic is not None:
            self.A.PtAP(self.periodic.P, result=self.Ar)
        self.Ar.zeroRowsColumns(self.pins, diag=1.0)
        self.ksp.setOperators(self.Ar)
        self.linear_iterations = 0
        self.u.x.array[:] = 0.0
        for bc in self.bcs:
            bc.set(self.u.x.array)
        if self.periodic is None:
            self._apply(self._solve_increment())
        else:
            self._solve_periodic()
        self._remove_free_modes()

    def _solve_periodic(self) -> None:
        """E from the prescribed mean strain and mean stress (module doc), then w."""
        b = self.cfg.boundary
        unknown = [n for n in components_of(self.dim) if n not in b.mean_strain]
        base = np.zeros((3, 3))
        for name, value in b.mean_strain.items():
            i, j = VOIGT_PAIRS[VOIGT.index(name)]
            base[i, j] = base[j, i] = value
        self.mean_strain.value[:] = base
        w0 = self._solve_increment()
        if not unknown:
            self._apply(w0)
            return
        self._apply(w0)
        s0 = self.mean_stress()
        self._apply(w0, -1.0)
        columns, responses = [], []
        for name in unknown:
            i, j = VOIGT_PAIRS[VOIGT.index(name)]
            unit = base.copy()
            unit[i, j] = unit[j, i] = base[i, j] + 1.0
            self.mean_strain.value[:] = unit
            wk = self._solve_increment()
            self._apply(wk)
            responses.append(self.mean_stress() - s0)
            self._apply(wk, -1.0)
            columns.append(wk)
        rows = [VOIGT.index(n) for n in unknown]
        S = np.array(responses).T[rows]                     # d<sigma>_row / dE_unknown
        target = np.array([b.mean_stress.get(n, 0.0) for n in unknown])
        coef = np.linalg.solve(S, target - s0[rows])
        E = base.copy()
        w = w0.copy()
        for c, name, wk in zip(coef, unknown, columns):
            i, j = VOIGT_PAIRS[VOIGT.index(name)]
            E[i, j] += c
            E[j, i] = E[i, j]
            w.axpy(c, wk - w0)
        self.mean_strain.value[:] = E
        self._apply(w)

    def _remove_free_modes(self) -> None:
        """u <- u minus its L2 projection on the free rigid-body modes."""
        if not len(self.free_modes):
            return
        modes = self._mode_vectors(self.free_modes)
        gram = np.array([[self._l2(p, q) for q in modes] for p in modes])
        coef = np.linalg.solve(gram, self.rigid_mode_moments(self.free_modes))
        for c, z in zip(coef, modes):
            self.u.x.petsc_vec.axpy(-c, z)
        self.u.x.scatter_forward()
