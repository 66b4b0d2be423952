"""Initial fields: constants, formulas in x, y, z, and rank-independent uniform noise.

Noise is drawn per mesh vertex from a seeded generator indexed by the vertex's *input* (global,
partition-independent) number, so 1 and N ranks start from the same field.
"""

from __future__ import annotations

import numpy as np
import ufl

from dolfinx import fem

from pf_app.freeenergy.expression import Formula
from pf_app.phasefield.case import InitialField


def _vertex_noise(mesh, spec: InitialField) -> fem.Function:
    """A P1 function with value + U(low, high) at each vertex, the same for any partition."""
    V1 = fem.functionspace(mesh, ("Lagrange", 1))
    n_global = mesh.geometry.index_map().size_global
    samples = np.random.default_rng(spec.seed).uniform(spec.low, spec.high, n_global)
    node_values = spec.value + samples[np.asarray(mesh.geometry.input_global_indices, dtype=np.int64)]
    f = fem.Function(V1)
    geo = mesh.geometry.dofmaps[0]  # (cells, nodes); same local order as the P1 dofmap
    dofs = V1.dofmap.list
    f.x.array[dofs.ravel()] = node_values[geo.ravel()]
    return f


def set_initial_state(model, specs: dict[str, InitialField]) -> None:
    """Fill ``model.u_n`` (mu starts at 0 and is solved for in the first step)."""
    mesh = model.mesh
    x = ufl.SpatialCoordinate(mesh)
    names = model.field_names()
    u0 = model.u_n
    u0.x.array[:] = 0.0
    for name, spec in specs.items():
        sub = u0.sub(names.index(name))
        if spec.kind == "constant":
            sub.interpolate(lambda p, v=spec.value: np.full(p.shape[1], v))
        elif spec.kind == "formula":
            coords = ("x", "y", "z")[: mesh.geometry.dim]
            expr = Formula.from_text(spec.formula, coords, spec.parameters).ufl([x[i] for i in range(len(coords))])
            V_sub, _ = model.V.sub(names.index(name)).collapse()
            sub.interpolate(fem.Expression(expr, _points(V_sub)))
        else:
            sub.interpolate(_vertex_noise(mesh, spec))
    u0.x.scatter_forward()


def _points(V):
    pts = V.element.interpolation_points
    return pts() if callable(pts) else pts
