"""Typed configuration of IDNN training (``python -m pf_app train <config.yaml>``).

Every key, its default and its meaning are listed in ``docs/idnn.md``; an example is
``inputs/idnn_b2.yaml``.  Energies and chemical potentials are in the data table's energy unit
(per site); order parameters are dimensionless.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pf_app.config import bounded


@dataclass(frozen=True)
class TrainingTableConfig:
    """The chemical-potential table (:mod:`pf_app.mu_table`) and how it is split."""

    path: Path
    drop_invalid: bool = False  # drop NaN / out-of-domain rows (count reported) instead of failing
    temperature: float | None = None  # use the rows at this kT; required when the table has several
    # a model with model.temperature_input: the rows at these kT (null: every temperature of the table)
    temperatures: tuple[float, ...] | None = None
    validation_fraction: float = bounded(0.2, ge=0.0, lt=1.0)
    value_column: str | None = None  # optional column of g values (function-value data; NaN = none)
    exclude_flags: tuple[str, ...] = ()  # drop rows where any of these columns (e.g. flag_split) is non-zero
    weight_by_standard_errors: bool = False  # weight each residual by 1/se^2 (columns se_mu_<name>)


@dataclass(frozen=True)
class IDNNArchitectureConfig:
    """The network: hidden layers, activation and the invariant features it reads."""

    hidden: tuple[int, ...] = (20, 20)  # units per hidden layer
    activation: Literal["softplus", "tanh", "logistic"] = "softplus"
    # invariants h(x): polynomials, e.g. ["c", "eta^2"], or the name of a set (pf_app.idnn.invariants:
    # "b2", "cubic"); default: (c, eta^2) for B2, else the order parameters
    features: tuple[str, ...] | str | None = None
    # an analytic part of g the network does not learn (pf_app.idnn.baseline): "none", or "ideal_mixing":
    # g = (kT/S) sum_s [x_s ln x_s + (1 - x_s) ln(1 - x_s)] + network, x = Q^-1 eta the sublattice
    # fractions, kT the data's temperature (data.temperature); the network is fitted to mu - dg_ideal/deta
    baseline: Literal["none", "ideal_mixing"] = "none"
    # eta = baseline_Q x (S x S, any scale folded in) for ideal_mixing; null: the B2 map for (c, eta)
    # (the learn loop fills in its campaign's or its order_parameters' map)
    baseline_Q: list[list[float]] | None = None
    # kT as a network input: g(x; kT), trained on the rows of several temperatures (data.temperatures);
    # mu = dg/dx at fixed kT; an ideal_mixing baseline then follows kT (docs/scale_bridging.md 3)
    temperature_input: bool = False

    def check(self, fail):
        import numpy as np

        from pf_app.idnn.invariants import INVARIANT_SETS

        if not self.hidden or any(n < 1 for n in self.hidden):
            fail("hidden", "a non-empty list of positive layer widths", list(self.hidden))
        if isinstance(self.features, str) and self.features not in INVARIANT_SETS:
            fail("features", f"a list of polynomials or an invariant set ({', '.join(INVARIANT_SETS)})", self.features)
        if self.baseline_Q is not None:
            if self.baseline != "ideal_mixing":
                fail("baseline_Q", "null unless baseline is 'ideal_mixing'", self.baseline_Q)
            Q = np.asarray(self.baseline_Q, float) if len({len(r) for r in self.baseline_Q}) == 1 else np.zeros((0, 1))
            if Q.ndim != 2 or Q.shape[0] != Q.shape[1] or Q.shape[0] < 1 or np.linalg.cond(Q) > 1e10:
                fail("baseline_Q", "a square invertible matrix (eta = Q x of the sublattice fractions)", self.baseline_Q)


@dataclass(frozen=True)
class ScalingConfig:
    inputs: bool = True  # standardize each invariant (shift = mean, scale = std over the training rows)
    # "common": residuals and g scaled by one factor, the RMS of all mu (the loss stays the seed's
    # sum_k MSE_k up to that factor); "per_component": mu_k by the RMS of mu_k (equal relative
    # accuracy); "none"; or a number s: mu / s, g = s * y (the seed: 0.01, i.e. the network sees 100 mu)
    labels: Literal["common", "per_component", "none"] | float = "common"

    def check(self, fail):
        if isinstance(self.labels, float) and self.labels <= 0:
            fail("labels", "'common', 'per_component', 'none' or a positive number", self.labels)


@dataclass(frozen=True)
class Anchor:
    x: tuple[float, ...]  # a point in order-parameter space
    g: float  # the free energy there (energy unit per site)
    kT: float | None = None  # its temperature (required by a model with a temperature input)


@dataclass(frozen=True)
class LossConfig:
    weights: dict[str, float] = field(default_factory=dict)  # weight per order parameter (default 1)
    value_weight: float = bounded(1.0, ge=0.0)  # weight of the function-value term (anchors, value_column)
    anchors: tuple[Anchor, ...] = ()

    def check(self, fail):
        for name, w in self.weights.items():
            if w < 0:
                fail(f"weights.{name}", "a weight >= 0", w)


@dataclass(frozen=True)
class TrainingConfig:
    optimizer: Literal["adam", "adagrad", "sgd", "rmsprop"] = "adam"
    learning_rate: float = bounded(0.01, gt=0.0)
    schedule: Literal["constant", "exponential", "cosine"] = "cosine"
    final_lr_fraction: float = bounded(0.01, gt=0.0, le=1.0)  # lr at the last epoch / learning_rate
    batch_size: int = bounded(256, ge=1)
    epochs: int = bounded(60, ge=0)
    patience: int | None = None  # early stopping: epochs without a better validation loss
    lbfgs_iterations: int = bounded(200, ge=0)  # full-batch L-BFGS polish after the epochs (0 = none)
    evaluations_per_epoch: int = bounded(1, ge=1)  # validation checks (log rows) per epoch
    max_seconds: float | None = None  # wall-time cap for the whole training
    target_val_mse: float | None = None  # stop once the validation MSE of mu reaches this
    seed: int = 0
    threads: int | None = None  # TensorFlow intra-op threads (None: TensorFlow's default)
    checkpoint_every: int = bounded(1, ge=0)  # epochs between training checkpoints for --resume (0: only after the epochs)

    def check(self, fail):
        for key in ("patience", "max_seconds", "target_val_mse", "threads"):
            v = getattr(self, key)
            if v is not None and v <= 0:
                fail(key, "a positive number or null", v)


@dataclass(frozen=True)
class OutputConfig:
    """Model files <directory>/<name>.idnn.json (.log.csv, .learning.png) or <name>.bspline.json
    (.sweep.csv, .sweep.png)."""

    directory: Path = Path("models")
    name: str = "idnn"
    energy_unit: str | None = None  # default: the table's energy_unit


@dataclass(frozen=True)
class IDNNConfig:
    data: TrainingTableConfig
    model: IDNNArchitectureConfig = field(default_factory=IDNNArchitectureConfig)
    scaling: ScalingConfig = field(default_factory=ScalingConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def check(self, fail):
        if self.data.temperatures is not None and not self.model.temperature_input:
            fail("data.temperatures", "null unless model.temperature_input is true (use data.temperature for "
                 "one temperature)", list(self.data.temperatures))
        if self.model.temperature_input and self.data.temperature is not None:
            fail("data.temperature", "null with model.temperature_input (data.temperatures lists the rows' kT)",
                 self.data.temperature)


def with_training(cfg: IDNNConfig, **changes) -> IDNNConfig:
    """A copy of ``cfg`` with some ``training`` keys changed (seed sweeps, benchmark recipes)."""
    return dataclasses.replace(cfg, training=dataclasses.replace(cfg.training, **changes))
