"""The ``elasticity:`` block of a case: frozen dataclasses validated by :mod:`pf_app.config`.

    elasticity:
      parameters: {delta: 0.01, c0: 0.5}
      eigenstrain: {xx: "delta*(c - c0)", yy: "delta*(c - c0)", zz: "delta*(c - c0)"}
      stiffness:
        - {kind: cubic, C11: 250, C12: 150, C44: 100, euler_bunge_deg: [45, 0, 0], weight: "1 - c"}
        - {kind: isotropic, E: 200, nu: 0.3, weight: "c"}
      boundary: {kind: periodic, mean_stress: {xx: 0.0}}

Everything that does not depend on the case (stiffness positive definite, rotation proper, keys
and ranges) is checked here; what does (formula names against the case's fields, components and
boundaries against the mesh dimension) by :func:`build_law` / :func:`check_against` when the case
is loaded, with the same one-line errors.  Keys and conventions: docs/elasticity.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from pf_app.config import ConfigError, bounded
from pf_app.elasticity import stiffness as st
from pf_app.elasticity.eigenstrain import Eigenstrain
from pf_app.formula import Formula, FormulaError

BOUNDARIES = ("xmin", "xmax", "ymin", "ymax", "zmin", "zmax")
AXES = ("x", "y", "z")


def components_of(dim: int) -> tuple[str, ...]:
    """Independent strain/stress components of a ``dim``-D problem (2D: plane strain, in-plane only)."""
    return ("xx", "yy", "xy") if dim == 2 else st.VOIGT


@dataclass(frozen=True)
class PhaseStiffnessConfig:
    """One phase's stiffness: ``kind`` isotropic (``E``, ``nu``), cubic (``C11``, ``C12``, ``C44`` in the
    crystal axes, optionally rotated by ``euler_bunge_deg`` or ``rotation``) or voigt (a full 6x6
    ``matrix``, optionally rotated); ``weight``: its share of C as a formula in c, eta_i and the
    block's parameters (default 1: a single phase)."""

    kind: Literal["isotropic", "cubic", "voigt"]
    E: float | None = bounded(None, gt=0)
    nu: float | None = bounded(None, gt=-1, lt=0.5)
    C11: float | None = None
    C12: float | None = None
    C44: float | None = None
    matrix: tuple[tuple[float, ...], ...] | None = None
    euler_bunge_deg: tuple[float, float, float] | None = None
    rotation: tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]] | None = None
    weight: str | float = "1"

    def check(self, fail):
        required = {"isotropic": ("E", "nu"), "cubic": ("C11", "C12", "C44"), "voigt": ("matrix",)}[self.kind]
        for name in required:
            if getattr(self, name) is None:
                fail(name, f"a value for kind {self.kind!r} (required)", None)
        for name in {"E", "nu", "C11", "C12", "C44", "matrix"} - set(required):
            if getattr(self, name) is not None:
                fail(name, f"only the keys {', '.join(required)} for kind {self.kind!r}", getattr(self, name))
        if self.kind == "isotropic" and (self.euler_bunge_deg is not None or self.rotation is not None):
            fail("euler_bunge_deg" if self.euler_bunge_deg is not None else "rotation",
                 "no orientation for an isotropic phase", "an orientation")
        if self.euler_bunge_deg is not None and self.rotation is not None:
            fail("rotation", "either euler_bunge_deg or rotation, not both", "both")
        if self.rotation is not None:
            try:
                st.check_rotation(np.array(self.rotation))
            except st.StiffnessError as exc:
                fail("rotation", str(exc))
        if self.matrix is not None and (len(self.matrix) != 6 or any(len(r) != 6 for r in self.matrix)):
            fail("matrix", "6 rows of 6 numbers (Voigt order xx, yy, zz, yz, xz, xy)", [list(r) for r in self.matrix])
        try:
            st.check_stiffness(self.voigt())
        except st.StiffnessError as exc:
            fail({"isotropic": "E", "cubic": "C11", "voigt": "matrix"}[self.kind], str(exc))

    def voigt(self) -> np.ndarray:
        """The 6x6 Voigt matrix in the lab frame."""
        if self.kind == "isotropic":
            return st.isotropic(self.E, self.nu)
        C = st.cubic(self.C11, self.C12, self.C44) if self.kind == "cubic" else np.array(self.matrix, float)
        if self.euler_bunge_deg is not None:
            return st.rotate(C, st.euler_bunge(*self.euler_bunge_deg))
        if self.rotation is not None:
            return st.rotate(C, np.array(self.rotation, float))
        return C


@dataclass(frozen=True)
class DisplacementConfig:
    """u on the box face ``boundary`` (xmin .. zmax: the coordinate test x = min x, ...): ``x``, ``y``,
    ``z`` (each a number or a formula in x, y, z and the block's parameters; unset components free)."""

    boundary: Literal["xmin", "xmax", "ymin", "ymax", "zmin", "zmax"]
    x: str | float | None = None
    y: str | float | None = None
    z: str | float | None = None

    def check(self, fail):
        if self.x is None and self.y is None and self.z is None:
            fail("x", "at least one displacement component (x, y or z)", None)

    def values(self) -> dict[int, str]:
        return {a: str(v) for a, v in enumerate((self.x, self.y, self.z)) if v is not None}


@dataclass(frozen=True)
class MechanicalBoundaryConfig:
    """``kind``: periodic (all axes of the box; u = E x + periodic fluctuation, the mean strain E per
    component either prescribed in ``mean_strain`` or solved for from a prescribed ``mean_stress``;
    components in neither have zero mean stress), traction_free (no constraint; the rigid-body modes
    are removed from u), or displacement (the ``displacement`` list; other faces traction-free,
    rigid-body modes the list does not fix removed)."""

    kind: Literal["periodic", "traction_free", "displacement"] = "traction_free"
    mean_strain: dict[str, float] = field(default_factory=dict)
    mean_stress: dict[str, float] = field(default_factory=dict)
    displacement: tuple[DisplacementConfig, ...] = ()

    def check(self, fail):
        if self.kind != "periodic" and (self.mean_strain or self.mean_stress):
            fail("mean_strain" if self.mean_strain else "mean_stress", "mean values only with kind periodic",
                 self.mean_strain or self.mean_stress)
        for key in ("mean_strain", "mean_stress"):
            bad = sorted(set(getattr(self, key)) - set(st.VOIGT))
            if bad:
                fail(f"{key}.{bad[0]}", f"a component among {', '.join(st.VOIGT)}", bad[0])
        both = sorted(set(self.mean_strain) & set(self.mean_stress))
        if both:
            fail(f"mean_stress.{both[0]}", "each component in mean_strain or mean_stress, not both", both[0])
        if self.kind == "displacement" and not self.displacement:
            fail("displacement", "a list of {boundary, x, y, z} for kind displacement", [])
        if self.kind != "displacement" and self.displacement:
            fail("displacement", "no list unless kind is displacement", "a list")


@dataclass(frozen=True)
class MechanicalSolverConfig:
    """The linear solver of the standalone mechanical problem: lu (MUMPS), iterative (CG with smoothed
    aggregation, PETSc GAMG, given the rigid-body modes as its near-nullspace), or auto (lu below
    ``auto_dofs`` unknowns in 2D and ``auto_dofs_3d`` in 3D).  ``rtol``: CG's relative residual."""

    linear: Literal["auto", "lu", "iterative"] = "auto"
    auto_dofs: int = bounded(100_000, ge=0)
    auto_dofs_3d: int = bounded(10_000, ge=0)
    rtol: float = bounded(1e-10, gt=0, lt=1)
    max_it: int = bounded(1000, ge=1)
    petsc_options: dict[str, bool | int | float | str] = field(default_factory=dict)


@dataclass(frozen=True)
class ElasticityConfig:
    """``stiffness`` (one or more phases), ``eigenstrain`` (components xx .. xy as formulas or numbers),
    ``parameters`` (names used by every formula of the block), ``boundary``, the displacement's
    Lagrange ``degree`` and the mechanical ``solver``."""

    stiffness: tuple[PhaseStiffnessConfig, ...]
    eigenstrain: dict[str, str | float] = field(default_factory=dict)
    parameters: dict[str, float] = field(default_factory=dict)
    boundary: MechanicalBoundaryConfig = field(default_factory=MechanicalBoundaryConfig)
    degree: int = bounded(1, ge=1, le=2)
    solver: MechanicalSolverConfig = field(default_factory=MechanicalSolverConfig)

    def check(self, fail):
        if not self.stiffness:
            fail("stiffness", "at least one phase", [])
        if len(self.stiffness) > 1 and any(p.weight in ("1", 1.0) for p in self.stiffness):
            i = next(i for i, p in enumerate(self.stiffness) if p.weight in ("1", 1.0))
            fail(f"stiffness[{i}].weight", "a weight formula for each of several phases", None)
        bad = sorted(set(self.eigenstrain) - set(st.VOIGT))
        if bad:
            fail(f"eigenstrain.{bad[0]}", f"a component among {', '.join(st.VOIGT)} (tensor, not engineering, "
                 "shears)", bad[0])


def check_against(cfg: ElasticityConfig, variables: tuple[str, ...], dim: int, file=None, key="elasticity"):
    """The checks that need the case: formulas in ``variables``, components and faces of a ``dim``-D box."""

    def fail(sub, expected, got):
        raise ConfigError(file, f"{key}.{sub}", expected, got)

    def parse(sub, text, names):
        try:
            return Formula.from_text(str(text), names, cfg.parameters)
        except FormulaError as exc:
            fail(sub, f"a formula in {', '.join(names)} and the parameters", f"{text!r}: {exc}")

    allowed = components_of(dim)
    out_of_plane_shear = ("yz", "xz") if dim == 2 else ()
    for name, text in cfg.eigenstrain.items():
        if name in out_of_plane_shear and text not in ("0", 0.0):
            fail(f"eigenstrain.{name}", "no out-of-plane shear in 2D (plane strain: u_z = 0; zz is allowed)", text)
        parse(f"eigenstrain.{name}", text, variables)
    for i, phase in enumerate(cfg.stiffness):
        parse(f"stiffness[{i}].weight", phase.weight, variables)
    b = cfg.boundary
    for key_ in ("mean_strain", "mean_stress"):
        for name in getattr(b, key_):
            if name not in allowed:
                fail(f"boundary.{key_}.{name}", f"a component among {', '.join(allowed)} in {dim}D", name)
    for i, d in enumerate(b.displacement):
        if BOUNDARIES.index(d.boundary) >= 2 * dim:
            fail(f"boundary.displacement[{i}].boundary", f"a face among {', '.join(BOUNDARIES[:2 * dim])}", d.boundary)
        for axis, text in d.values().items():
            if axis >= dim:
                fail(f"boundary.displacement[{i}].{AXES[axis]}", f"components among {', '.join(AXES[:dim])} in {dim}D",
                     text)
            parse(f"boundary.displacement[{i}].{AXES[axis]}", text, AXES[:dim])


def build_law(cfg: ElasticityConfig, variables: tuple[str, ...], dim: int, file: str | Path | None = None):
    """The constitutive law (eigenstrain and interpolated stiffness) of a checked block."""
    from pf_app.elasticity.forms import ElasticLaw

    check_against(cfg, variables, dim, file)
    eigen = Eigenstrain.from_text({k: str(v) for k, v in cfg.eigenstrain.items()}, variables, cfg.parameters)
    weights = [Formula.from_text(str(p.weight), variables, cfg.parameters) for p in cfg.stiffness]
    return ElasticLaw(eigen, st.InterpolatedStiffness([p.voigt() for p in cfg.stiffness], weights), dim)
