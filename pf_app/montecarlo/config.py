"""Campaign configuration (YAML -> frozen dataclasses); every key is described in docs/montecarlo.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from pf_app.config import bounded, load


@dataclass(frozen=True)
class Span:
    """``n`` evenly spaced values from ``lo`` to ``hi`` (both included)."""

    lo: float
    hi: float
    n: int = bounded(ge=1)

    def values(self) -> list[float]:
        return [float(v) for v in np.linspace(self.lo, self.hi, self.n)]


def values_of(spec: Span | list[float]) -> list[float]:
    return spec.values() if isinstance(spec, Span) else [float(v) for v in spec]


@dataclass(frozen=True)
class ModelConfig:
    """Cluster expansion; ECIs are energies per cluster, every cluster counted once."""

    V0: float = 0.0
    point: float = 0.0
    pairs: tuple[float, ...] = (1.0,)
    triplet: float = 0.0
    energy_unit: str = "V_NN"

    def check(self, fail):
        if len(self.pairs) > 3:
            fail("pairs", "at most 3 pair ECIs (shells 1, 2, 3)", list(self.pairs))


@dataclass(frozen=True)
class PointsConfig:
    """Where to sample the physical (c, eta) domain (a square in the sublattice fractions x1, x2)."""

    kind: Literal["sobol", "grid", "list"] = "sobol"
    n: int = bounded(16, ge=1, doc="number of Sobol points")
    seed: int = 0
    c: Span | None = None
    eta: Span | None = None
    values: list[tuple[float, float]] = field(default_factory=list)
    margin: float = bounded(0.02, ge=0.0, lt=0.5, doc="keep x1, x2 in [margin, 1 - margin]")
    eta_nonnegative: bool = True

    def check(self, fail):
        if self.kind == "grid" and (self.c is None or self.eta is None):
            fail("c" if self.c is None else "eta", "a span {lo, hi, n} for kind 'grid'", None)
        if self.kind == "list" and not self.values:
            fail("values", "a non-empty list of [c, eta] pairs for kind 'list'", [])


@dataclass(frozen=True)
class UmbrellaConfig:
    """Biased ensemble: phi = (phi_c, phi_eta) in energy per site; points are targets or kappas."""

    phi: tuple[float, float] = (10.0, 10.0)
    points: PointsConfig = field(default_factory=PointsConfig)
    points_are: Literal["target", "kappa"] = "target"
    guess: Literal["mean_field", "ideal", "none"] | Path = "mean_field"

    def check(self, fail):
        if min(self.phi) <= 0:
            fail("phi", "two numbers > 0 (phi_c, phi_eta)", list(self.phi))
        if isinstance(self.guess, Path) and not self.guess.is_file():
            fail("guess", "'mean_field', 'ideal', 'none' or an existing IDNN weights file (.idnn.json)",
                 str(self.guess))


@dataclass(frozen=True)
class SGCConfig:
    """Semi-grand-canonical ensemble: exchange potentials conjugate to c and eta (energy per site)."""

    mu_c: Span | list[float] = (0.0,)
    mu_eta: Span | list[float] = (0.0,)
    initial: Literal["ordered", "disordered"] = "ordered"


@dataclass(frozen=True)
class SamplingConfig:
    """Run length control.  One sweep = M attempts; statistics use per-sweep averages."""

    se_target: float = bounded(1e-3, gt=0, doc="standard error goal: of mu (umbrella) or <c>, <|eta|> (sgc)")
    min_sweeps: int = bounded(200, ge=10)
    max_sweeps: int = bounded(100_000, ge=10)
    chunk_sweeps: int = bounded(100, ge=10, doc="sweeps between convergence checks")
    min_effective_samples: float = bounded(30.0, ge=5)
    snapshot_every: int = bounded(10, ge=1, doc="sweeps between homogeneity snapshots")
    seed: int = 1
    checkpoint_every_s: float = bounded(60.0, gt=0)

    def check(self, fail):
        if self.max_sweeps < self.min_sweeps:
            fail("max_sweeps", f"a number >= min_sweeps ({self.min_sweeps})", self.max_sweeps)


@dataclass(frozen=True)
class HomogeneityConfig:
    block: int | None = None
    bimodality_threshold: float = bounded(5.0 / 9.0, gt=0, le=1)
    excess_variance_threshold: float = bounded(4.0, gt=1)


@dataclass(frozen=True)
class OutputConfig:
    table: Path
    hdf5: Path | None = None
    plots: Path | None = None

    def check(self, fail):
        if self.table.suffix != ".csv":
            fail("table", "a .csv path (rows are appended; use 'hdf5' for an HDF5 copy)", str(self.table))
        if self.hdf5 is not None and self.hdf5.suffix not in (".h5", ".hdf5"):
            fail("hdf5", "a .h5 or .hdf5 path", str(self.hdf5))


@dataclass(frozen=True)
class RunConfig:
    backend: Literal["auto", "mpi", "processes", "serial"] = "auto"
    workers: int | None = None
    progress_every_s: float = bounded(10.0, gt=0)


@dataclass(frozen=True)
class CampaignConfig:
    supercell: tuple[int, int, int]
    temperatures: Span | list[float]
    output: OutputConfig
    ensemble: Literal["umbrella", "sgc"] = "umbrella"
    model: ModelConfig = field(default_factory=ModelConfig)
    umbrella: UmbrellaConfig = field(default_factory=UmbrellaConfig)
    sgc: SGCConfig = field(default_factory=SGCConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    homogeneity: HomogeneityConfig = field(default_factory=HomogeneityConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def check(self, fail):
        if min(self.supercell) < 3:
            fail("supercell", "three sizes >= 3 (conventional cells)", list(self.supercell))
        temps = values_of(self.temperatures)
        if not temps or min(temps) <= 0:
            fail("temperatures", "kT values > 0 (in the model's energy unit)", temps)
        b = self.homogeneity.block
        if b is not None and (b < 1 or any(L % b for L in self.supercell)):
            fail("homogeneity.block", f"a block edge dividing every supercell size {list(self.supercell)}", b)


def load_campaign(path: str | Path, overrides: dict | None = None) -> CampaignConfig:
    return load(CampaignConfig, path, overrides)
