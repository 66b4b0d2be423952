"""Newton's method (PETSc SNES) on the full or the periodic reduced system.

With a :class:`PeriodicMap` the unknown is the reduced vector x_r: the residual is P^T F(P x_r) and
the Jacobian P^T J P (PETSc PtAP, reusing its symbolic product).  Before each assembly the state is
prolonged into the solution function and, for pointwise free energies, g's derivatives are
refreshed (once per distinct state).

Two linear strategies behind the same exact Newton iteration (``solver.linear``):

* ``lu``: MUMPS LU (robust for the indefinite mixed system), used directly or, with
  ``reuse_factorization`` k > 0, as the preconditioner of GMRES refactored every k iterations.
  Memory and time grow like N^(4/3) and N^2 in 3D: the 2D seed case and small 3D boxes.
* ``iterative``: GMRES on the true Jacobian preconditioned by the block factorisation of
  :mod:`pf_app.phasefield.block_preconditioner` (one AMG V-cycle per block): memory and work per
  iteration linear in N, iteration counts independent of the mesh.
* ``auto``: lu below a number of unknowns measured as the crossover (``auto_dofs``, ``auto_dofs_3d``),
  iterative above; the run prints the choice (``description``).

A linear solve that does not converge makes SNES report DIVERGED_LINEAR_SOLVE: the step is not
accepted, and the time loop retries it with a smaller dt.  ``solver.petsc_options`` override any option.
"""

from __future__ import annotations

import itertools

import numpy as np
from petsc4py import PETSc

import dolfinx.fem.petsc as fem_petsc

from pf_app.phasefield.block_preconditioner import BlockLinearSolver
from pf_app.phasefield.case import SolverConfig
from pf_app.phasefield.model import PhaseFieldModel
from pf_app.phasefield.periodic import PeriodicMap

DEFAULT_PETSC_OPTIONS = {"snes_type": "newtonls", "snes_linesearch_type": "basic"}
LU_OPTIONS = {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
_prefixes = itertools.count()


def choose_linear(cfg: SolverConfig, dofs: int, dim: int, kappa_c: float) -> str:
    """``lu`` or ``iterative`` for ``solver.linear`` (auto: by the number of unknowns)."""
    if cfg.linear != "auto":
        return cfg.linear
    if kappa_c <= 0:  # the block preconditioner's Schur factorisation needs a gradient energy in c
        return "lu"
    return "iterative" if dofs >= (cfg.auto_dofs_3d if dim == 3 else cfg.auto_dofs) else "lu"


class NewtonSolver:
    def __init__(self, model: PhaseFieldModel, periodic: PeriodicMap | None, cfg: SolverConfig, max_it: int):
        self.model, self.periodic = model, periodic
        self.bcs = model.dirichlet.bcs  # Dirichlet conditions (pf_app.phasefield.boundary)
        comm = model.mesh.comm
        self.b = fem_petsc.create_vector(model.V)
        self.A = fem_petsc.create_matrix(model.J)
        if periodic is not None:
            self.x = periodic.create_reduced_vector()
            self.r = periodic.create_reduced_vector()
            self._assemble_full_jacobian()
            self.Jr = self.A.PtAP(periodic.P)
        else:
            self.x = self.b.duplicate()
            self.r = self.b.duplicate()
            self.Jr = self.A

        snes = PETSc.SNES().create(comm)
        prefix = f"pf{next(_prefixes)}_"
        snes.setOptionsPrefix(prefix)
        dofs = self.x.getSize()
        self.linear = choose_linear(cfg, dofs, model.mesh.topology.dim, model.cfg.gradient.kappa_c)
        if self.bcs and cfg.linear == "auto":
            self.linear = "lu"  # the block preconditioner does not know Dirichlet rows
        self.description = f"linear solver: {self.linear}" + (
            f" (auto: {dofs} unknowns in {model.mesh.topology.dim}D)" if cfg.linear == "auto" else "")
        if self.linear == "iterative":
            self.block = BlockLinearSolver(model, periodic, self.x, prefix, rebuild_every=cfg.reuse_factorization)
            defaults = {**DEFAULT_PETSC_OPTIONS, **_iterative_options(cfg)}
            self.lag = cfg.reuse_factorization
        else:
            self.block = None
            defaults = {**DEFAULT_PETSC_OPTIONS, **LU_OPTIONS, **_reuse_options(cfg.reuse_factorization)}
            self.lag = cfg.reuse_factorization
        opts = PETSc.Options()
        for k, v in {**defaults, **cfg.petsc_options}.items():
            opts[prefix + k] = v
        snes.setFunction(self._residual, self.r)
        snes.setJacobian(self._jacobian, self.Jr)
        snes.setTolerances(rtol=cfg.rtol, atol=cfg.atol, stol=0.0, max_it=max_it)
        if self.block is not None:
            self.block.configure(snes.getKSP().getPC())
        snes.setFromOptions()
        self.snes = snes
        self.linear_iterations = 0  # Krylov iterations of the last solve()

    # ---- state transfer -------------------------------------------------------------------------
    def _load_state(self, x: PETSc.Vec) -> None:
        u = self.model.u
        if self.periodic is not None:
            self.periodic.prolong(x, u)
        else:
            x.copy(u.x.petsc_vec)
            u.x.scatter_forward()
        if self.model.quadrature is not None:
            self.model.quadrature.update()  # pointwise g's derivatives (once per distinct state)

    def set_initial_guess(self, u) -> None:
        """x <- u (restricted to periodic unknowns)."""
        if self.periodic is not None:
            self.periodic.restrict(u, self.x)
        else:
            u.x.petsc_vec.copy(self.x)

    # ---- SNES callbacks -------------------------------------------------------------------------
    def _residual(self, snes, x, r) -> None:
        self._load_state(x)
        with self.b.localForm() as loc:
            loc.set(0.0)
        fem_petsc.assemble_vector(self.b, self.model.F)
        if self.bcs:  # rows of Dirichlet dofs: u - g; the other rows lifted by J's columns times (g - u)
            fem_petsc.apply_lifting(self.b, [self.model.J], bcs=[self.bcs], x0=[self.model.u.x.petsc_vec], alpha=-1.0)
        self.b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        if self.bcs:
            fem_petsc.set_bc(self.b, self.bcs, self.model.u.x.petsc_vec, -1.0)
        if self.periodic is not None:
            self.periodic.P.multTranspose(self.b, r)
        else:
            self.b.copy(r)

    def _assemble_full_jacobian(self) -> None:
        self.A.zeroEntries()
        fem_petsc.assemble_matrix(self.A, self.model.J, bcs=self.bcs)  # Dirichlet rows and columns: identity
        self.A.assemble()

    def _jacobian(self, snes, x, J, Pmat) -> None:
        self._load_state(x)
        self._assemble_full_jacobian()
        if self.periodic is not None:
            self.A.PtAP(self.periodic.P, result=self.Jr)
        if self.block is not None:
            self.block.prepare(self.Jr)  # rebuilt when due (every k Newton iterations or a new dt)

    # ---- solve ------------------------------------------------------------------------------------
    def solve(self) -> tuple[bool, int]:
        """Newton from the current content of ``model.u``; returns (converged, iterations).

        On return ``model.u`` holds the final iterate (prolonged onto all dofs)."""
        self.linear_iterations = 0
        self.model.dirichlet.update()  # boundary values at the model's time
        converged, its = self._solve_once()
        if not converged and self.lag:
            # the stale preconditioner may be the culprit: rebuild it now, then lag again
            if self.block is not None:
                self.block.rebuild_at_next_jacobian()
                converged, more = self._solve_once()
            else:
                self._set_lag(-2)
                converged, more = self._solve_once()
                self._set_lag(self.lag)
            its += more
        return converged, its

    def _set_lag(self, lag: int) -> None:
        """-2: rebuild the preconditioner at the next iteration; k > 0: every k iterations."""
        PETSc.Options()[self.snes.getOptionsPrefix() + "snes_lag_preconditioner"] = lag
        self.snes.setFromOptions()

    def _solve_once(self) -> tuple[bool, int]:
        self.set_initial_guess(self.model.u)
        self.snes.solve(None, self.x)
        self._load_state(self.x)
        self.linear_iterations += self.snes.getLinearSolveIterations()
        converged = self.snes.getConvergedReason() > 0 and bool(np.all(np.isfinite(self.model.u.x.array)))
        return converged, self.snes.getIterationNumber()

    def failure(self) -> str | None:
        """Why the last solve failed, in words (None if it converged)."""
        reason = self.snes.getConvergedReason()
        if reason > 0:
            return None if np.all(np.isfinite(self.model.u.x.array)) else "Newton iterate not finite"
        if reason == PETSc.SNES.ConvergedReason.DIVERGED_LINEAR_SOLVE:
            ksp_reason = self.snes.getKSP().getConvergedReason()
            return f"linear solve did not converge ({_reason_name(PETSc.KSP.ConvergedReason, ksp_reason)})"
        return f"Newton did not converge ({_reason_name(PETSc.SNES.ConvergedReason, reason)})"


def _reason_name(enum, value: int) -> str:
    return next((k for k, v in vars(enum).items() if v == value and not k.startswith("_")), str(value))


def _iterative_options(cfg: SolverConfig) -> dict:
    """GMRES on the true Jacobian with the block preconditioner (the PC itself is set in code)."""
    return {"ksp_type": "gmres", "ksp_rtol": cfg.linear_rtol, "ksp_atol": 1e-50, "ksp_max_it": cfg.linear_max_it,
            "ksp_gmres_restart": cfg.linear_max_it, "ksp_norm_type": "unpreconditioned", "pc_type": "python"}


def _reuse_options(lag: int) -> dict:
    """PETSc options for Newton-Krylov with an LU preconditioner rebuilt every ``lag`` iterations."""
    if not lag:
        return {}
    return {"ksp_type": "gmres", "ksp_rtol": 1e-10, "ksp_atol": 1e-14, "ksp_max_it": 60,
            "ksp_gmres_restart": 60, "snes_lag_preconditioner": lag, "snes_lag_preconditioner_persists": True}
