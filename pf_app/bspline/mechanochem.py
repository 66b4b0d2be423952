"""Import a B-spline free energy in mechanoChemIGA's text format (``Cpts.txt`` + ``knots.txt``).

The layout, as written by the authors' fitting script and read by their C++ evaluator
(mechanoChem/mechanoChemIGA: ``utils/B2_2D_splineFitScripts/FESpline_optKNots.m`` writes the files,
``initBounValProbs/CahnHilliard_AllenCahn/2D_bsplines_B2/bsplines.h``, ``bsplines::reinit``, reads
them; example files beside both)::

    knots.txt:  # p m n                 degree p, m knots in c, n knots in eta^2
                <m knots of c> <n knots of eta^2>        (whitespace separated; the script writes
                                                           one line per knot vector)
    Cpts.txt:   # p m n                 m = (knots in c) - p - 1 rows, n = (knots in eta^2) - p - 1
                <m rows of n control points>              C[i][j] multiplies B_i(c) N_j(eta^2)

The function is g(c, eta) = S(c, eta^2) = sum_ij C[i][j] B_i(c) N_j(eta^2) (the script fits mu_c = S_u
and mu_eta = 2 eta S_v, ``fit_dz.m``), clamped knots (the published B2 files: cubic, c in [0, sqrt2],
eta^2 in [0, 0.5]), and ``userFunctions.cc`` uses g as read, in eV per site: no 0.01 factor, unlike
their IDNN (:mod:`pf_app.idnn.mechanochem`).

The result is a :class:`~pf_app.bspline.evaluate.BSplineFreeEnergy`, evaluated by scipy's
``NdBSpline`` with exact derivatives.  We do not port ``bsplines::eval``: its second derivatives use
``p (p-1) (P_k - 2 P_{k-1} + P_{k-2}) / ((t_{k+p} - t_k)(t_{k+p-1} - t_k))``, which assumes
t_{k+p} - t_k = t_{k+p-1} - t_{k-1} and so is wrong in the spans next to the repeated end knots of
a clamped vector (tested in ``tests/bspline/test_mechanochem_bspline.py``).  Their span search
also finds no span outside [t_0, t_last) (the value is undefined there); ours warns and extends
the end polynomials (:meth:`BSplineFreeEnergy.evaluate`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pf_app.bspline.evaluate import BSplineFreeEnergy
from pf_app.config import ConfigError

REFERENCE = "mechanoChem/mechanoChemIGA, initBounValProbs/CahnHilliard_AllenCahn/2D_bsplines_B2 (Cpts.txt, knots.txt)"


def _read(path: Path) -> tuple[tuple[int, int, int], np.ndarray]:
    """The header ``# p m n`` and every number after it (whitespace separated, any line breaks)."""
    if not path.is_file():
        raise ConfigError(path, "<file>", f"an existing mechanoChemIGA {path.name}", str(path))
    text = path.read_text()
    first, _, rest = text.partition("\n")
    fields = first.lstrip("#").split() if first.startswith("#") else []
    try:
        header = tuple(int(v) for v in fields)
    except ValueError:
        header = ()
    if len(header) != 3 or min(header) < 0:
        raise ConfigError(path, "line 1", "a header '# p m n' (degree and two counts)", first.strip())
    try:
        values = np.array(rest.split(), dtype=float)
    except ValueError as exc:
        raise ConfigError(path, "values", "numbers after the header", str(exc)) from None
    if not np.all(np.isfinite(values)):
        raise ConfigError(path, "values", "finite numbers", "nan or inf")
    return header, values


def _clamped(t: np.ndarray, p: int) -> bool:
    return bool(np.all(t[: p + 1] == t[0]) and np.all(t[-p - 1:] == t[-1]) and t[0] < t[-1])


def load_mechanochem_bspline(directory: str | Path) -> BSplineFreeEnergy:
    """Read ``Cpts.txt`` and ``knots.txt`` from ``directory``: g(c, eta) = S(c, eta^2) in eV per site.

    Anything the authors' reader would misread is refused with a :class:`ConfigError` naming the
    file: a header that is not ``# p m n``, a degree outside 1..5, headers that disagree, a count of
    numbers other than the header's, knots that decrease or are not clamped.
    """
    directory = Path(directory)
    knots_file, cpts_file = directory / "knots.txt", directory / "Cpts.txt"
    (p, m, n), knots = _read(knots_file)
    if not 1 <= p <= 5:
        raise ConfigError(knots_file, "line 1", "a degree p from 1 to 5 in '# p m n'", p)
    if len(knots) != m + n:
        raise ConfigError(knots_file, "values", f"m + n = {m + n} knots after '# {p} {m} {n}'", len(knots))
    for name, t in (("c", knots[:m]), ("eta^2", knots[m:])):
        if len(t) < 2 * p + 2 or np.any(np.diff(t) < 0) or not _clamped(t, p):
            raise ConfigError(knots_file, f"knots of {name}",
                              f"a non-decreasing clamped vector (first and last knot repeated {p + 1} times, "
                              f"at least {2 * p + 2} knots)", t.tolist())
    (p_c, rows, cols), cpts = _read(cpts_file)
    shape = (m - p - 1, n - p - 1)
    if (p_c, rows, cols) != (p, *shape):
        raise ConfigError(cpts_file, "line 1", f"'# {p} {shape[0]} {shape[1]}' to match {knots_file.name}",
                          f"# {p_c} {rows} {cols}")
    if len(cpts) != rows * cols:
        raise ConfigError(cpts_file, "values", f"{rows} x {cols} = {rows * cols} control points", len(cpts))
    provenance = {"source": str(directory), "format": "mechanoChemIGA Cpts.txt + knots.txt", "reference": REFERENCE}
    return BSplineFreeEnergy(knots[:m], knots[m:], cpts.reshape(rows, cols), p, "eV (per site, as published)",
                             provenance)


def write_mechanochem_bspline(spline: BSplineFreeEnergy, directory: str | Path) -> None:
    """Write ``spline`` as mechanoChemIGA's two files (17 significant digits: numbers read back exactly)."""
    from pf_app.atomic_files import write_text_atomic

    directory = Path(directory)
    p, a = spline.degree, np.asarray(spline.coefficients, float)
    row = lambda v: " ".join(f"{x:.17g}" for x in v)
    write_text_atomic(directory / "knots.txt", f"# {p} {len(spline.knots_c)} {len(spline.knots_v)}\n"
                      f"{row(spline.knots_c)}\n{row(spline.knots_v)}\n")
    write_text_atomic(directory / "Cpts.txt", f"# {p} {a.shape[0]} {a.shape[1]}\n" + "".join(row(r) + "\n" for r in a))
