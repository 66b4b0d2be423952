"""Newton's method (PETSc SNES) on the full or the periodic reduced system.

With a :class:`PeriodicMap` the unknown is the reduced vector x_r: the residual is P^T F(P x_r) and
the Jacobian P^T J P (PETSc PtAP, reusing its symbolic product).  Before each assembly the state is
prolonged into the solution function and, for pointwise free energies, g's derivatives are
refreshed (once per distinct state).  Default linear solver: LU with MUMPS (robust for the indefinite mixed
system); ``solver.petsc_options`` override any option.
"""

from __future__ import annotations

import itertools

import numpy as np
from petsc4py import PETSc

import dolfinx.fem.petsc as fem_petsc

from pf_app.phasefield.case import SolverConfig
from pf_app.phasefield.model import PhaseFieldModel
from pf_app.phasefield.periodic import PeriodicMap

DEFAULT_PETSC_OPTIONS = {
    "snes_type": "newtonls",
    "snes_linesearch_type": "basic",
    "ksp_type": "preonly",
    "pc_type": "lu",
    "pc_factor_mat_solver_type": "mumps",
}
_prefixes = itertools.count()


class NewtonSolver:
    def __init__(self, model: PhaseFieldModel, periodic: PeriodicMap | None, cfg: SolverConfig, max_it: int):
        self.model, self.periodic = model, periodic
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
        opts = PETSc.Options()
        for k, v in {**DEFAULT_PETSC_OPTIONS, **_reuse_options(cfg.reuse_factorization), **cfg.petsc_options}.items():
            opts[prefix + k] = v
        self.lag = cfg.reuse_factorization
        snes.setFunction(self._residual, self.r)
        snes.setJacobian(self._jacobian, self.Jr)
        snes.setTolerances(rtol=cfg.rtol, atol=cfg.atol, stol=0.0, max_it=max_it)
        snes.setFromOptions()
        self.snes = snes

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
        self.b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        if self.periodic is not None:
            self.periodic.P.multTranspose(self.b, r)
        else:
            self.b.copy(r)

    def _assemble_full_jacobian(self) -> None:
        self.A.zeroEntries()
        fem_petsc.assemble_matrix(self.A, self.model.J)
        self.A.assemble()

    def _jacobian(self, snes, x, J, Pmat) -> None:
        self._load_state(x)
        self._assemble_full_jacobian()
        if self.periodic is not None:
            self.A.PtAP(self.periodic.P, result=self.Jr)

    # ---- solve ------------------------------------------------------------------------------------
    def solve(self) -> tuple[bool, int]:
        """Newton from the current content of ``model.u``; returns (converged, iterations).

        On return ``model.u`` holds the final iterate (prolonged onto all dofs)."""
        converged, its = self._solve_once()
        if not converged and self.lag:
            # the stale factorization may be the culprit: refactor now, then lag again
            self._set_lag(-2)
            converged, more = self._solve_once()
            its += more
            self._set_lag(self.lag)
        return converged, its

    def _set_lag(self, lag: int) -> None:
        """-2: rebuild the preconditioner at the next iteration; k > 0: every k iterations."""
        PETSc.Options()[self.snes.getOptionsPrefix() + "snes_lag_preconditioner"] = lag
        self.snes.setFromOptions()

    def _solve_once(self) -> tuple[bool, int]:
        self.set_initial_guess(self.model.u)
        self.snes.solve(None, self.x)
        self._load_state(self.x)
        converged = self.snes.getConvergedReason() > 0 and bool(np.all(np.isfinite(self.model.u.x.array)))
        return converged, self.snes.getIterationNumber()


def _reuse_options(lag: int) -> dict:
    """PETSc options for Newton-Krylov with an LU preconditioner rebuilt every ``lag`` iterations."""
    if not lag:
        return {}
    return {"ksp_type": "gmres", "ksp_rtol": 1e-10, "ksp_atol": 1e-14, "ksp_max_it": 60,
            "ksp_gmres_restart": 60, "snes_lag_preconditioner": lag, "snes_lag_preconditioner_persists": True}
