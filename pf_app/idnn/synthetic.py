"""Exact derivative data from a known free energy (tests, benchmarks, examples).

``free_energy(x, order=1)`` is any evaluator with the interface of
:meth:`pf_app.idnn.weights.IDNNWeights.evaluate` (returns g, dg/dx).
"""

from __future__ import annotations

import math

import numpy as np

from pf_app import mu_table


def sample_b2(n: int, seed: int = 0, margin: float = 0.0) -> np.ndarray:
    """``n`` points (c, eta) uniform in the B2 domain |eta| <= min(c, sqrt2 - c) - margin."""
    rng = np.random.default_rng(seed)
    s = math.sqrt(2.0)
    c = rng.uniform(margin, s - margin, n)
    half = np.minimum(c, s - c) - margin
    return np.column_stack([c, rng.uniform(-1.0, 1.0, n) * np.maximum(half, 0.0)])


def derivative_table(free_energy, x: np.ndarray, order_parameters=("c", "eta"), temperature: float = 1.0,
                     provenance: str = "exact derivatives of a known free energy") -> mu_table.MuTable:
    """A :class:`pf_app.mu_table.MuTable` of mu = dg/dx at ``x``, plus a column ``g`` of the values."""
    g, grad = free_energy(x, 1)
    cols = {"kT": np.full(len(x), temperature)}
    cols.update({n: x[:, k] for k, n in enumerate(order_parameters)})
    cols.update({f"mu_{n}": grad[:, k] for k, n in enumerate(order_parameters)})
    cols["g"] = g
    return mu_table.MuTable(tuple(order_parameters), cols, {"energy_unit": "eV", "per_site": "true",
                                                          "provenance": provenance})


def landau_b2(x: np.ndarray, order: int = 1):
    """A Landau polynomial with B2 symmetry (eV per site), minima near eta = +-0.45 at c = 1/sqrt2::

        g = 2 (c - c0)^2 - 0.8 eta^2 + 2 eta^4 + 1.5 (c - c0) eta^2,   c0 = 1/sqrt2
    """
    x = np.atleast_2d(np.asarray(x, float))
    dc, e = x[:, 0] - 1.0 / math.sqrt(2.0), x[:, 1]
    g = 2 * dc ** 2 - 0.8 * e ** 2 + 2 * e ** 4 + 1.5 * dc * e ** 2
    grad = np.column_stack([4 * dc + 1.5 * e ** 2, -1.6 * e + 8 * e ** 3 + 3 * dc * e])
    if order == 0:
        return g
    if order == 1:
        return g, grad
    hess = np.empty((len(x), 2, 2))
    hess[:, 0, 0] = 4.0
    hess[:, 0, 1] = hess[:, 1, 0] = 3 * e
    hess[:, 1, 1] = -1.6 + 24 * e ** 2 + 3 * dc
    return g, grad, hess


def main(argv: list[str] | None = None) -> None:
    """``python -m pf_app.idnn.synthetic OUT.csv [--points N] [--published DIR]``: write an example table."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m pf_app.idnn.synthetic", description=main.__doc__)
    ap.add_argument("output", help="table to write (.csv or .h5)")
    ap.add_argument("--points", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--published", metavar="DIR",
                    help="mechanoChemIGA weights folder (e.g. ../shared/data/mechanoChemIGA_B2_IDNN); "
                         "default: the Landau polynomial landau_b2")
    args = ap.parse_args(argv)
    if args.published:
        from pf_app.idnn.mechanochem import load_mechanochem

        truth, what = load_mechanochem(args.published).evaluate, f"published B2 IDNN {args.published}"
    else:
        truth, what = landau_b2, "Landau polynomial pf_app.idnn.synthetic.landau_b2"
    table = derivative_table(truth, sample_b2(args.points, args.seed), provenance=f"exact derivatives of the {what}")
    mu_table.write(table, args.output)


if __name__ == "__main__":
    main()
