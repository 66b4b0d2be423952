"""Free-energy derivatives evaluated point by point by the numpy twin, as coefficients of the forms.

Two placements of the points, matching the two integration rules of the g terms
(``free_energy.integration``):

* :class:`QuadratureFreeEnergy` (``consistent``): g, grad g and the Hessian at every quadrature
  point of the cells, in quadrature spaces (6 points per triangle at degree 4).
* :class:`NodalFreeEnergy` (``lumped``, degree-1 fields): the g terms are integrated with the vertex
  rule, where a degree-1 field takes its nodal values, so g and its derivatives are needed once per
  mesh vertex (owned and ghost), stored as a degree-1 function.  At 200 x 200 that is 40k evaluations
  per Newton state instead of 480k.

Either way the Jacobian adds the exact Hessian, so Newton keeps its quadratic convergence.
``update()`` refreshes every coefficient from the current state ``u`` (at most once per distinct
state: Newton assembles the residual and the Jacobian at the same state, and the energy of the
accepted step is taken at the state of the last residual).
"""

from __future__ import annotations

import basix.ufl
import numpy as np
import ufl

from dolfinx import fem

from pf_app.freeenergy.base import FreeEnergy


class _Pointwise:
    """Refreshes the coefficients from ``self.u`` at most once per distinct state."""

    u: fem.Function
    _state: np.ndarray | None = None

    def update(self) -> None:
        state = self.u.x.array
        if self._state is not None and np.array_equal(self._state, state):
            return
        self._refresh()
        self._state = state.copy()


class QuadratureFreeEnergy(_Pointwise):
    """g, grad g and Hessian of g at the quadrature points of degree ``degree`` from the components
    ``components`` (c, eta_1, ...) of the state ``u``."""

    def __init__(self, u: fem.Function, fe: FreeEnergy, components: list[int], degree: int):
        mesh = u.function_space.mesh
        cell = mesh.basix_cell()
        d = len(components)
        spaces = {shape: fem.functionspace(mesh, basix.ufl.quadrature_element(cell, value_shape=shape, degree=degree))
                  for shape in ((), (d,), (d, d))}
        self.u, self.fe, self.d = u, fe, d
        self.x_q = fem.Function(spaces[(d,)])
        self.g = fem.Function(spaces[()])
        self.grad = fem.Function(spaces[(d,)])
        self.hess = fem.Function(spaces[(d, d)])
        points = spaces[()].element.interpolation_points
        self.expr = fem.Expression(ufl.as_vector([u[i] for i in components]), points() if callable(points) else points)

    def _refresh(self) -> None:
        self.x_q.interpolate(self.expr)
        g, grad, hess = self.fe.numpy(self.x_q.x.array.reshape(-1, self.d), order=2)
        self.g.x.array[:] = g
        self.grad.x.array[:] = grad.ravel()
        self.hess.x.array[:] = hess.ravel()


class NodalFreeEnergy(_Pointwise):
    """g, grad g and the Hessian of g at the mesh vertices from the nodal values of the components
    ``components`` (c, eta_1, ...) of the degree-1 state ``u``, as three degree-1 functions: g (for
    the energy), the gradient (residual and Jacobian) and the distinct Hessian entries g_kl, k <= l
    (Jacobian), so that each form packs only the values it uses."""

    def __init__(self, u: fem.Function, fe: FreeEnergy, components: list[int]):
        V = u.function_space
        if V.ufl_element().embedded_superdegree != 1:
            raise ValueError("nodal (lumped) free-energy evaluation needs degree-1 fields")
        d = len(components)
        self.pairs = [(k, l) for k in range(d) for l in range(k, d)]
        self.u, self.fe, self.d, self.components = u, fe, d, list(components)
        self.g, self._grad, self._hess = (self._nodal_function(V, shape) for shape in ((), (d,), (len(self.pairs),)))

    @staticmethod
    def _nodal_function(V: fem.FunctionSpace, shape: tuple[int, ...]) -> fem.Function:
        """A degree-1 function whose node i is node i of V (checked: same cells -> nodes map)."""
        W = fem.functionspace(V.mesh, basix.ufl.element("Lagrange", V.mesh.basix_cell(), 1, shape=shape))
        if not (np.array_equal(V.dofmap.list, W.dofmap.list)
                and V.dofmap.index_map.size_local == W.dofmap.index_map.size_local):
            raise RuntimeError("degree-1 spaces of different block size number their nodes differently")
        return fem.Function(W)

    @property
    def grad(self):
        return self._grad

    @property
    def hess(self):
        index = {p: q for q, p in enumerate(self.pairs)}
        return ufl.as_matrix([[self._hess[index[min(k, l), max(k, l)]] for l in range(self.d)]
                              for k in range(self.d)])

    def _refresh(self) -> None:
        """From u's nodal values, owned and ghost (no communication needed)."""
        nodes = self.u.x.array.reshape(-1, self.u.function_space.dofmap.bs)
        g, grad, hess = self.fe.numpy(nodes[:, self.components], order=2)
        self.g.x.array[:] = g
        self._grad.x.array[:] = grad.ravel()
        self._hess.x.array.reshape(-1, len(self.pairs))[:] = hess[:, [k for k, _ in self.pairs], [l for _, l in self.pairs]]
