"""An IDNN free energy written as UFL: softplus / tanh / logistic layers, symbolically.

The gradient dg/dx is written out in forward mode (each layer's Jacobian from the activation's
derivative, e.g. the logistic function for softplus), so value and derivatives share the layer
pre-activations as common sub-expressions.  A baseline of the weights (:mod:`pf_app.idnn.baseline`,
e.g. ideal mixing with ln of the sublattice fractions) is added as its own UFL expression.

A network with a temperature input (``pf_app.idnn`` version 3, g(x; kT)) is evaluated at the ``kT``
every method takes: a number or one per row in numpy, a number or a UFL expression (a
``dolfinx.fem.Constant`` that a temperature schedule updates) in UFL.  ``temperature_dependent`` says
which kind a model is; a network without the input ignores kT (its g does not depend on T).
The numpy twin is :meth:`IDNNWeights.evaluate` (and, with Hessians, its compiled
:class:`~pf_app.idnn.compiled_network.CompiledIDNN`).
"""

from __future__ import annotations

import numpy as np

from pf_app.idnn.weights import IDNNWeights


def _ufl_activation(name: str, s):
    """(value, derivative) of an activation as UFL, sharing one exponential e = exp(s):
    softplus = ln(1 + e), its derivative the logistic e / (1 + e).  Form compilers evaluate each
    distinct sub-expression once per quadrature point, so a unit costs one exp (and one log)."""
    import ufl

    if name in ("softplus", "logistic"):
        e = ufl.exp(s)
        p = e / (1.0 + e)
        return (ufl.ln(1.0 + e), p) if name == "softplus" else (p, p * (1.0 - p))
    if name == "tanh":
        t = ufl.tanh(s)
        return t, 1.0 - t * t
    return s, 1.0


class NetworkFreeEnergy:
    symbolic = True

    def __init__(self, weights: IDNNWeights, variables: tuple[str, ...]):
        self.weights, self.variables = weights, tuple(variables)
        self.temperature_dependent = weights.temperature is not None
        self._compiled = None

    def numpy(self, x: np.ndarray, order: int = 1, kT=None):
        """Value, gradient (and Hessian): the order-2 case, used by the solver at every integration
        point (vertex or quadrature point), runs the compiled kernel; lower orders the numpy reference."""
        if order < 2:
            return self.weights.evaluate(x, order, kT)
        if self._compiled is None:
            from pf_app.idnn.compiled_network import CompiledIDNN

            self._compiled = CompiledIDNN(self.weights)
        return self._compiled.evaluate(x, kT)

    def _features(self, fields, kT=None):
        """Scaled invariants z_j and their gradients dz_j/dx_k as UFL scalars (then the scaled kT of a
        model with a temperature input, with zero gradient)."""
        w = self.weights
        z, dz = [], []
        for j, terms in enumerate(w.features):
            h = 0.0
            dh = [0.0] * len(fields)
            for coef, powers in terms:
                h = h + coef * _monomial(fields, powers)
                for k, p in enumerate(powers):
                    if p:
                        lowered = list(powers)
                        lowered[k] -= 1
                        dh[k] = dh[k] + coef * p * _monomial(fields, lowered)
            z.append((h - w.feature_shift[j]) / w.feature_scale[j])
            dz.append([d / w.feature_scale[j] for d in dh])
        if w.temperature is not None:
            if kT is None:
                w.temperature.column(None, 1)  # raises: this g needs kT
            z.append((kT - w.temperature.shift) / w.temperature.scale)
            dz.append([0.0] * len(fields))
        return z, dz

    def _forward(self, fields, with_gradient: bool, kT=None):
        w = self.weights
        a, ja = self._features(fields, kT)
        for layer in w.layers:
            n_in, n_out = layer.weights.shape
            s = [sum(float(layer.weights[i, o]) * a[i] for i in range(n_in)) + (0.0 if layer.bias is None else float(layer.bias[o]))
                 for o in range(n_out)]
            acts = [_ufl_activation(layer.activation, so) for so in s]
            if with_gradient:
                ja = [[acts[o][1] * sum(float(layer.weights[i, o]) * ja[i][k] for i in range(n_in))
                       for k in range(len(fields))] for o in range(n_out)]
            a = [v for v, _ in acts]
        return a[0], ja[0] if with_gradient else None

    def ufl(self, fields, kT=None):
        y, _ = self._forward(fields, False, kT)
        g = self.weights.output_offset + self.weights.output_scale * y
        return g if self.weights.baseline is None else self.weights.baseline.ufl(fields, kT) + g

    def ufl_gradient(self, fields, kT=None):
        _, dy = self._forward(fields, True, kT)
        grad = [self.weights.output_scale * d for d in dy]
        if self.weights.baseline is None:
            return grad
        return [b + d for b, d in zip(self.weights.baseline.ufl_gradient(fields, kT), grad)]


def _monomial(fields, powers):
    out = 1.0
    for f, p in zip(fields, powers):
        if p:
            out = out * f ** int(p) if p > 1 else out * f
    return out
