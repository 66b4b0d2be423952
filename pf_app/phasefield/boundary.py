"""Boundary conditions on named boundaries: Dirichlet values of c and of any order parameter, and a
prescribed flux of c.

A case names boundaries in its ``boundaries`` block: a name is a physical group of the facets of a
gmsh mesh (:mod:`pf_app.phasefield.gmsh_mesh`) or, with ``where``, the boundary facets whose vertices
all pass a coordinate test such as ``x < 1e-9`` or ``0.2 < y < 0.4 and x > 1 - 1e-9`` (any mesh,
box meshes included).  Values are formulas in x, y, z and the time t (:mod:`pf_app.formula`).

* ``flux``: the outward normal flux of c, j = -M_c grad(mu) . n (positive: c leaves the domain).
  The weak form of dc/dt = div(M_c grad mu) has the boundary term -(M_c grad mu . n, v) on the
  boundary, so the residual gains (j, v)_ds, and the total of c changes at the rate -integral of j.
* ``dirichlet``: the value of c or of an order parameter on the boundary, imposed in Newton's method
  the standard way: the Jacobian's rows and columns of the boundary dofs are those of the identity,
  the residual there is u - g, and the other rows are lifted by the Jacobian's columns times (g - u).
  A Dirichlet value of c fixes c there; mu is left free (the mass flux through that boundary is
  whatever keeps c at its value).  With elasticity, the displacement components u_x, u_y, u_z take values the
  same way (prescribed displacements; :mod:`pf_app.elasticity.coupling`).

Values that depend on t are evaluated at the model's time constant (the end of the step being
solved), as the implicit schemes need.  Boundaries on the faces of a periodic axis are an input
error, as is a name the mesh does not have; each error is one line naming the key.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np
import ufl
from mpi4py import MPI

import dolfinx
from dolfinx import fem

from pf_app.config import ConfigError
from pf_app.formula import Formula, FormulaError
from pf_app.phasefield.case import AXES, CaseConfig
from pf_app.phasefield.mesh import TaggedMesh
from pf_app.phasefield.periodic import box_bounds
from pf_app.phasefield.sources import space_time

ON_FACE_RTOL = 1e-8  # a facet lies on a face of the box when its midpoint does, to this fraction of the box
_COMPARE = {ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal}


class CoordinateTest:
    """``where`` tests: comparisons of formulas in x, y, z (chains such as ``0 < x < 1`` allowed)
    joined by ``and``; evaluated on points, (N, 3) coordinates."""

    def __init__(self, text: str, parameters: dict[str, float] | None = None):
        try:
            tree = ast.parse(text.strip().replace("^", "**"), mode="eval").body
        except SyntaxError as exc:
            raise FormulaError(f"does not parse: {exc.msg}") from None
        terms = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
        self.comparisons = []
        for term in terms:
            if not (isinstance(term, ast.Compare) and all(type(op) in _COMPARE for op in term.ops)):
                raise FormulaError(f"{ast.unparse(term)!r} is not a comparison (<, <=, >, >=) of formulas in x, y, z")
            sides = [Formula.from_text(ast.unparse(s), AXES, parameters) for s in (term.left, *term.comparators)]
            self.comparisons += [(a, _COMPARE[type(op)], b) for a, op, b in zip(sides, term.ops, sides[1:])]

    def __call__(self, points: np.ndarray) -> np.ndarray:
        ok = np.ones(len(points), bool)
        for a, compare, b in self.comparisons:
            ok &= compare(a.numpy(points, order=0), b.numpy(points, order=0))
        return ok


@dataclass
class NamedFacets:
    """The local facets (owned and ghost) of each boundary the case names."""

    facets: dict[str, np.ndarray]
    dim: int


def named_facets(cfg: CaseConfig, tagged: TaggedMesh, periodic_axes=()) -> NamedFacets:
    """Resolve the case's boundary names on the mesh; checks names, flux boundaries on the domain's
    boundary, and boundaries off the periodic faces.  Raises ConfigError (key ``boundaries.<name>``)."""
    mesh = tagged.mesh
    fdim = mesh.topology.dim - 1
    mesh.topology.create_connectivity(fdim, fdim + 1)
    exterior = dolfinx.mesh.exterior_facet_indices(mesh.topology)
    lo, hi = box_bounds(mesh)
    tol = ON_FACE_RTOL * float(np.max(hi - lo))
    out = {}
    for name, spec in cfg.boundaries.items():
        key = f"boundaries.{name}"
        if spec.where is not None:
            test = CoordinateTest(spec.where, spec.parameters)
            facets = dolfinx.mesh.locate_entities_boundary(mesh, fdim, lambda p: test(p.T))
        elif name in tagged.names and tagged.names[name][0] == fdim:
            facets = tagged.facet_tags.find(tagged.names[name][1])
        else:
            known = tagged.boundary_names()
            raise ConfigError(None, key, "a physical group of the mesh's facets (" + (", ".join(known) or "none: "
                              "a box or XDMF mesh") + ") or a 'where' test such as 'x < 1e-9'", name)
        if mesh.comm.allreduce(len(facets), op=MPI.SUM) == 0:
            raise ConfigError(None, f"{key}.where", "a test that some boundary facets pass", spec.where)
        owned = facets[facets < mesh.topology.index_map(fdim).size_local]  # exterior_facet_indices: owned only
        if spec.flux is not None and mesh.comm.allreduce(int(np.any(~np.isin(owned, exterior))), op=MPI.MAX):
            raise ConfigError(None, f"{key}.flux", f"a boundary of the domain ({name} has interior facets)", spec.flux)
        mid = dolfinx.mesh.compute_midpoints(mesh, fdim, facets)
        on = [a for a in periodic_axes
              if np.any((np.abs(mid[:, a] - lo[a]) < tol) | (np.abs(mid[:, a] - hi[a]) < tol))]
        on = sorted(set().union(*mesh.comm.allgather(on)))
        if on:
            raise ConfigError(None, key, f"a boundary off the periodic faces ({', '.join(AXES[a] for a in on)} "
                              "periodic)", name)
        out[name] = facets
    return NamedFacets(out, fdim)


def flux_residual(cfg: CaseConfig, mesh, facets: NamedFacets, t: fem.Constant, tests) -> ufl.Form | None:
    """(j, v_c) over the boundaries with a prescribed outward flux j of c; None without any."""
    named = {n: s for n, s in cfg.boundaries.items() if s.flux is not None}
    if not named:
        return None
    ids, values = [], []
    for i, name in enumerate(named, start=1):
        ids.append(np.full(len(facets.facets[name]), i, np.int32))
        values.append(facets.facets[name])
    order = np.argsort(np.concatenate(values), kind="stable")
    entities, markers = np.concatenate(values)[order], np.concatenate(ids)[order]
    if mesh.comm.allreduce(int(np.any(np.diff(entities) == 0)), op=MPI.MAX):
        raise ConfigError(None, "boundaries", "flux boundaries that do not overlap", sorted(named))
    tags = dolfinx.mesh.meshtags(mesh, facets.dim, entities.astype(np.int32), markers)
    ds = ufl.Measure("ds", domain=mesh, subdomain_data=tags)
    return sum(space_time(spec.flux, spec.parameters, mesh, t) * tests[0] * ds(i) for i, spec in enumerate(named.values(), start=1))


class DirichletConditions:
    """The Dirichlet conditions of a case: per field k, DOLFINx DirichletBC objects on the scalar space
    of one field (``by_field[k]``), and their values, re-evaluated at the model's time by :meth:`update`.
    Newton replaces the rows of these nodes by u - g (residual) and the identity (Jacobian)."""

    def __init__(self, by_field: dict[int, list], values: list):
        self.by_field = by_field
        self._values = values  # (Function, Expression) pairs

    def __bool__(self) -> bool:
        return any(self.by_field.values())

    def update(self) -> None:
        for g, expr in self._values:
            g.interpolate(expr)

    def local_nodes(self, field: int) -> np.ndarray:
        """Local (owned and ghost) node indices of the scalar space that field ``field`` fixes."""
        found = [bc.dof_indices()[0] for bc in self.by_field.get(field, [])]
        return np.unique(np.concatenate(found)) if found else np.empty(0, np.int32)


def dirichlet_conditions(cfg: CaseConfig, V0: fem.FunctionSpace, facets: NamedFacets,
                         t: fem.Constant) -> DirichletConditions:
    """``V0``: the scalar space of one field (every field has its nodes)."""
    mesh = V0.mesh
    names = cfg.field_names(mesh.topology.dim)
    points = V0.element.interpolation_points
    points = points() if callable(points) else points
    by_field, values = {}, []
    for name, spec in cfg.boundaries.items():
        dofs = fem.locate_dofs_topological(V0, facets.dim, facets.facets[name])
        for field_name, text in spec.dirichlet.items():
            g = fem.Function(V0, name=f"{name}.{field_name}")
            expr = fem.Expression(space_time(text, spec.parameters, mesh, t), points)
            g.interpolate(expr)
            by_field.setdefault(names.index(field_name), []).append(fem.dirichletbc(g, dofs))
            values.append((g, expr))
    return DirichletConditions(by_field, values)


def check_periodic_closure(dirichlet: DirichletConditions, layout) -> None:
    """Every periodic copy of a Dirichlet node is a Dirichlet node too (else one periodic unknown would
    carry both a boundary value and an equation): e.g. a boundary that ends on a periodic face must
    end on the opposite face as well.  ``layout``: :class:`pf_app.phasefield.layout.SystemLayout`."""
    if not layout.nodes.axes or not dirichlet:
        return
    P0 = layout.P0
    ones = P0.createVecLeft()
    ones.set(1.0)
    multiplicity = P0.createVecRight()
    P0.multTranspose(ones, multiplicity)
    for field in dirichlet.by_field:
        marker = P0.createVecLeft()
        marker.zeroEntries()
        nodes = dirichlet.local_nodes(field)
        marker.array[nodes[nodes < layout.n_owned_full]] = 1.0
        counts = P0.createVecRight()
        P0.multTranspose(marker, counts)
        partial = (counts.array > 0) & (counts.array < multiplicity.array - 0.5)
        if layout.comm.allreduce(int(np.any(partial)), op=MPI.MAX):
            raise ConfigError(None, "boundaries", "Dirichlet boundaries whose periodic images carry the same "
                              "condition (a boundary touching a periodic face must touch the opposite face too)")
