"""A B-spline free energy (``pf_app.bspline`` JSON, or mechanoChemIGA's Cpts.txt + knots.txt) for the
phase-field solver.

Piecewise polynomials are evaluated at the quadrature points through the spline's numpy twin
(value, gradient, Hessian), never as UFL: ``symbolic`` is False, so the solver takes the
quadrature path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pf_app.bspline.evaluate import BSplineFreeEnergy, load
from pf_app.config import ConfigError


class SplineFreeEnergy:
    symbolic = False

    def __init__(self, spline: BSplineFreeEnergy, variables: tuple[str, ...]):
        self.spline, self.variables = spline, tuple(variables)

    @classmethod
    def load(cls, path: str | Path, variables: tuple[str, ...], mechanochem: bool = False) -> "SplineFreeEnergy":
        """``path``: a pf_app.bspline JSON file, or (``mechanochem``) a folder of mechanoChemIGA files."""
        if len(variables) != 2:
            raise ConfigError(path, "order_parameters", "a case with exactly one order parameter (c, eta) for a "
                              "B-spline free energy", list(variables))
        if mechanochem:
            from pf_app.bspline.mechanochem import load_mechanochem_bspline

            return cls(load_mechanochem_bspline(path), variables)
        return cls(load(path), variables)

    def numpy(self, x: np.ndarray, order: int = 1):
        return self.spline.evaluate(x, order)

    def ufl(self, fields):
        raise NotImplementedError("B-spline free energies are evaluated at quadrature points")

    ufl_gradient = ufl
