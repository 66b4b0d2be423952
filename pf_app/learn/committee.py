"""A committee of IDNNs: mean and spread of g and mu, and the mean as one exportable network.

Members are trained on the same table with different seeds (initial weights and train/validation
split).  Their disagreement is the loop's uncertainty: the standard deviation over members of mu
(energy per site) and of g.  g is known from mu only up to a constant, so the spread of g is taken
after removing each member's mean over the points asked about.

Export (``committee.export``):

* ``mean`` (default): the exact committee mean g = (1/K) sum_k g_k as ONE network of the
  ``pf_app.idnn`` format, K times wider: the members' first layers side by side (each member's
  input standardization folded into its weights and biases), their hidden layers block-diagonal,
  their linear output layers stacked with weights s_k/K.  Its mu is the mean of the members' mu to
  round-off; a phase-field step costs about K times a member's network.  The members' common
  baseline (``model.baseline``, e.g. ideal mixing; they must share it) is the mean's baseline.
* ``closest_member``: the member whose mu is closest (RMS over the domain) to the committee mean;
  as cheap as one member, not the mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import block_diag

from pf_app.learn.adapters import model_class


@dataclass
class Prediction:
    g_mean: np.ndarray  # (n,) energy per site
    g_std: np.ndarray  # (n,) spread of g over members, each member's mean over the points removed
    mu_mean: np.ndarray  # (n, d)
    mu_std: np.ndarray  # (n, d)


class Committee:
    def __init__(self, members: list):
        if len(members) < 1:
            raise ValueError("a committee needs at least one member")
        self.members = list(members)

    def predict(self, x: np.ndarray, kT=None) -> Prediction:
        out = [m.evaluate(x, 1, kT) for m in self.members]
        g = np.stack([o[0] for o in out])
        mu = np.stack([o[1] for o in out])
        centred = g - g.mean(axis=1, keepdims=True)
        return Prediction(g.mean(axis=0), centred.std(axis=0), mu.mean(axis=0), mu.std(axis=0))

    def closest_member(self, x: np.ndarray, kT=None) -> int:
        """Index of the member with the smallest RMS distance of mu to the committee mean at x."""
        mu = np.stack([m.evaluate(x, 1, kT)[1] for m in self.members])
        dist = np.sqrt(((mu - mu.mean(axis=0)) ** 2).sum(axis=2).mean(axis=1))
        return int(np.argmin(dist))

    def mean_network(self, provenance: dict | None = None):
        """The committee mean as one network (see the module docstring); exact up to round-off."""
        IDNNWeights, Layer = model_class()
        first = self.members[0]
        k = len(self.members)
        for m in self.members:
            if m.features != first.features or m.order_parameters != first.order_parameters \
                    or [l.activation for l in m.layers] != [l.activation for l in first.layers]:
                raise ValueError("committee members differ in invariants, order parameters or activations")
            if first.layers[-1].activation != "linear" or first.layers[-1].weights.shape[1] != 1:
                raise ValueError("members must end in one linear output unit")
            if (m.baseline is None) != (first.baseline is None) or \
                    (m.baseline is not None and not m.baseline.same_as(first.baseline)):
                raise ValueError("committee members differ in their baseline (model.baseline)")
            if (m.temperature is None) != (first.temperature is None):
                raise ValueError("committee members differ in their temperature input (model.temperature_input)")
        layers = []
        for i, proto in enumerate(first.layers):
            last = i == len(first.layers) - 1
            blocks, biases = [], []
            for m in self.members:
                W = np.asarray(m.layers[i].weights, float)
                b = np.zeros(W.shape[1]) if m.layers[i].bias is None else np.asarray(m.layers[i].bias, float)
                if i == 0:  # z = (h - shift)/scale folded in: z @ W + b = h @ (W/scale) + (b - (shift/scale) @ W)
                    shift, scale = _input_standardization(m)
                    b = b - (shift / scale) @ W
                    W = W / scale[:, None]
                if last:  # g = offset + s_k y_k, averaged
                    W, b = W * (m.output_scale / k), b * (m.output_scale / k)
                blocks.append(W)
                biases.append(b)
            if i == 0:
                W = np.hstack(blocks)
            elif last:
                W = np.vstack(blocks)
            else:
                W = block_diag(*blocks)
            bias = np.sum(biases, axis=0) if last else np.concatenate(biases)
            has_bias = not last or any(m.layers[i].bias is not None for m in self.members)
            layers.append(Layer(W, bias if has_bias else None, proto.activation))
        offset = float(np.mean([m.output_offset for m in self.members]))
        n_features = len(first.features)
        temperature = None
        if first.temperature is not None:  # kT enters unscaled; the range spans the members'
            lo = min(m.temperature.range[0] for m in self.members)
            hi = max(m.temperature.range[1] for m in self.members)
            temperature = type(first.temperature)(first.temperature.name, 0.0, 1.0, (lo, hi))
        return IDNNWeights(first.order_parameters, first.features, layers, np.zeros(n_features), np.ones(n_features),
                           1.0, offset, first.energy_unit, dict(provenance or {}), first.baseline, temperature)

    def export(self, kind: str, x: np.ndarray, provenance: dict | None = None, kT=None):
        """The committee's single-network product: ``mean`` or ``closest_member`` (chosen at x, kT)."""
        if kind == "mean":
            return self.mean_network(provenance)
        i = self.closest_member(x, kT)
        member = self.members[i]
        IDNNWeights, _ = model_class()
        return IDNNWeights(member.order_parameters, member.features, member.layers, member.feature_shift,
                           member.feature_scale, member.output_scale, member.output_offset, member.energy_unit,
                           {**(provenance or {}), "committee_member": i}, member.baseline, member.temperature)


def _input_standardization(member) -> tuple[np.ndarray, np.ndarray]:
    """Shift and scale of every first-layer input of a member: the invariants', then kT's."""
    if member.temperature is None:
        return member.feature_shift, member.feature_scale
    t = member.temperature
    return np.r_[member.feature_shift, t.shift], np.r_[member.feature_scale, t.scale]

