"""Variational forms of the mixed Cahn-Hilliard / Allen-Cahn model.

Unknowns in one blocked Lagrange space u = (c, mu, eta_1, ..., eta_N):

    (D_t c, v)   + (M_c(c, eta) grad mu, grad v)                          = 0
    (mu, w)      - (g_c, w) - (kappa_c grad c, grad w)                    = 0
    (D_t eta_i, q_i) + (L_i(c, eta) [g_eta_i q_i + kappa_i grad eta_i . grad q_i]) = 0

D_t f = (a0 f + a1 f_n + a2 f_{n-1}) / dt with constants a: backward Euler (1, -1, 0) or
variable-step BDF2.  The terms in g are integrated with the case's quadrature degree or, lumped,
with the vertex rule (free_energy.integration).  The derivatives of g come either from UFL
(``symbolic``) or from the free energy's numpy twin evaluated point by point (``quadrature``,
:mod:`pf_app.phasefield.pointwise`): then g_x are coefficients and the Jacobian adds their exact
Hessian, so Newton stays exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import basix.ufl
import numpy as np
import ufl
from mpi4py import MPI

import dolfinx
from dolfinx import fem

from pf_app.freeenergy.base import FreeEnergy
from pf_app.formula import Formula
from pf_app.phasefield.boundary import NamedFacets, dirichlet_conditions, flux_residual
from pf_app.phasefield.case import CaseConfig
from pf_app.phasefield.pointwise import NodalFreeEnergy, QuadratureFreeEnergy
from pf_app.phasefield.sources import source_residual

SQRT2 = math.sqrt(2.0)


def mobilities(cfg: CaseConfig, c, etas):
    """UFL expressions (M_c, [L_1..L_N]) from the mobility configuration."""
    mob = cfg.mobility
    if mob.kind == "constant":
        return mob.M, [mob.L] * len(etas)
    if mob.kind == "degenerate_b2":
        m = 16.0 * (c * (SQRT2 - c) * (0.5 - etas[0] ** 2)) ** 2
        return 4.0 * mob.M * cfg.gradient.kappa_c * m, [0.25 * mob.L * m]
    fields = [c, *etas]
    Mc = Formula.from_text(mob.formula_c, cfg.variables, mob.parameters).ufl(fields)
    L = Formula.from_text(mob.formula_eta, cfg.variables, mob.parameters).ufl(fields) if etas else None
    return Mc, [L] * len(etas)


@dataclass
class FormParts:
    """The pieces of the forms that a preconditioner rebuilds operators from (UFL expressions)."""

    dx: ufl.Measure
    dx_g: ufl.Measure  # the measure of the terms in g (vertex rule when lumped)
    kappa_c: float
    kappa_eta: tuple[float, ...]
    mobility_c: object
    mobility_eta: list
    hessian_diagonal: list  # g_cc, g_eta1eta1, ... at the current state


class PhaseFieldModel:
    """Function space, state functions, constants and compiled forms of one case."""

    def __init__(self, mesh: dolfinx.mesh.Mesh, cfg: CaseConfig, fe: FreeEnergy, quadrature: bool,
                 facets: NamedFacets | None = None):
        n_eta = len(cfg.fields.order_parameters)
        self.n_fields = 2 + n_eta
        element = basix.ufl.element("Lagrange", mesh.basix_cell(), cfg.fields.degree, shape=(self.n_fields,))
        self.mesh, self.cfg, self.fe = mesh, cfg, fe
        self.V = fem.functionspace(mesh, element)
        self.u, self.u_n, self.u_nm1 = (fem.Function(self.V, name=n) for n in ("u", "u_n", "u_nm1"))
        self.dt = fem.Constant(mesh, 1.0)
        self.t = fem.Constant(mesh, 0.0)  # time at the end of the step (sources, boundary values); the time loop sets it
        self.bdf = fem.Constant(mesh, np.array([1.0, -1.0, 0.0]))  # a0, a1, a2
        dx = ufl.Measure("dx", domain=mesh, metadata={"quadrature_degree": cfg.qdegree()})
        lumped = cfg.free_energy.integration == "lumped"
        dx_g = ufl.Measure("dx", domain=mesh, metadata={"quadrature_rule": "vertex", "quadrature_degree": 1}) \
            if lumped else dx

        u, v = self.u, ufl.TestFunction(self.V)
        c, mu, etas = u[0], u[1], [u[2 + i] for i in range(n_eta)]
        fields = [c, *etas]
        Mc, L = mobilities(cfg, c, etas)
        kc, keta = cfg.gradient.kappa_c, cfg.kappa_eta()

        def rate(i):
            a = self.bdf
            return (a[0] * u[i] + a[1] * self.u_n[i] + a[2] * self.u_nm1[i]) / self.dt

        def coupling(dg):
            """The part of the residual that is linear in the derivatives of g."""
            form = -dg[0] * v[1] * dx_g
            for i in range(n_eta):
                form += L[i] * dg[1 + i] * v[2 + i] * dx_g
            return form

        rest = (rate(0) * v[0] + Mc * ufl.inner(ufl.grad(mu), ufl.grad(v[0])) + mu * v[1]
                - kc * ufl.inner(ufl.grad(c), ufl.grad(v[1]))) * dx
        for i in range(n_eta):
            rest += (rate(2 + i) * v[2 + i]
                     + L[i] * keta[i] * ufl.inner(ufl.grad(etas[i]), ufl.grad(v[2 + i]))) * dx
        du = ufl.TrialFunction(self.V)
        gradient_energy = 0.5 * kc * ufl.inner(ufl.grad(c), ufl.grad(c))
        for i in range(n_eta):
            gradient_energy += 0.5 * keta[i] * ufl.inner(ufl.grad(etas[i]), ufl.grad(etas[i]))

        if quadrature:
            components = [0, *range(2, self.n_fields)]
            self.quadrature = NodalFreeEnergy(self.u, fe, components) if lumped \
                else QuadratureFreeEnergy(self.u, fe, components, cfg.qdegree())
            q = self.quadrature
            F = rest + coupling([q.grad[k] for k in range(len(fields))])
            dfields = [du[0], *(du[2 + i] for i in range(n_eta))]
            dg = [sum(q.hess[k, l] * dfields[l] for l in range(len(fields))) for k in range(len(fields))]
            J = ufl.derivative(F, u, du) + coupling(dg)
            g = q.g
            hessian_diagonal = [q.hess[k, k] for k in range(len(fields))]
        else:
            self.quadrature = None
            F = rest + coupling(fe.ufl_gradient(fields))
            J = ufl.derivative(F, u, du)
            g = fe.ufl(fields)
            variables = [ufl.variable(f) for f in fields]
            gradient = fe.ufl_gradient(variables)
            hessian_diagonal = [ufl.diff(gradient[k], variables[k]) for k in range(len(fields))]
        # explicit terms (functions of x, y, z, t only): sources and prescribed boundary fluxes; nothing to J
        facets = facets or NamedFacets({}, mesh.topology.dim - 1)
        tests = [v[k] for k in range(self.n_fields)]
        for extra in (source_residual(cfg, mesh, self.t, tests, dx), flux_residual(cfg, mesh, facets, self.t, tests)):
            if extra is not None:
                F += extra
        self.dirichlet = dirichlet_conditions(cfg, self.V, facets, self.t)
        self.parts = FormParts(dx, dx_g, kc, keta, Mc, L, hessian_diagonal)
        self.F, self.J = fem.form(F), fem.form(J)
        self.energy_form = fem.form(g * dx_g + gradient_energy * dx)
        self.mass_form = fem.form(c * dx)
        self.order_forms = [fem.form(abs(e) * dx) for e in etas]
        self.volume = mesh.comm.allreduce(fem.assemble_scalar(fem.form(1.0 * dx)), op=MPI.SUM)

    # ---- scheme coefficients --------------------------------------------------------------------
    def set_step(self, dt: float, dt_prev: float | None, scheme: str) -> None:
        """Backward Euler, or variable-step BDF2 when a previous step of length dt_prev exists."""
        self.dt.value = dt
        if scheme == "bdf2" and dt_prev:
            w = dt / dt_prev
            self.bdf.value[:] = ((1 + 2 * w) / (1 + w), -(1 + w), w * w / (1 + w))
        else:
            self.bdf.value[:] = (1.0, -1.0, 0.0)

    # ---- diagnostics ------------------------------------------------------------------------------
    def _total(self, form) -> float:
        if self.quadrature is not None and form is self.energy_form:
            self.quadrature.update()
        return self.mesh.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    def energy(self) -> float:
        """Total free energy: integral of g + kappa/2 |grad|^2 (energy per site x volume)."""
        return self._total(self.energy_form)

    def mass(self) -> float:
        return self._total(self.mass_form)

    def mean_abs_order(self) -> list[float]:
        return [self._total(f) / self.volume for f in self.order_forms]

    def field_names(self) -> list[str]:
        return ["c", "mu", *self.cfg.fields.order_parameters]

