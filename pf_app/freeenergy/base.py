"""The free-energy interface and its factory from the case configuration.

A free energy per site g(x), x = (c, eta_1, ..., eta_N), provides
``ufl(fields)`` (g as UFL, for the energy functional), ``ufl_gradient(fields)`` (dg/dx_k as UFL,
written out so that sub-expressions are shared), and ``numpy(x, order)`` returning g, its gradient
and its Hessian for rows of x (shape (rows, 1 + N)).  ``symbolic`` tells whether the UFL form exists;
otherwise the solver evaluates the numpy twin at quadrature points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from pf_app.config import ConfigError


class FreeEnergy(Protocol):
    variables: tuple[str, ...]
    symbolic: bool

    def ufl(self, fields): ...

    def ufl_gradient(self, fields): ...

    def numpy(self, x: np.ndarray, order: int = 1): ...


@dataclass(frozen=True)
class PolynomialTerm:
    coef: float
    powers: tuple[int, ...]


@dataclass(frozen=True)
class FreeEnergyConfig:
    """``kind``: formula (text in ``formula`` with ``parameters``), landau (polynomial ``terms`` in
    (c - c_ref, eta_1, ...)), idnn (``path`` to pf_app.idnn JSON), mechanochem (``path`` to a folder of
    mechanoChemIGA weight files), bspline (``path`` to pf_app.bspline JSON), mechanochem_bspline (``path`` to a
    folder with mechanoChemIGA's Cpts.txt and knots.txt; g used as read, no 0.01).  ``scale`` multiplies g
    (unit conversion).  ``integration`` of the terms in g (g itself, g_c in the chemical potential,
    g_eta in the Allen-Cahn equation): consistent (the case's quadrature degree) or lumped (the vertex
    rule, degree-1 fields only: g is needed once per mesh vertex; first-order accurate in the
    mesh size like the fields, energy-stable structure kept).  ``evaluation``: symbolic (UFL), quadrature
    (numpy twin at the integration points, exact Hessian in the Jacobian) or auto (symbolic formulas;
    networks symbolic when consistent and at the vertices when lumped; splines at the points)."""

    kind: Literal["formula", "landau", "idnn", "mechanochem", "bspline", "mechanochem_bspline"]
    formula: str | None = None
    parameters: dict[str, float] = field(default_factory=dict)
    terms: list[PolynomialTerm] = field(default_factory=list)
    c_ref: float = 0.7071067811865476
    path: Path | None = None
    scale: float = 1.0
    integration: Literal["consistent", "lumped"] = "consistent"
    evaluation: Literal["auto", "symbolic", "quadrature"] = "auto"

    def check(self, fail):
        if self.kind == "formula" and not self.formula:
            fail("formula", "a formula string for kind 'formula'", None)
        if self.kind == "landau" and not self.terms:
            fail("terms", "a list of {coef, powers} for kind 'landau'", [])
        if self.kind in ("idnn", "mechanochem", "bspline", "mechanochem_bspline") and self.path is None:
            fail("path", f"a model path for kind {self.kind!r}", None)
        expected = {"idnn": "an existing IDNN weights file (pf_app.idnn JSON)",
                    "mechanochem": "an existing folder of mechanoChemIGA weights_<i>.txt files",
                    "bspline": "an existing B-spline model file (pf_app.bspline JSON)",
                    "mechanochem_bspline": "an existing folder with mechanoChemIGA Cpts.txt and knots.txt"}
        if self.path is not None and self.kind in expected and not self.path.exists():
            fail("path", expected[self.kind], str(self.path))
        if self.kind in ("bspline", "mechanochem_bspline") and self.evaluation == "symbolic":
            fail("evaluation", "'quadrature' or 'auto' for a B-spline", self.evaluation)


class ScaledFreeEnergy:
    """``factor * g`` for any free energy (unit conversion or a user scale)."""

    def __init__(self, inner: FreeEnergy, factor: float):
        self.inner, self.factor = inner, factor
        self.variables, self.symbolic = inner.variables, inner.symbolic

    def ufl(self, fields):
        return self.factor * self.inner.ufl(fields)

    def ufl_gradient(self, fields):
        return [self.factor * d for d in self.inner.ufl_gradient(fields)]

    def numpy(self, x, order=1):
        out = self.inner.numpy(x, order)
        return self.factor * out if order == 0 else tuple(self.factor * o for o in out)


def landau_formula(terms: list[PolynomialTerm], variables: tuple[str, ...], c_ref: float):
    """sum_t coef_t (c - c_ref)^p0 eta_1^p1 ... as an exact :class:`Formula`."""
    from pf_app import formula as ex

    shifted = [ex.sub(ex.var(variables[0]), ex.num(c_ref)), *(ex.var(v) for v in variables[1:])]
    total = ex.ZERO
    for t in terms:
        monomial = ex.num(t.coef)
        for base, p in zip(shifted, t.powers):
            monomial = ex.mul(monomial, ex.power(base, ex.num(p)))
        total = ex.add(total, monomial)
    return ex.Formula(total, variables, {})


def build_free_energy(cfg: FreeEnergyConfig, variables: tuple[str, ...], file=None, key="free_energy"):
    """Construct the free energy for fields named ``variables`` (c first); errors name ``key``."""
    from pf_app.formula import Formula, FormulaError

    if cfg.kind == "formula":
        try:
            fe = Formula.from_text(cfg.formula, variables, cfg.parameters)
        except FormulaError as exc:
            raise ConfigError(file, f"{key}.formula", "a formula in the order parameters and parameters",
                              f"{cfg.formula!r}: {exc}") from None
        fe.symbolic = True
    elif cfg.kind == "landau":
        bad = [i for i, t in enumerate(cfg.terms) if len(t.powers) != len(variables)]
        if bad:
            raise ConfigError(file, f"{key}.terms[{bad[0]}].powers", f"{len(variables)} powers, one per field "
                              f"{', '.join(variables)}", list(cfg.terms[bad[0]].powers))
        fe = landau_formula(cfg.terms, variables, cfg.c_ref)
        fe.symbolic = True
    elif cfg.kind in ("idnn", "mechanochem"):
        from pf_app.freeenergy.network import NetworkFreeEnergy
        from pf_app.idnn.mechanochem import load_mechanochem
        from pf_app.idnn.weights import load

        weights = load(cfg.path) if cfg.kind == "idnn" else load_mechanochem(cfg.path)
        if len(weights.order_parameters) != len(variables):
            raise ConfigError(file, f"{key}.path", f"a network of {len(variables)} order parameters "
                              f"({', '.join(variables)})", f"{len(weights.order_parameters)} in {cfg.path}")
        fe = NetworkFreeEnergy(weights, variables)
    else:
        from pf_app.freeenergy.spline import SplineFreeEnergy

        fe = SplineFreeEnergy.load(cfg.path, variables, mechanochem=cfg.kind == "mechanochem_bspline")
    return fe if cfg.scale == 1.0 else ScaledFreeEnergy(fe, cfg.scale)


def use_quadrature(cfg: FreeEnergyConfig, fe: FreeEnergy) -> bool:
    """Whether the solver evaluates g's derivatives pointwise (numpy twin) or in UFL.

    ``auto``: formulas in UFL; networks in UFL when integrated consistently (compiled per quadrature
    point, measured cheaper than the numpy twin at 6 points per triangle) and with the numpy twin when
    lumped (once per vertex instead of 3 times per cell); splines always pointwise."""
    if cfg.evaluation == "auto":
        return not fe.symbolic or (cfg.integration == "lumped" and cfg.kind in ("idnn", "mechanochem"))
    return cfg.evaluation == "quadrature"
