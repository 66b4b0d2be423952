"""Phase-field case files (YAML) as typed, validated configuration objects.

A case names the mesh, the boundary conditions, the fields (one conserved composition ``c`` plus
N >= 0 non-conserved order parameters), the free energy, the mobilities, the gradient energy
coefficients, the initial state, time stepping, the nonlinear solver and the output.  Lengths and
times are in the user's (nondimensional) units; energies per unit volume follow the free energy.
See ``docs/phasefield.md`` for every key.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pf_app.config import ConfigError, bounded, load, parse_overrides
from pf_app.elasticity.config import ElasticityConfig
from pf_app.freeenergy.base import FreeEnergyConfig

SQRT2 = 2.0 ** 0.5
AXES = ("x", "y", "z")


MESH_SUFFIXES = (".xdmf", ".msh", ".geo")
GMSH_INSTALL_HINT = "pip install 'pf_app[gmsh]', or pip install gmsh"


@dataclass(frozen=True)
class MeshConfig:
    """A box ``lengths`` (2 or 3 numbers, origin at 0) with ``cells`` per axis, or a ``file``: XDMF
    (grid named "mesh"), a gmsh ``.msh`` file or a ``.geo`` script (meshed by gmsh when the run starts,
    its ``DefineConstant`` values overridden by ``parameters``); gmsh's physical groups name regions
    and boundaries (:mod:`pf_app.phasefield.gmsh_mesh`)."""

    lengths: tuple[float, ...] = (1.0, 1.0)
    cells: tuple[int, ...] = (32, 32)
    cell_type: Literal["triangle", "quadrilateral", "tetrahedron", "hexahedron"] | None = None
    diagonal: Literal["right", "left", "crossed", "right/left", "left/right"] = "right"
    file: Path | None = None
    parameters: dict[str, float] = field(default_factory=dict)

    def check(self, fail):
        if self.file is None:
            if len(self.lengths) not in (2, 3) or any(v <= 0 for v in self.lengths):
                fail("lengths", "2 or 3 positive lengths", list(self.lengths))
            if len(self.cells) != len(self.lengths) or any(n < 1 for n in self.cells):
                fail("cells", f"{len(self.lengths)} positive cell counts, one per length", list(self.cells))
            return
        if self.file.suffix not in MESH_SUFFIXES:
            fail("file", f"a mesh file ending in {', '.join(MESH_SUFFIXES)}", str(self.file))
        if not self.file.is_file():
            fail("file", f"an existing {self.file.suffix} mesh file", str(self.file))
        if self.file.suffix in (".msh", ".geo") and importlib.util.find_spec("gmsh") is None:
            fail("file", f"the gmsh Python module to read {self.file.suffix} files ({GMSH_INSTALL_HINT})", str(self.file))
        if self.parameters and self.file.suffix != ".geo":
            fail("parameters", "no parameters (they set a .geo script's DefineConstant values)", dict(self.parameters))

    @property
    def dim(self) -> int:
        return len(self.lengths)


@dataclass(frozen=True)
class FieldsConfig:
    """``order_parameters``: names of the non-conserved fields (may be empty); Lagrange ``degree``."""

    order_parameters: tuple[str, ...] = ("eta",)
    degree: int = bounded(1, ge=1, le=2)

    def check(self, fail):
        names = ("c", "mu", *self.order_parameters)
        if len(set(names)) != len(names):
            fail("order_parameters", "distinct names other than 'c' and 'mu'", list(self.order_parameters))
        for n in self.order_parameters:
            if not n.isidentifier():
                fail("order_parameters", "identifiers (letters, digits, underscores)", n)


@dataclass(frozen=True)
class MobilityConfig:
    """``kind``: constant (M_c = M, L_i = L), degenerate_b2 (the seed's: M_c = 4 M kappa_c m,
    L = L m / 4, m = 16 (c (sqrt2 - c)(1/2 - eta^2))^2, one order parameter) or formula
    (``formula_c`` and ``formula_eta`` in the fields and ``parameters``)."""

    kind: Literal["constant", "degenerate_b2", "formula"] = "constant"
    M: float = bounded(1.0, gt=0)
    L: float = bounded(1.0, gt=0)
    formula_c: str | None = None
    formula_eta: str | None = None
    parameters: dict[str, float] = field(default_factory=dict)

    def check(self, fail):
        if self.kind == "formula" and not self.formula_c:
            fail("formula_c", "a formula for the Cahn-Hilliard mobility", self.formula_c)


@dataclass(frozen=True)
class GradientConfig:
    """Gradient energy coefficients: ``kappa_c`` and ``kappa_eta`` (one number, or one per order parameter)."""

    kappa_c: float = bounded(1.0e-3, ge=0)
    kappa_eta: float | tuple[float, ...] = 1.0e-3


@dataclass(frozen=True)
class InitialField:
    """``kind``: constant (``value``), random_uniform (``low``..``high``, rank-independent with ``seed``,
    added to ``value``), or formula (``formula`` in x, y, z and ``parameters``)."""

    kind: Literal["constant", "random_uniform", "formula"] = "constant"
    value: float = 0.0
    low: float = -0.01
    high: float = 0.01
    seed: int = 0
    formula: str | None = None
    parameters: dict[str, float] = field(default_factory=dict)

    def check(self, fail):
        if self.kind == "formula" and not self.formula:
            fail("formula", "a formula in x, y, z for kind 'formula'", None)
        if self.kind == "random_uniform" and not self.high >= self.low:
            fail("high", f"a number >= low ({self.low})", self.high)


@dataclass(frozen=True)
class NewtonRuleConfig:
    """Newton-iteration rule: after ``grow_after`` consecutive steps with fewer than ``fast_iterations``
    Newton iterations multiply dt by ``grow_factor``; at ``slow_iterations`` or on failure reject the
    step and multiply dt by ``shrink_factor``.  Unset iteration thresholds follow ``solver.rtol``
    (5 and 10 at the default 1e-9: :func:`pf_app.phasefield.timestepping.newton_thresholds`); the
    seed's rule is ``fast_iterations: 4, slow_iterations: 10``."""

    grow_after: int = bounded(5, ge=1)
    fast_iterations: int | None = bounded(None, ge=1)
    slow_iterations: int | None = bounded(None, ge=2)
    grow_factor: float = bounded(SQRT2, ge=1.0)
    shrink_factor: float = bounded(0.5, gt=0, lt=1)


@dataclass(frozen=True)
class ErrorRuleConfig:
    """Local-error control: ``tolerance`` (the accuracy knob) on the estimated local truncation error
    of each step, the RMS over nodes of (c, eta) in field units, estimated from the distance to a
    predictor through the last accepted states (order 1 for backward Euler, 2 for BDF2).  ``norm``:
    ``rms`` over the nodes, or ``max`` (the largest nodal error: a local event such as a neck pinching
    off is not diluted by the quiet rest of the domain)."""

    tolerance: float = bounded(1.0e-5, gt=0, doc="local error per step (RMS of c and the etas); 1e-5 keeps PFHub 1a on its converged coarsening path (1e-4 leaves it after t ~ 1e3, docs/pfhub.md) for ~9 % more wall time")
    norm: Literal["rms", "max"] = "rms"
    safety: float = bounded(0.9, gt=0, le=1)
    max_growth: float = bounded(2.0, gt=1)
    min_shrink: float = bounded(0.2, gt=0, lt=1)


@dataclass(frozen=True)
class TimeConfig:
    """Scheme, end time, first dt and its limits, and the step rule (``adapt``).  Default: BDF2 with
    local-error control; ``adapt: newton`` with the seed's thresholds reproduces the seed's runs."""

    scheme: Literal["backward_euler", "bdf2"] = "bdf2"
    t_end: float = bounded(1.0, gt=0)
    dt: float = bounded(1.0e-2, gt=0)
    dt_min: float = bounded(1.0e-8, gt=0)
    dt_max: float = bounded(1.0e6, gt=0)
    max_steps: int = bounded(100000, ge=1)
    adapt: Literal["fixed", "newton", "error"] = "error"
    newton: NewtonRuleConfig = field(default_factory=NewtonRuleConfig)
    error: ErrorRuleConfig = field(default_factory=ErrorRuleConfig)

    def check(self, fail):
        if self.dt_min > self.dt:
            fail("dt_min", f"a number <= dt ({self.dt})", self.dt_min)
        rule = self.newton
        if rule.fast_iterations and rule.slow_iterations and rule.slow_iterations <= rule.fast_iterations:
            fail("newton.slow_iterations", f"a number > fast_iterations ({rule.fast_iterations})",
                 rule.slow_iterations)


@dataclass(frozen=True)
class SolverConfig:
    """Newton (PETSc SNES) tolerances on the residual norm, the linear solver, reuse of the LU
    factorization, and PETSc options for the linear solve (they win over the defaults).

    ``linear``: lu (MUMPS, optionally lagged), iterative (GMRES with the block preconditioner of
    :mod:`pf_app.phasefield.block_preconditioner`: AMG blocks, no factorization, memory linear in
    the unknowns), or auto (lu below ``auto_dofs`` unknowns in 2D or ``auto_dofs_3d`` in 3D,
    iterative above; the log says which).  ``linear_rtol``: relative residual of each iterative solve."""

    rtol: float = bounded(1.0e-9, gt=0)
    atol: float = bounded(1.0e-12, gt=0)
    max_it: int = bounded(25, ge=1)
    linear: Literal["auto", "lu", "iterative"] = "auto"
    auto_dofs: int = bounded(100_000, ge=0, doc="unknowns from which auto picks the iterative solver in 2D")
    auto_dofs_3d: int = bounded(10_000, ge=0, doc="unknowns from which auto picks the iterative solver in 3D")
    linear_rtol: float = bounded(1.0e-6, gt=0, lt=1, doc="relative residual of each GMRES solve (Newton still converges to rtol: each iteration gains ~6 digits, as a direct solve does in its first iterations)")
    linear_max_it: int = bounded(300, ge=1)
    inner_rtol: float = bounded(1.0e-2, gt=0, lt=1, doc="relative residual of the iterative solver's inner Krylov solves (Schur complement, order-parameter blocks)")
    inner_max_it: int = bounded(200, ge=1, doc="iteration limit of each inner Krylov solve")
    escalate_after: int = bounded(30, ge=1, doc="outer iterations after which the iterative solver's preconditioner switches to inner Krylov solves")
    reuse_factorization: int = bounded(10, ge=0, doc="Newton iterations between LU factorizations (or, iterative, rebuilds of the block preconditioner) "
                                       "(0: every iteration, direct solve; k > 0: GMRES preconditioned by the "
                                       "last factorization, refactored every k iterations across time steps)")
    petsc_options: dict[str, bool | int | float | str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputConfig:
    """``directory`` (results/<name> by default); fields every ``fields_every`` steps (VTX .bp),
    PNG snapshots every ``png_every`` steps (0 = never), checkpoints every ``checkpoint_every`` steps;
    ``times``: simulated times at which the step is shortened to land exactly, and fields, PNGs and
    a row of energy.csv are written (times after t_end are ignored)."""

    directory: Path | None = None
    fields_every: int = bounded(10, ge=0)
    png_every: int = bounded(0, ge=0)
    checkpoint_every: int = bounded(20, ge=1)
    progress_seconds: float = bounded(10.0, gt=0)
    times: tuple[float, ...] = ()

    def check(self, fail):
        if any(t <= 0 for t in self.times) or any(b <= a for a, b in zip(self.times, self.times[1:])):
            fail("times", "increasing positive times", list(self.times))


@dataclass(frozen=True)
class BoundaryConfig:
    """One named boundary (:mod:`pf_app.phasefield.boundary`): a physical group of a gmsh mesh's facets
    (the key is its name) or, with ``where``, the boundary facets whose vertices pass a coordinate test
    (``x < 1e-9``, ``0.2 < y < 0.4 and x > 1 - 1e-9``).  ``dirichlet``: values of c and of any order
    parameter; ``flux``: the outward normal flux of c, -M_c grad(mu) . n; formulas in x, y, z, t and
    ``parameters``."""

    where: str | None = None
    dirichlet: dict[str, float | str] = field(default_factory=dict)
    flux: float | str | None = None
    parameters: dict[str, float] = field(default_factory=dict)

    def check(self, fail):
        if not self.dirichlet and self.flux is None:
            fail("dirichlet", "values (or a flux) for this boundary", {})
        if self.flux is not None and "c" in self.dirichlet:
            fail("flux", "no flux where c has a Dirichlet value", self.flux)


@dataclass(frozen=True)
class SourceConfig:
    """Source terms added to the right-hand side of the evolution equations, dc/dt = div(M_c grad mu) + S_c
    and deta_i/dt = -L_i (...) + S_i: ``terms`` maps c or an order parameter to a formula in x, y, z, t
    and ``parameters`` (explicit in the fields: :mod:`pf_app.phasefield.sources`)."""

    terms: dict[str, float | str] = field(default_factory=dict)
    parameters: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseConfig:
    name: str = "case"
    mesh: MeshConfig = field(default_factory=MeshConfig)
    periodic: tuple[Literal["x", "y", "z"], ...] = ()
    fields: FieldsConfig = field(default_factory=FieldsConfig)
    free_energy: FreeEnergyConfig = field(default_factory=lambda: FreeEnergyConfig(kind="formula", formula="0"))
    mobility: MobilityConfig = field(default_factory=MobilityConfig)
    gradient: GradientConfig = field(default_factory=GradientConfig)
    initial: dict[str, InitialField] = field(default_factory=dict)
    time: TimeConfig = field(default_factory=TimeConfig)
    solver: SolverConfig = field(default_factory=SolverConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    quadrature_degree: int | None = None
    boundaries: dict[str, BoundaryConfig] = field(default_factory=dict)
    source: SourceConfig = field(default_factory=SourceConfig)
    elasticity: ElasticityConfig | None = None  # the displacement as fields of the Newton system (docs/elasticity.md)

    def check(self, fail):
        n_eta = len(self.fields.order_parameters)
        if self.mesh.file is None:
            bad = [a for a in self.periodic if AXES.index(a) >= self.mesh.dim]
            if bad:
                fail("periodic", f"axes among {', '.join(AXES[:self.mesh.dim])}", bad[0])
        if len(set(self.periodic)) != len(self.periodic):
            fail("periodic", "distinct axes", list(self.periodic))
        known = {"c", *self.fields.order_parameters}
        for name in self.initial:
            if name not in known:
                fail(f"initial.{name}", f"a field among {', '.join(sorted(known))}", name)
        k = self.gradient.kappa_eta
        if isinstance(k, tuple) and len(k) != n_eta:
            fail("gradient.kappa_eta", f"one number or {n_eta} numbers", list(k))
        if self.mobility.kind == "degenerate_b2" and n_eta != 1:
            fail("mobility.kind", "constant or formula with other than one order parameter", "degenerate_b2")
        if self.mobility.kind == "formula" and n_eta and not self.mobility.formula_eta:
            fail("mobility.formula_eta", "a formula for the Allen-Cahn coefficient", None)
        self._check_formulas(fail)
        if self.free_energy.integration == "lumped" and self.fields.degree != 1:
            fail("free_energy.integration", "consistent with degree-2 fields (the vertex rule of 'lumped' "
                 "misses the edge nodes)", "lumped")
        if self.quadrature_degree is not None and not 1 <= self.quadrature_degree <= 20:
            fail("quadrature_degree", "an integer from 1 to 20", self.quadrature_degree)
        if self.solver.linear == "iterative" and self.gradient.kappa_c <= 0:
            fail("solver.linear", "lu or auto when gradient.kappa_c = 0 (the iterative solver's Schur "
                 "factorisation divides by kappa_c)", "iterative")
        if self.elasticity is not None:
            from pf_app.elasticity.coupling import check_case

            try:
                check_case(self)
            except ConfigError as exc:
                fail(exc.key, exc.expected, exc.got)

    def _check_formulas(self, fail):
        """Parse the mobility and initial-condition formulas now, so that a syntax error or an unknown
        name is an input error naming the key, not a traceback from deep in the form assembly."""
        from pf_app.formula import Formula, FormulaError

        def check(key, text, names, parameters):
            try:
                Formula.from_text(text, names, parameters)
            except FormulaError as exc:
                fail(key, f"a formula in {', '.join(names)} and the parameters", f"{text!r}: {exc}")

        mob = self.mobility
        if mob.kind == "formula":
            check("mobility.formula_c", mob.formula_c, self.variables, mob.parameters)
            if self.fields.order_parameters:
                check("mobility.formula_eta", mob.formula_eta, self.variables, mob.parameters)
        coords = AXES[: self.mesh.dim] if self.mesh.file is None else AXES  # a file mesh's dimension comes later
        for name, spec in self.initial.items():
            if spec.kind == "formula":
                check(f"initial.{name}.formula", spec.formula, coords, spec.parameters)
        evolving = ("c", *self.fields.order_parameters)
        prescribed = (*evolving, *self.displacement_names())  # fields a boundary may hold at a value
        in_time = (*AXES, "t")
        for name, text in self.source.terms.items():
            if name not in evolving:
                fail(f"source.terms.{name}", f"a field among {', '.join(evolving)}", name)
            check(f"source.terms.{name}", str(text), in_time, self.source.parameters)
        for name, spec in self.boundaries.items():
            key = f"boundaries.{name}"
            for field_name, text in spec.dirichlet.items():
                if field_name not in prescribed:
                    fail(f"{key}.dirichlet.{field_name}", f"a field among {', '.join(prescribed)}", field_name)
                check(f"{key}.dirichlet.{field_name}", str(text), in_time, spec.parameters)
            if spec.flux is not None:
                check(f"{key}.flux", str(spec.flux), in_time, spec.parameters)
            if spec.where is not None:
                from pf_app.phasefield.boundary import CoordinateTest

                try:
                    CoordinateTest(spec.where, spec.parameters)
                except FormulaError as exc:
                    fail(f"{key}.where", "comparisons such as 'x < 1e-9' or '0.2 < y < 0.4 and x > 1 - 1e-9'",
                         f"{spec.where!r}: {exc}")
            elif self.mesh.file is None:
                fail(f"{key}.where", "a coordinate test such as 'x < 1e-9' (a box mesh has no named boundaries)",
                     None)
        if any(set(spec.dirichlet) & set(evolving) for spec in self.boundaries.values()) \
                and self.solver.linear == "iterative":
            fail("solver.linear", "lu or auto with Dirichlet boundaries (the block preconditioner does not "
                 "know them)", "iterative")

    # ---- derived ----------------------------------------------------------------------------------
    @property
    def variables(self) -> tuple[str, ...]:
        """Free-energy arguments: c, then the order parameters."""
        return ("c", *self.fields.order_parameters)

    def displacement_names(self, dim: int | None = None) -> tuple[str, ...]:
        """u_x, u_y (, u_z) of a ``dim``-D mesh when the case has an ``elasticity`` block, else none
        (``dim`` None: the box's dimension, or 3 for a mesh file not read yet)."""
        if self.elasticity is None:
            return ()
        dim = dim or (self.mesh.dim if self.mesh.file is None else 3)
        return tuple(f"u_{a}" for a in AXES[:dim])

    def field_names(self, dim: int | None = None) -> tuple[str, ...]:
        """The fields of the Newton system in their order: c, mu, the order parameters, then the
        displacement components (with elasticity)."""
        return ("c", "mu", *self.fields.order_parameters, *self.displacement_names(dim))

    def kappa_eta(self) -> tuple[float, ...]:
        k = self.gradient.kappa_eta
        return tuple(k) if isinstance(k, tuple) else (float(k),) * len(self.fields.order_parameters)

    def qdegree(self) -> int:
        """Quadrature degree, set explicitly: network free energies make UFL's estimate explode."""
        return self.quadrature_degree or 2 * self.fields.degree + 2


@dataclass(frozen=True)
class Case:
    config: CaseConfig
    source: Path
    output_dir: Path


def load_case(path: str | Path, overrides: list[str] | tuple[str, ...] = (), output: str | None = None) -> Case:
    """Read and validate a case; ``overrides`` are ``dotted.key=YAML`` strings from ``--set``."""
    from pf_app.freeenergy.base import build_free_energy

    path = Path(path)
    cfg = load(CaseConfig, path, parse_overrides(overrides))
    out = Path(output) if output else (cfg.output.directory or Path("results") / cfg.name)
    build_free_energy(cfg.free_energy, cfg.variables, file=path)  # validate model files now, not deep in UFL
    return Case(cfg, path, out)
