"""Typed configuration of the active-learning loop (``python -m pf_app learn <config.yaml>``).

Every key, its default and its meaning are listed in ``docs/learn.md``; examples are
``inputs/learn_b2.yaml`` (real umbrella Monte Carlo) and ``inputs/learn_b2_pool.yaml`` (the
benchmark's pool of shipped Monte Carlo rows).  Energies and chemical potentials are in the data's
energy unit per site; order parameters are dimensionless.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pf_app.config import ConfigError, bounded, load, to_dict


@dataclass(frozen=True)
class OracleConfig:
    """Who answers a chosen point with (x, mu) data.

    * ``monte_carlo``: an umbrella campaign (``campaign``: a ``pf_app mc`` config whose points and
      output table the loop replaces each round, ``campaign_set``: more of its keys to override, as
      with ``pf_app mc --set``; bias centres kappa = target + mu_pred/(2 phi));
    * ``pool``: the nearest not-yet-used row of an existing table (``table``); the validation rows
      of the training config ``held_out_from`` are never answered and form the held-out set;
    * ``exact``: exact derivatives of a known free energy of :mod:`pf_app.idnn.synthetic`
      (``free_energy``, tests and examples); ``held_out`` random points form the held-out set.
    """

    kind: Literal["monte_carlo", "pool", "exact"] = "monte_carlo"
    campaign: Path | None = None
    campaign_set: dict[str, Any] = field(default_factory=dict)  # dotted overrides of the campaign, e.g. supercell
    table: Path | None = None
    held_out_from: Path | None = None
    free_energy: str = "landau_b2"
    held_out: int = bounded(2000, ge=0, doc="held-out points of the exact oracle")

    def check(self, fail):
        if self.kind == "monte_carlo" and (self.campaign is None or not self.campaign.is_file()):
            fail("campaign", "an existing pf_app mc config (umbrella) for kind 'monte_carlo'",
                 None if self.campaign is None else str(self.campaign))
        if self.kind == "pool":
            for key in ("table", "held_out_from"):
                path = getattr(self, key)
                if path is None or not path.is_file():
                    fail(key, "an existing file for kind 'pool'", None if path is None else str(path))


@dataclass(frozen=True)
class OrderParametersConfig:
    """The order parameters eta = scale * Q x of the sublattice fractions x (as in a ``pf_app mc``
    campaign): the first is the composition (equal entries), the others vanish in the disordered
    state (rows summing to zero).  For the ``exact`` and ``pool`` oracles; null: B2 (c, eta)."""

    Q: list[list[float]]
    names: list[str]
    scale: float = 1.0


@dataclass(frozen=True)
class TemperatureRange:
    """kT as a dimension of the domain: points carry a kT in [lo, hi] (energy unit of the data); the
    committee learns g(x; kT) (the train section's ``model.temperature_input`` is set by the loop)."""

    lo: float = bounded(gt=0.0)
    hi: float = bounded(gt=0.0)

    def check(self, fail):
        if self.hi <= self.lo:
            fail("hi", f"a kT above lo ({self.lo})", self.hi)


@dataclass(frozen=True)
class PointsConfig:
    """How many points each round asks for, by reason (see :mod:`pf_app.learn.sampling`)."""

    initial: int = bounded(400, ge=1, doc="global Sobol points of round 0")
    sobol: int = bounded(100, ge=0, doc="global Sobol points of each later round")
    error: int = bounded(100, ge=0, doc="local points around the worst-predicted new points")
    committee: int = bounded(100, ge=0, doc="points of largest committee disagreement (query by committee)")
    wells: int = bounded(50, ge=0, doc="points near the wells and the non-convex region of the current g")
    local_radius: float = bounded(0.03, gt=0.0, doc="spread of local points, in sublattice fractions")
    candidates: int = bounded(2048, ge=16, doc="Sobol candidates scored for disagreement and curvature")
    margin: float = bounded(0.02, ge=0.0, lt=0.5, doc="points keep every sublattice fraction in [margin, 1 - margin]")
    seed: int = 0


@dataclass(frozen=True)
class CommitteeConfig:
    members: int = bounded(4, ge=2, doc="IDNNs trained with seeds seed..seed+members-1")
    export: Literal["mean", "closest_member"] = "mean"


@dataclass(frozen=True)
class StopConfig:
    """Stop when the validation error and the committee spread are below their targets (a null
    target is not required), or when a budget is spent."""

    val_mse: float | None = None  # (energy per site)^2: held-out MSE of mu if the oracle has a held-out set
    spread: float | None = None  # energy per site: RMS committee standard deviation of mu over the domain
    max_points: int = bounded(4000, ge=1)
    max_rounds: int = bounded(20, ge=1)

    def check(self, fail):
        for key in ("val_mse", "spread"):
            v = getattr(self, key)
            if v is not None and v <= 0:
                fail(key, "a positive number or null", v)


@dataclass(frozen=True)
class OutputConfig:
    directory: Path = Path("results/learn")
    name: str = "learned"


@dataclass(frozen=True)
class RunConfig:
    progress_every_s: float = bounded(10.0, gt=0)


@dataclass(frozen=True)
class LearnConfig:
    oracle: OracleConfig
    train: dict[str, Any] = field(default_factory=dict)  # a pf_app train config without data.path/output
    order_parameters: OrderParametersConfig | None = None
    temperature: TemperatureRange | None = None  # kT as a dimension of the domain (null: one temperature)
    points: PointsConfig = field(default_factory=PointsConfig)
    committee: CommitteeConfig = field(default_factory=CommitteeConfig)
    stop: StopConfig = field(default_factory=StopConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    run: RunConfig = field(default_factory=RunConfig)


def load_learn_config(path: str | Path, overrides: dict | None = None) -> LearnConfig:
    """Load and validate a loop config, including its ``train`` section and the oracle's files."""
    from pf_app.learn import adapters
    from pf_app.learn.sampling import domain_of

    cfg = load(LearnConfig, path, overrides)
    adapters.check_training_section(adapters.with_temperature_input(cfg.train, cfg.temperature, path), path)
    if cfg.temperature is not None and cfg.oracle.kind == "pool":
        raise ConfigError(path, "temperature", "null with the pool oracle (its rows have the pool's temperatures)",
                          to_dict(cfg.temperature))
    if cfg.oracle.kind == "monte_carlo":
        adapters.check_campaign(cfg.oracle.campaign, cfg.oracle.campaign_set, cfg.temperature is not None)
        if cfg.order_parameters is not None:
            raise ConfigError(path, "order_parameters", "no order_parameters with the monte_carlo oracle (the "
                              "campaign's order_parameters section decides)")
    try:
        names = tuple(domain_of(cfg).names)
    except ValueError as exc:
        file = cfg.oracle.campaign if cfg.oracle.kind == "monte_carlo" else path
        raise ConfigError(file, "order_parameters.Q", f"a square invertible matrix, one name per row, the first row "
                          f"the composition, the others summing to zero ({exc})") from None
    adapters.with_baseline_map(cfg.train, domain_of(cfg).map.Q, path)
    if cfg.oracle.kind == "exact":
        exact = adapters.exact_free_energy(cfg.oracle.free_energy, path)
        if getattr(exact, "temperature_dependent", False) != (cfg.temperature is not None):
            raise ConfigError(path, "temperature", f"a range {{lo, hi}} exactly when the free energy depends on kT "
                              f"({cfg.oracle.free_energy} does{'' if getattr(exact, 'temperature_dependent', False) else ' not'})",
                              None if cfg.temperature is None else to_dict(cfg.temperature))
        known = tuple(exact.order_parameters)
        if known != names:
            raise ConfigError(path, "order_parameters.names", f"the order parameters of {cfg.oracle.free_energy} "
                              f"{list(known)} (and their Q)", list(names))
    return cfg
