"""Variational forms of the mixed Cahn-Hilliard / Allen-Cahn model.

Unknowns in one blocked Lagrange space u = (c, mu, eta_1, ..., eta_N):

    (D_t c, v)   + (M_c(c, eta) grad mu, grad v)                          = 0
    (mu, w)      - (g_c, w) - (kappa_c grad c, grad w)                    = 0
    (D_t eta_i, q_i) + (L_i(c, eta) [g_eta_i q_i + kappa_i grad eta_i . grad q_i]) = 0

With an ``elasticity:`` block the displacement components u_x, u_y (, u_z) follow as more fields, the
elastic driving forces join the mu and eta rows and mechanical equilibrium adds d rows
(:mod:`pf_app.elasticity.coupling`, which builds those terms).

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
from ufl.algorithms import expand_derivatives, expand_indices
from ufl.algorithms.apply_algebra_lowering import apply_algebra_lowering
from ufl.algorithms.apply_derivatives import apply_derivatives
from ufl.algorithms.analysis import extract_constants

import dolfinx
from dolfinx import fem

from pf_app.freeenergy.base import FreeEnergy
from pf_app.formula import Formula
from pf_app.phasefield.boundary import NamedFacets, dirichlet_conditions, flux_residual
from pf_app.phasefield.case import AXES, CaseConfig
from pf_app.phasefield.layout import scalar_space
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
class JacobianBlock:
    """Block (k, l) of Newton's matrix as UFL forms on one field's space: ``matrix`` (a bilinear form,
    None if it vanishes), ``constant`` (True when it depends on nothing that changes: assembled once)
    and ``diagonal`` (a linear form: the vertex-rule terms of lumped g, whose matrix is diagonal, the
    vector of its diagonal; None when there are none or g is integrated consistently).  ``combined``
    is the whole block as one bilinear form (None if it vanishes)."""

    matrix: ufl.Form | None
    constant: bool
    diagonal: ufl.Form | None
    combined: ufl.Form | None

    @classmethod
    def split(cls, rest: ufl.Form | None, g_part: ufl.Form | None, lumped: bool, trial) -> JacobianBlock:
        parts = [f for f in (rest, g_part) if f is not None]
        combined = sum(parts[1:], parts[0]) if parts else None
        if not lumped:
            rest, g_part = combined, None
        constant = rest is not None and not rest.coefficients() and not extract_constants(rest)
        diagonal = None if g_part is None else ufl.replace(g_part, {trial: ufl.as_ufl(1.0)})
        return cls(rest, constant, diagonal, combined)


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
    """Function spaces, state functions, constants and compiled forms of one case.

    The residual is compiled row by row (``residual_forms[k]``: the equation of field k tested with the
    scalar test function of the space ``V0`` of one field) and the Jacobian block by block
    (``jacobian_blocks[k][l]``: the derivative of row k in the direction of field l, a
    :class:`JacobianBlock` of scalar forms on V0; empty where it vanishes identically, e.g.
    d(eta row)/d(mu)), so that Newton's matrix is assembled straight into scalar blocks
    (:mod:`pf_app.phasefield.jacobian`)."""

    def __init__(self, mesh: dolfinx.mesh.Mesh, cfg: CaseConfig, fe: FreeEnergy, quadrature: bool,
                 facets: NamedFacets | None = None, periodic_axes: tuple[int, ...] | None = None):
        n_eta = len(cfg.fields.order_parameters)
        self.n_eta, self.n_chemical = n_eta, 2 + n_eta
        self.n_fields = n = 2 + n_eta + len(cfg.displacement_names(mesh.topology.dim))
        self.evolving = (0, *range(2, 2 + n_eta))  # the fields with a time derivative: c, eta_i
        element = basix.ufl.element("Lagrange", mesh.basix_cell(), cfg.fields.degree, shape=(n,))
        self.mesh, self.cfg, self.fe = mesh, cfg, fe
        self.V = fem.functionspace(mesh, element)
        self.V0 = scalar_space(self.V)
        self.u, self.u_n, self.u_nm1 = (fem.Function(self.V, name=name) for name in ("u", "u_n", "u_nm1"))
        self.dt = fem.Constant(mesh, 1.0)
        self.t = fem.Constant(mesh, 0.0)  # time at the end of the step (sources, boundary values); the time loop sets it
        self.bdf = fem.Constant(mesh, np.array([1.0, -1.0, 0.0]))  # a0, a1, a2
        dx = ufl.Measure("dx", domain=mesh, metadata={"quadrature_degree": cfg.qdegree()})
        lumped = cfg.free_energy.integration == "lumped"
        dx_g = ufl.Measure("dx", domain=mesh, metadata={"quadrature_rule": "vertex", "quadrature_degree": 1}) \
            if lumped else dx

        u = self.u
        c, mu, etas = u[0], u[1], [u[2 + i] for i in range(n_eta)]
        fields = [c, *etas]
        Mc, L = mobilities(cfg, c, etas)
        kc, keta = cfg.gradient.kappa_c, cfg.kappa_eta()

        # the BDF history a1 u_n + a2 u_{n-1} of each evolving field, one scalar function each, set once
        # per step (set_step): the residual then packs a quarter of what u_n and u_{n-1} would cost
        self.history = {k: fem.Function(self.V0, name=f"history{k}") for k in self.evolving}

        def rate(i):
            return (self.bdf[0] * u[i] + self.history[i]) / self.dt

        self.elastic = None
        if cfg.elasticity is not None:
            from pf_app.elasticity.coupling import ElasticCoupling

            self.elastic = ElasticCoupling(cfg, mesh, u, self.n_chemical, L, dx)

        def rest(k, q):
            """Row k of the residual without the derivatives of g (the elastic terms included)."""
            chemical = chemical_rest(k, q) if k < self.n_chemical else None
            extra = self.elastic.row(k, q) if self.elastic is not None else None
            return extra if chemical is None else chemical if extra is None else chemical + extra

        def chemical_rest(k, q):
            if k == 0:
                return (rate(0) * q + Mc * ufl.inner(ufl.grad(mu), ufl.grad(q))) * dx
            if k == 1:
                return (mu * q - kc * ufl.inner(ufl.grad(c), ufl.grad(q))) * dx
            i = k - 2
            return (rate(k) * q + L[i] * keta[i] * ufl.inner(ufl.grad(etas[i]), ufl.grad(q))) * dx

        def coupling(k, q, dg):
            """Row k's part that is linear in the derivatives of g (dg[0] = g_c, dg[1 + i] = g_eta_i)."""
            if k == 0 or k >= self.n_chemical:
                return None
            if k == 1:
                return -dg[0] * q * dx_g
            return L[k - 2] * dg[k - 1] * q * dx_g

        gradient_energy = 0.5 * kc * ufl.inner(ufl.grad(c), ufl.grad(c))
        for i in range(n_eta):
            gradient_energy += 0.5 * keta[i] * ufl.inner(ufl.grad(etas[i]), ufl.grad(etas[i]))
        if quadrature:
            components = list(self.evolving)
            self.quadrature = NodalFreeEnergy(self.u, fe, components) if lumped \
                else QuadratureFreeEnergy(self.u, fe, components, cfg.qdegree())
            pw = self.quadrature
            dg = [pw.grad[k] for k in range(len(fields))]
            g = pw.g
            hessian_diagonal = [pw.hess[k, k] for k in range(len(fields))]
        else:
            self.quadrature = None
            dg = fe.ufl_gradient(fields)
            g = fe.ufl(fields)
            variables = [ufl.variable(f) for f in fields]
            gradient = fe.ufl_gradient(variables)
            hessian_diagonal = [ufl.diff(gradient[k], variables[k]) for k in range(len(fields))]

        # explicit terms (functions of x, y, z, t only): sources and prescribed boundary fluxes; nothing to J
        facets = facets or NamedFacets({}, mesh.topology.dim - 1)

        def explicit(k, q):
            tests = [q if j == k else ufl.zero() for j in range(n)]
            terms = [f for f in (source_residual(cfg, mesh, self.t, tests, dx), flux_residual(cfg, mesh, facets, self.t, tests))
                     if f is not None and not f.empty()]
            return sum(terms[1:], terms[0]) if terms else None

        q, w = ufl.TestFunction(self.V0), ufl.TrialFunction(self.V0)
        rows = []
        for k in range(n):
            row = rest(k, q)
            for extra in (coupling(k, q, dg), explicit(k, q)):
                if extra is not None:
                    row += extra
            rows.append(row)

        def simplified(form):
            """Explicit components: the derivative in the direction (0, .., w, .., 0) indexes an identity
            that only index expansion resolves, so that vanishing terms are seen as such (None)."""
            if form is None:
                return None
            form = expand_indices(apply_derivatives(apply_algebra_lowering(form)))
            return None if form.empty() else form

        blocks = []
        for k in range(n):
            blocks.append([])
            for l in range(n):
                direction = ufl.as_vector([w if j == l else 0 for j in range(n)])
                full = ufl.derivative(rest(k, q), u, direction)
                g_part = coupling(k, q, dg)
                g_part = None if g_part is None else ufl.derivative(g_part, u, direction)
                if quadrature and coupling(k, q, dg) is not None:  # g's derivatives are coefficients: add their exact Hessian
                    dfields = [w if j == l else 0 for j in self.evolving]
                    g_part += coupling(k, q, [sum(pw.hess[a, b] * dfields[b] for b in range(len(fields)))
                                              for a in range(len(fields))])
                blocks[k].append(JacobianBlock.split(simplified(full), simplified(g_part), lumped, w))
        self.dirichlet = dirichlet_conditions(cfg, self.V0, facets, self.t)
        if self.elastic is not None:  # the rigid-body modes nothing fixes: pinned as zero Dirichlet values
            axes = tuple(AXES.index(a) for a in cfg.periodic) if periodic_axes is None else periodic_axes
            self.elastic.add_pins(self.dirichlet, self.V0, axes)
        self.parts = FormParts(dx, dx_g, kc, keta, Mc, L, hessian_diagonal)
        self.residual_forms = [fem.form(r) for r in rows]
        self.jacobian_blocks = blocks
        self.energy_form = fem.form(g * dx_g + gradient_energy * dx
                                    + (self.elastic.energy_density * dx if self.elastic is not None else 0))
        self.energy_part_forms = {} if self.elastic is None else {
            "gradient_energy": fem.form(gradient_energy * dx), "elastic_energy": fem.form(self.elastic.energy_density * dx)}
        self.mass_form = fem.form(c * dx)
        self.previous_mass_form = fem.form(self.u_n[0] * dx) \
            if self.elastic is not None and self.elastic.unknown_mean else None  # for the mean strain (set_step)
        self.order_forms = [fem.form(abs(e) * dx) for e in etas]
        self.volume = mesh.comm.allreduce(fem.assemble_scalar(fem.form(1.0 * dx)), op=MPI.SUM)

    # ---- scheme coefficients --------------------------------------------------------------------
    def set_step(self, dt: float, dt_prev: float | None, scheme: str) -> None:
        """Backward Euler, or variable-step BDF2 when a previous step of length dt_prev exists; the
        history of the step from u_n and u_{n-1} as they are now (call it again if they change)."""
        self.dt.value = dt
        if scheme == "bdf2" and dt_prev:
            w = dt / dt_prev
            self.bdf.value[:] = ((1 + 2 * w) / (1 + w), -(1 + w), w * w / (1 + w))
        else:
            self.bdf.value[:] = (1.0, -1.0, 0.0)
        _, a1, a2 = self.bdf.value
        n, old, older = self.n_fields, self.u_n.x.array, self.u_nm1.x.array
        for k, h in self.history.items():
            h.x.array[:] = a1 * old[k::n] + (a2 * older[k::n] if a2 else 0.0)
        if self.elastic is not None and self.elastic.unknown_mean:  # periodic box with a mean stress
            self.elastic.set_mean_strain(self._total(self.previous_mass_form) / self.volume)

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

    def energy_parts(self) -> dict[str, float]:
        """The parts of the energy that energy.csv reports besides the total (with elasticity: the
        gradient and the elastic energy)."""
        return {name: self._total(form) for name, form in self.energy_part_forms.items()}

    def field_names(self) -> list[str]:
        return list(self.cfg.field_names(self.mesh.topology.dim))

