"""Newton's method (PETSc SNES) on the periodic system, with the Jacobian assembled block by block.

The unknown x is field-major over the periodic nodes (:mod:`pf_app.phasefield.layout`); the state
function is u = P x.  The residual is assembled row by row (one scalar vector per field) and reduced
to the periodic nodes by P0^T; the Jacobian's blocks go straight into the periodic system
(:mod:`pf_app.phasefield.jacobian`).  Before each assembly the state is prolonged into the solution
function and, for pointwise free energies, g's derivatives are refreshed (once per distinct state).

Two linear strategies behind the same exact Newton iteration (``solver.linear``):

* ``lu``: MUMPS LU of the assembled matrix (robust for the indefinite mixed system), used directly
  or, with ``reuse_factorization`` k > 0, as the preconditioner of GMRES refactored every k
  iterations.  Memory and time grow like N^(4/3) and N^2 in 3D: the 2D seed case and small 3D boxes.
* ``iterative``: FGMRES on the true Jacobian (a MatNest of its blocks) preconditioned by the block
  factorisation of :mod:`pf_app.phasefield.block_preconditioner` (inner Krylov solves on the Schur
  complement and the order-parameter blocks, AMG V-cycles): memory linear in N, iteration counts
  independent of the mesh and of dt.
* ``auto``: lu below a number of unknowns measured as the crossover (``auto_dofs``, ``auto_dofs_3d``),
  iterative above; the run prints the choice (``description``).

A linear solve that does not converge makes SNES report DIVERGED_LINEAR_SOLVE: the step is not
accepted, and the time loop retries it with a smaller dt.  Dirichlet nodes
(:mod:`pf_app.phasefield.boundary`) have the rows u - g and identity rows in the Jacobian.
``solver.petsc_options`` override any option.
"""

from __future__ import annotations

import itertools

import numpy as np
from petsc4py import PETSc

import dolfinx.fem.petsc as fem_petsc

from pf_app.phasefield.block_preconditioner import BlockPreconditioner
from pf_app.phasefield.case import SolverConfig
from pf_app.phasefield.jacobian import BlockJacobian
from pf_app.phasefield.layout import SystemLayout
from pf_app.phasefield.model import PhaseFieldModel

DEFAULT_PETSC_OPTIONS = {"snes_type": "newtonls", "snes_linesearch_type": "basic"}
LU_OPTIONS = {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
_prefixes = itertools.count()


def choose_linear(cfg: SolverConfig, dofs: int, dim: int, kappa_c: float, dirichlet: bool = False) -> str:
    """``lu`` or ``iterative`` for ``solver.linear`` (auto: by the number of unknowns)."""
    if cfg.linear != "auto":
        return cfg.linear
    if kappa_c <= 0 or dirichlet:  # the block preconditioner needs kappa_c > 0 and knows no Dirichlet rows
        return "lu"
    return "iterative" if dofs >= (cfg.auto_dofs_3d if dim == 3 else cfg.auto_dofs) else "lu"


class NewtonSolver:
    def __init__(self, model: PhaseFieldModel, layout: SystemLayout, cfg: SolverConfig, max_it: int):
        self.model, self.layout = model, layout
        comm = model.mesh.comm
        self.b = fem_petsc.create_vector(model.V0)  # one field's residual, ghosted
        self.x = layout.create_vector()
        self.r = layout.create_vector()
        snes = PETSc.SNES().create(comm)
        prefix = f"pf{next(_prefixes)}_"
        snes.setOptionsPrefix(prefix)
        dofs = self.x.getSize()
        chemical_dirichlet = any(model.dirichlet.by_field.get(k) for k in range(model.n_chemical))
        self.linear = choose_linear(cfg, dofs, model.mesh.topology.dim, model.cfg.gradient.kappa_c, chemical_dirichlet)
        self.description = f"linear solver: {self.linear}" + (
            f" (auto: {dofs} unknowns in {model.mesh.topology.dim}D)" if cfg.linear == "auto" else "")
        self.lag = cfg.reuse_factorization
        opts = PETSc.Options()
        for k, v in cfg.petsc_options.items():  # the user's options first: the defaults below do not overwrite them
            opts[prefix + k] = v
        if self.linear == "iterative":
            self.jacobian = BlockJacobian(model, layout, "nest")
            self.block = BlockPreconditioner(model, layout, self.jacobian, prefix, cfg.inner_rtol, cfg.inner_max_it,
                                             rebuild_every=cfg.reuse_factorization, escalate_after=cfg.escalate_after)
            defaults = {**DEFAULT_PETSC_OPTIONS, **_iterative_options(cfg)}
        else:
            self.jacobian = BlockJacobian(model, layout, "aij")
            self.block = None
            defaults = {**DEFAULT_PETSC_OPTIONS, **LU_OPTIONS, **_reuse_options(cfg.reuse_factorization)}
        for k, v in defaults.items():
            if not opts.hasName(prefix + k):
                opts[prefix + k] = v
        snes.setFunction(self._residual, self.r)
        snes.setJacobian(self._jacobian, self.jacobian.matrix)
        snes.setTolerances(rtol=cfg.rtol, atol=cfg.atol, stol=0.0, max_it=max_it)
        if self.block is not None:
            self.block.configure(snes.getKSP())
        snes.setFromOptions()
        self.snes = snes
        self.linear_iterations = 0  # Krylov iterations of the last solve()

    # ---- state transfer -------------------------------------------------------------------------
    def _load_state(self, x: PETSc.Vec) -> None:
        self.layout.prolong(x, self.model.u)
        if self.model.quadrature is not None:
            self.model.quadrature.update()  # pointwise g's derivatives (once per distinct state)

    def set_initial_guess(self, u) -> None:
        """x <- u (restricted to the periodic unknowns)."""
        self.layout.restrict(u, self.x)

    # ---- SNES callbacks -------------------------------------------------------------------------
    def _residual(self, snes, x, r) -> None:
        self._load_state(x)
        P0, u = self.layout.P0, self.model.u
        for k, form in enumerate(self.model.residual_forms):
            with self.b.localForm() as loc:
                loc.set(0.0)
            fem_petsc.assemble_vector(self.b, form)
            self.b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
            for bc in self.model.dirichlet.by_field.get(k, ()):  # Dirichlet rows: u - g
                dofs, n_owned = bc.dof_indices()
                owned = dofs[:n_owned]
                # P0^T adds the copies of a periodic node: each carries its share of u - g
                self.b.array[owned] = (u.x.array[owned * self.model.n_fields + k] - bc.g.x.array[owned]) \
                    / self.layout.copies_of_node[owned]
            rk = r.getSubVector(self.layout.field_is[k])
            P0.multTranspose(self.b, rk)
            r.restoreSubVector(self.layout.field_is[k], rk)

    def _jacobian(self, snes, x, J, Pmat) -> None:
        self._load_state(x)
        self.jacobian.assemble()
        if self.block is not None:
            self.block.prepare()  # AMG factors rebuilt when due (every k Newton iterations or a new dt)

    # ---- solve ------------------------------------------------------------------------------------
    def solve(self) -> tuple[bool, int]:
        """Newton from the current content of ``model.u``; returns (converged, iterations).

        On return ``model.u`` holds the final iterate (prolonged onto all dofs)."""
        self.linear_iterations = 0
        if self.model.dirichlet:
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
    """FGMRES on the true Jacobian with the block preconditioner (the PC itself is set in code; its inner
    Krylov solves make it vary from one application to the next, hence the flexible variant)."""
    return {"ksp_type": "fgmres", "ksp_rtol": cfg.linear_rtol, "ksp_atol": 1e-50, "ksp_max_it": cfg.linear_max_it,
            "ksp_gmres_restart": cfg.linear_max_it, "pc_type": "python"}


def _reuse_options(lag: int) -> dict:
    """PETSc options for Newton-Krylov with an LU preconditioner rebuilt every ``lag`` iterations."""
    if not lag:
        return {}
    return {"ksp_type": "gmres", "ksp_rtol": 1e-10, "ksp_atol": 1e-14, "ksp_max_it": 60,
            "ksp_gmres_restart": 60, "snes_lag_preconditioner": lag, "snes_lag_preconditioner_persists": True}
