"""Initial fields: constants, formulas in x, y, z, and rank-independent uniform noise.

Noise is drawn per mesh vertex from a seeded generator indexed by the vertex's *input* (global,
partition-independent) number, so 1 and N ranks start from the same field.

On a periodic axis the start is made periodic by averaging each pair of matching nodes on opposite
faces (:mod:`pf_app.phasefield.periodic`).  A formula that differs on opposite faces is changed by
that averaging; :func:`warn_if_not_periodic` says so once, before the run starts.
"""

from __future__ import annotations

import warnings

import numpy as np
import ufl
from mpi4py import MPI

from dolfinx import fem

from pf_app.formula import Formula
from pf_app.phasefield.case import AXES, InitialField
from pf_app.phasefield.periodic import box_bounds

PERIODIC_RTOL = 1e-9  # opposite-face values of a periodic formula agree to rounding (~1e-16 relative)


class NonPeriodicInitialWarning(UserWarning):
    """An initial formula differs on the opposite faces of a periodic axis."""


def warn_if_not_periodic(mesh, specs: dict[str, InitialField], axes: list[int]) -> list[str]:
    """Compare each initial formula at the mesh vertices of each periodic axis's minimum face with
    its value one box length further; warn once (rank 0) per non-periodic field.  Returns the
    messages (the same on every rank)."""
    lo, hi = box_bounds(mesh)
    x = mesh.geometry.x
    tol = 1e-8 * float(np.max(hi - lo))
    dim = mesh.geometry.dim
    messages = []
    for name, spec in specs.items():
        if spec.kind != "formula":
            continue
        formula = Formula.from_text(spec.formula, AXES[:dim], spec.parameters)
        gaps, scale = {}, 0.0
        for a in axes:
            face = x[np.abs(x[:, a] - lo[a]) < tol][:, :dim]
            image = face.copy()
            image[:, a] = hi[a]
            values = formula.numpy(face, order=0)
            scale = max(scale, float(np.max(np.abs(values), initial=0.0)))
            local = float(np.max(np.abs(values - formula.numpy(image, order=0)), initial=0.0))
            gaps[AXES[a]] = mesh.comm.allreduce(local, op=MPI.MAX)
        scale = mesh.comm.allreduce(scale, op=MPI.MAX)
        bad = [a for a, gap in gaps.items() if gap > PERIODIC_RTOL * max(scale, 1e-300)]
        if bad:
            messages.append(f"initial.{name}: the formula is not periodic along {', '.join(bad)} (its values on "
                            f"opposite faces differ by up to {max(gaps[a] for a in bad):.3g}); the start is made "
                            "periodic by averaging the two faces' values at each pair of matching nodes, which "
                            "changes the initial field there")
    if mesh.comm.rank == 0:
        for text in messages:
            warnings.warn(text, NonPeriodicInitialWarning, stacklevel=2)
    return messages


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
