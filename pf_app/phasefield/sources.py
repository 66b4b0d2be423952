"""Source terms: prescribed functions of x, y, z and t added to the evolution equations,

    dc/dt     = div(M_c grad mu) + S_c(x, t)
    deta_i/dt = -L_i (g_eta_i - kappa_i lap eta_i) + S_i(x, t),

the manufactured-solution tests' device (PFHub benchmark 7, ``inputs/pfhub_7a.yaml``) and a way to
model a supply or a sink.  A source is explicit in the fields, so it adds nothing to the Jacobian;
it is evaluated at the model's time constant, the end of the step being solved (the time the implicit
schemes evaluate the rest of the right-hand side at), so the schemes keep their order.
"""

from __future__ import annotations

import ufl

from dolfinx import fem

from pf_app.formula import Formula
from pf_app.phasefield.case import AXES, CaseConfig


SPACE_TIME = (*AXES, "t")  # the arguments of sources and boundary values


def space_time(text, parameters: dict[str, float], mesh, t: fem.Constant):
    """A formula in x, y, z and t as a UFL expression on ``mesh`` (z = 0 in 2D), at the time ``t``."""
    x = ufl.SpatialCoordinate(mesh)
    coords = [x[i] if i < mesh.geometry.dim else 0.0 for i in range(3)]
    value = Formula.from_text(str(text), SPACE_TIME, parameters).ufl([*coords, t])
    return fem.Constant(mesh, float(value)) if isinstance(value, (int, float)) else value  # a number: no domain


def source_residual(cfg: CaseConfig, mesh, t: fem.Constant, tests, dx: ufl.Measure | None = None) -> ufl.Form | None:
    """-(S_k, v_k) for each field k with a source; ``tests[k]`` is the test function of field k in the
    order (c, mu, eta_1, ..., eta_N).  None without sources."""
    if not cfg.source.terms:
        return None
    dx = dx or ufl.dx(domain=mesh)
    rows = {"c": 0, **{name: 2 + i for i, name in enumerate(cfg.fields.order_parameters)}}
    return sum(-space_time(text, cfg.source.parameters, mesh, t) * tests[rows[name]] * dx
               for name, text in cfg.source.terms.items())
