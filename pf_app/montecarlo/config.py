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
class LatticeConfig:
    """Primitive cell (rows = lattice vectors, any length unit), fractional basis positions, allowed species.

    A site with two species is sampled (sigma = -1 first species, +1 second); one species = spectator.
    """

    cell: list[list[float]]
    positions: list[list[float]]
    species: list[list[str]]

    def check(self, fail):
        if len(self.cell) != 3 or any(len(r) != 3 for r in self.cell) or abs(np.linalg.det(self.cell)) < 1e-9:
            fail("cell", "three non-coplanar lattice vectors [[ax, ay, az], [bx, ...], [cx, ...]]", self.cell)
        if not self.positions or any(len(p) != 3 for p in self.positions):
            fail("positions", "a non-empty list of fractional positions [f1, f2, f3]", self.positions)
        if len(self.species) != len(self.positions):
            fail("species", f"one list of allowed species per position ({len(self.positions)})", self.species)
        for i, sp in enumerate(self.species):
            if len(sp) not in (1, 2) or len(set(sp)) != len(sp):
                fail(f"species[{i}]", "one species (spectator) or two different species (binary alloy site); "
                     "multicomponent sites are not supported", sp)
        if all(len(sp) == 1 for sp in self.species):
            fail("species", "at least one site with two allowed species", self.species)


@dataclass(frozen=True)
class ECIConfig:
    """Effective cluster interactions: energy per cluster (zerolet: per sampled site), each cluster once.

    Lists follow the orbit order of their kind (by size, as printed by ``pf_app mc --show-model``);
    missing trailing entries are 0.
    """

    zerolet: float = 0.0
    singlets: list[float] = field(default_factory=list)
    pairs: list[float] = field(default_factory=list)
    triplets: list[float] = field(default_factory=list)
    quadruplets: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class ClusterExpansionConfig:
    """Cutoffs (pairs, triplets, quadruplets: largest distance in a cluster, length unit of the cell) and
    ECIs, or an icet ``ClusterExpansion`` file (read with icet; cutoffs and ECIs then come from it)."""

    cutoffs: list[float] = field(default_factory=list)
    ecis: ECIConfig = field(default_factory=ECIConfig)
    icet_file: Path | None = None
    energy_unit: str = "V_NN"
    symprec: float = bounded(1e-5, gt=0, doc="spglib symmetry tolerance (length unit)")

    def check(self, fail):
        if self.icet_file is None and not self.cutoffs:
            fail("cutoffs", "a list of cutoffs [pairs, triplets, quadruplets] (or icet_file)", self.cutoffs)
        if len(self.cutoffs) > 3 or any(c <= 0 for c in self.cutoffs):
            fail("cutoffs", "at most 3 positive cutoffs [pairs, triplets, quadruplets]", self.cutoffs)
        if self.icet_file is not None and not self.icet_file.is_file():
            fail("icet_file", "an existing icet ClusterExpansion file", str(self.icet_file))
        if self.icet_file is not None and (self.cutoffs or self.ecis != ECIConfig()):
            fail("icet_file", "either icet_file or cutoffs and ecis (the file holds both)", str(self.icet_file))


@dataclass(frozen=True)
class OrderParametersConfig:
    """eta = scale * Q x over the sublattices of the ordering cell (integer matrix on the primitive cell)."""

    Q: list[list[float]]
    names: list[str]
    cell: list[list[int]] = field(default_factory=lambda: [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    scale: float = 1.0
    species: str | None = None  # x_s = fraction of this species (the second listed of every sampled site)

    def check(self, fail):
        if len(self.cell) != 3 or any(len(r) != 3 for r in self.cell) or round(abs(np.linalg.det(self.cell))) < 1:
            fail("cell", "a non-singular integer 3 x 3 matrix on the primitive cell", self.cell)
        q = self.Q
        if not q or any(len(r) != len(q) for r in q):
            fail("Q", "a square matrix (one row per order parameter, one column per sublattice)", q)
        if np.linalg.cond(np.array(q, float)) * 1e-10 > 1:
            fail("Q", "an invertible matrix (x = Q^-1 eta must exist)", q)
        if len(self.names) != len(q) or len(set(self.names)) != len(self.names):
            fail("names", f"{len(q)} different names, one per row of Q", self.names)


@dataclass(frozen=True)
class PointsConfig:
    """Where to sample the order-parameter domain (the image of the unit cube of sublattice fractions x)."""

    kind: Literal["sobol", "grid", "list"] = "sobol"
    n: int = bounded(16, ge=1, doc="number of Sobol points")
    seed: int = 0
    grid: list[Span] = field(default_factory=list)
    values: list[list[float]] = field(default_factory=list)
    margin: float = bounded(0.02, ge=0.0, lt=0.5, doc="keep every x_s in [margin, 1 - margin]")
    eta_nonnegative: bool = True
    # kind 'list': one kT per point, each point then sampled at its own temperature only (the campaign's
    # ``temperatures`` must be absent); empty: every point at every temperature
    kT: list[float] = field(default_factory=list)

    def check(self, fail):
        if self.kind == "grid" and not self.grid:
            fail("grid", "one span {lo, hi, n} per order parameter for kind 'grid'", [])
        if self.kind == "list" and not self.values:
            fail("values", "a non-empty list of points (one value per order parameter) for kind 'list'", [])
        if self.kT and (self.kind != "list" or len(self.kT) != len(self.values)):
            fail("kT", f"for kind 'list', one kT per point ({len(self.values)}), or nothing", list(self.kT))
        if any(t <= 0 for t in self.kT):
            fail("kT", "kT values > 0 (in the model's energy unit)", list(self.kT))


@dataclass(frozen=True)
class UmbrellaConfig:
    """Biased ensemble: phi (one per order parameter, or one for all) in energy per site; points are targets or kappas."""

    phi: list[float] = field(default_factory=lambda: [10.0])
    points: PointsConfig = field(default_factory=PointsConfig)
    points_are: Literal["target", "kappa"] = "target"
    guess: Literal["mean_field", "ideal", "none"] | Path = "mean_field"

    def check(self, fail):
        if not self.phi or min(self.phi) <= 0:
            fail("phi", "numbers > 0 (one per order parameter, or one for all)", list(self.phi))
        if isinstance(self.guess, Path) and not self.guess.is_file():
            fail("guess", "'mean_field', 'ideal', 'none' or an existing IDNN weights file (.idnn.json)",
                 str(self.guess))


@dataclass(frozen=True)
class SGCConfig:
    """Semi-grand-canonical ensemble: exchange potentials mu_<name> conjugate to each order parameter
    (energy per site; every combination is a point; a missing name is 0)."""

    mu: dict[str, Span | list[float]] = field(default_factory=dict)
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
    lattice: LatticeConfig
    cluster_expansion: ClusterExpansionConfig
    order_parameters: OrderParametersConfig
    supercell: tuple[int, int, int]
    output: OutputConfig
    temperatures: Span | list[float] | None = None  # required unless umbrella.points.kT gives one per point
    ensemble: Literal["umbrella", "sgc"] = "umbrella"
    umbrella: UmbrellaConfig = field(default_factory=UmbrellaConfig)
    sgc: SGCConfig = field(default_factory=SGCConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    homogeneity: HomogeneityConfig = field(default_factory=HomogeneityConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def check(self, fail):
        if min(self.supercell) < 1:
            fail("supercell", "three repeats >= 1 of the ordering cell", list(self.supercell))
        per_point = self.ensemble == "umbrella" and bool(self.umbrella.points.kT)
        if per_point and self.temperatures is not None:
            fail("temperatures", "nothing (null) when umbrella.points.kT gives each point its temperature",
                 values_of(self.temperatures))
        if not per_point:
            temps = [] if self.temperatures is None else values_of(self.temperatures)
            if not temps or min(temps) <= 0:
                fail("temperatures", "kT values > 0 (in the model's energy unit)",
                     temps if self.temperatures is not None else "nothing")
        b = self.homogeneity.block
        if b is not None and (b < 1 or any(L % b for L in self.supercell)):
            fail("homogeneity.block", f"a block edge dividing every supercell size {list(self.supercell)}", b)
        k = len(self.order_parameters.names)
        if len(self.umbrella.phi) not in (1, k):
            fail("umbrella.phi", f"1 or {k} numbers (one per order parameter)", list(self.umbrella.phi))
        unknown = sorted(set(self.sgc.mu) - set(self.order_parameters.names))
        if unknown:
            fail(f"sgc.mu.{unknown[0]}", f"an order parameter name ({', '.join(self.order_parameters.names)})",
                 unknown[0])
        p = self.umbrella.points
        if p.kind == "grid" and len(p.grid) != k:
            fail("umbrella.points.grid", f"{k} spans (one per order parameter)", len(p.grid))
        for i, v in enumerate(p.values):
            if len(v) != k:
                fail(f"umbrella.points.values[{i}]", f"{k} numbers (one per order parameter)", v)


def load_campaign(path: str | Path, overrides: dict | None = None) -> CampaignConfig:
    return load(CampaignConfig, path, overrides)
