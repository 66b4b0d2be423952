"""The IDNN as a Keras model (float64): g(x) = baseline(x) + offset + scale * Y((h(x) - shift) / h_scale).

With a temperature input (``temperature``, :class:`pf_app.idnn.weights.TemperatureInput`) the model
reads rows (x, kT): g(x; kT) = baseline(x; kT) + offset + scale * Y(z(x), (kT - t_shift)/t_scale), and
:meth:`IDNN.value_and_gradient` gives dg/dx at fixed kT (the order parameters' derivatives only).

``baseline`` is an optional analytic part (:mod:`pf_app.idnn.baseline`, e.g. the ideal mixing free
energy; ``model.baseline`` of the training config), fixed during training: the network learns the rest.

``h`` are polynomial invariants of the order parameters x, so symmetries of g hold exactly; the
derivatives dg/dx come from :meth:`IDNN.value_and_gradient` (a GradientTape through the invariants,
i.e. the chain rule exactly).  :func:`from_weights` / :func:`to_weights` convert to and from the
framework-neutral :class:`pf_app.idnn.weights.IDNNWeights` (JSON), with no loss of digits.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from pf_app.idnn.weights import IDNNWeights, Layer

DTYPE = "float64"
_KERAS_ACTIVATION = {"softplus": "softplus", "tanh": "tanh", "logistic": "sigmoid", "linear": None}


def invariants(x: tf.Tensor, features) -> tf.Tensor:
    """h_j(x) = sum over terms of coef * prod_k x_k^p_k.

    Powers are repeated products (so eta -> -eta is exact) multiplied in the order of the numpy
    evaluator in :mod:`pf_app.idnn.weights`, so both give the same bits for powers up to 2.
    """
    columns = []
    for terms in features:
        h = tf.zeros_like(x[:, 0])
        for coef, powers in terms:
            product = tf.ones_like(x[:, 0])
            for k, p in enumerate(powers):
                if p:
                    xp = x[:, k]
                    for _ in range(p - 1):
                        xp = xp * x[:, k]
                    product = product * xp
            h = h + coef * product
        columns.append(h)
    return tf.stack(columns, axis=1)


class IDNN(keras.Model):
    """Free energy network; ``layers_spec`` is a list of (units, use_bias, activation name)."""

    def __init__(self, order_parameters, features, layers_spec, feature_shift, feature_scale,
                 output_scale: float = 1.0, output_offset: float = 0.0, baseline=None, temperature=None, **kw):
        super().__init__(dtype=DTYPE, **kw)
        self.order_parameters = tuple(order_parameters)
        self.invariant_terms = [list(t) for t in features]
        self.feature_shift = tf.constant(np.asarray(feature_shift, float))
        self.feature_scale = tf.constant(np.asarray(feature_scale, float))
        self.output_scale, self.output_offset = float(output_scale), float(output_offset)
        self.baseline = baseline  # pf_app.idnn.baseline.IdealMixing or None (not trained)
        self.temperature = temperature  # pf_app.idnn.weights.TemperatureInput or None: inputs are (x, kT)
        self.activations = [act for _, _, act in layers_spec]
        self.dense = [keras.layers.Dense(units, use_bias=bias, activation=_KERAS_ACTIVATION[act], dtype=DTYPE)
                      for units, bias, act in layers_spec]
        self.build((None, len(self.order_parameters) + (temperature is not None)))

    def build(self, input_shape):
        n = len(self.invariant_terms) + (self.temperature is not None)
        for layer in self.dense:
            layer.build((None, n))
            n = layer.units
        self.built = True

    def network(self, z: tf.Tensor) -> tf.Tensor:
        a = z
        for layer in self.dense:
            a = layer(a)
        return a[:, 0]

    def call(self, inputs):
        """g at rows x (N, d), or (x, kT) (N, d + 1) for a model with a temperature input."""
        inputs = tf.convert_to_tensor(inputs, tf.float64)
        d = len(self.order_parameters)
        x = inputs[:, :d]
        z = (invariants(x, self.invariant_terms) - self.feature_shift) / self.feature_scale
        kT = None
        if self.temperature is not None:
            kT = inputs[:, d]
            t = self.temperature
            z = tf.concat([z, ((kT - t.shift) / t.scale)[:, None]], axis=1)
        g = self.output_offset + self.output_scale * self.network(z)
        return g if self.baseline is None else g + self.baseline.tf(x, kT)

    def value_and_gradient(self, inputs):
        """g (N,) and dg/dx (N, d) at rows x (N, d) or (x, kT) (N, d + 1): derivatives at fixed kT."""
        inputs = tf.convert_to_tensor(inputs, tf.float64)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            g = self(inputs)
        return g, tape.gradient(g, inputs)[:, :len(self.order_parameters)]


def build_idnn(order_parameters, features, hidden, activation, feature_shift, feature_scale,
               output_scale: float = 1.0, baseline=None, temperature=None) -> IDNN:
    """A fresh network: hidden layers with bias, then a linear output without bias (plus ``baseline``;
    ``temperature``: kT as an input)."""
    spec = [(n, True, activation) for n in hidden] + [(1, False, "linear")]
    return IDNN(order_parameters, features, spec, feature_shift, feature_scale, output_scale, baseline=baseline,
                temperature=temperature)


def from_weights(w: IDNNWeights) -> IDNN:
    """The Keras twin of a weights file (the same numbers, float64)."""
    spec = [(l.weights.shape[1], l.bias is not None, l.activation) for l in w.layers]
    model = IDNN(w.order_parameters, w.features, spec, w.feature_shift, w.feature_scale, w.output_scale,
                 w.output_offset, baseline=w.baseline, temperature=w.temperature)
    for layer, lw in zip(model.dense, w.layers):
        layer.set_weights([lw.weights] + ([] if lw.bias is None else [lw.bias]))
    return model


def to_weights(model: IDNN, energy_unit: str = "unspecified", provenance: dict | None = None) -> IDNNWeights:
    layers = []
    for layer, act in zip(model.dense, model.activations):
        values = [np.array(v, dtype=float) for v in layer.get_weights()]
        layers.append(Layer(values[0], values[1] if layer.use_bias else None, act))
    return IDNNWeights(model.order_parameters, [list(t) for t in model.invariant_terms], layers,
                       model.feature_shift.numpy().copy(), model.feature_scale.numpy().copy(),
                       model.output_scale, model.output_offset, energy_unit, dict(provenance or {}), model.baseline,
                       model.temperature)
