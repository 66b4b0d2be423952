"""The ``pf_app mc`` file for fixed-cell Monte Carlo with a surrogate energy (``kind: surrogate_mc``;
example ``inputs/surrogate_mc_fept.yaml``).

Temperatures in kelvin (kT = k_B T with k_B = 8.617333262e-5 eV/K); energies eV per cell;
compositions as numbers of B atoms (the species with the higher atomic number) in the cell.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

from pf_app.config import bounded, load
from pf_app.surrogate.config import DatasetConfig


@dataclasses.dataclass(frozen=True)
class EnergyModelConfig:
    """``network``: the E head of a model saved by ``pf_app surrogate`` (``path`` to its
    ``models/surrogate_<method>.keras``, the JSON beside it); ``pair``: the linear pair model with
    ``n_shells`` shells, fitted by least squares to the (de-duplicated) ``data`` set."""

    kind: Literal["network", "pair"] = "network"
    path: Path | None = None
    n_shells: int = bounded(4, ge=1)

    def check(self, fail):
        if self.kind == "network" and self.path is None:
            fail("path", "the .keras file of a trained surrogate with an E head", None)


@dataclasses.dataclass(frozen=True)
class MetropolisConfig:
    """Canonical Metropolis with swaps; every (composition, temperature) runs
    ``walkers_per_temperature`` independent walkers (the spread gives the uncertainty); all walkers
    of a composition share each energy call."""

    enabled: bool = True
    temperatures_K: tuple[float, ...] = (300.0, 600.0, 900.0, 1200.0, 1500.0, 2000.0)
    walkers_per_temperature: int = bounded(8, ge=2)
    equilibration_steps: int = bounded(2000, ge=0)  # swap attempts per walker, not sampled
    steps: int = bounded(8000, ge=1)  # swap attempts per walker, sampled
    sample_every: int = bounded(32, ge=1)

    def check(self, fail):
        if any(t <= 0 for t in self.temperatures_K):
            fail("temperatures_K", "temperatures > 0 K", list(self.temperatures_K))


@dataclasses.dataclass(frozen=True)
class WangLandauConfig:
    """Wang-Landau g(E) per composition on ``bins`` bins between the lowest and highest energies
    found by a quench (padded by ``margin`` of the span), then E, C_v and Q on ``temperatures_K``;
    ``repeats`` independent runs (own walkers and random streams, same bins) give the C_v peak
    temperature as a mean with its standard error."""

    enabled: bool = True
    repeats: int = bounded(1, ge=1)
    bins: int = bounded(48, ge=2)
    walkers: int = bounded(64, ge=1)
    ln_f_final: float = bounded(1e-5, gt=0, lt=1)
    flatness: float = bounded(0.8, gt=0, lt=1)
    check_every: int = bounded(500, ge=1)
    margin: float = bounded(0.02, ge=0)
    quench_steps: int = bounded(3000, ge=1)
    # upper end of the range: mean + upper_sigma x std of random configurations' energies (the
    # T -> infinity distribution: above it lie only states no finite T weights more); null: a quench of -E
    upper_sigma: float | None = None
    # steps per walker (both stages); a run stopped here keeps the ln f it reached (summary.json)
    max_steps: int = bounded(10 ** 8, ge=1)
    temperatures_K: tuple[float, float, int] = (100.0, 4000.0, 200)  # first, last, count

    def check(self, fail):
        if self.upper_sigma is not None and not self.upper_sigma > 0:
            fail("upper_sigma", "a number of standard deviations > 0 (or null: quench -E)", self.upper_sigma)


@dataclasses.dataclass(frozen=True)
class SurrogateMCOutputConfig:
    directory: Path = Path("results/surrogate_mc")


@dataclasses.dataclass(frozen=True)
class SurrogateMCConfig:
    kind: Literal["surrogate_mc"]
    energy: EnergyModelConfig
    compositions: tuple[int, ...]
    data: DatasetConfig | None = None  # required by the pair model (its fit)
    metropolis: MetropolisConfig = dataclasses.field(default_factory=MetropolisConfig)
    wang_landau: WangLandauConfig = dataclasses.field(default_factory=WangLandauConfig)
    seed: int = 0
    output: SurrogateMCOutputConfig = dataclasses.field(default_factory=SurrogateMCOutputConfig)

    def check(self, fail):
        if self.energy.kind == "pair" and self.data is None:
            fail("data", "the data set the pair model is fitted to (a data section)", None)
        if any(n < 1 for n in self.compositions):
            fail("compositions", "numbers of B atoms >= 1 (and below the number of sites)", list(self.compositions))


def is_surrogate_mc(path: str | Path) -> bool:
    """True when the YAML file says ``kind: surrogate_mc`` (the ``mc`` command then runs this)."""
    from pf_app.config import load_yaml

    return load_yaml(path).get("kind") == "surrogate_mc"


def load_mc_config(path: str | Path, overrides: dict | None = None) -> SurrogateMCConfig:
    return load(SurrogateMCConfig, path, overrides)
