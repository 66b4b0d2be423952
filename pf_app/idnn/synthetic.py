"""Exact derivative data from a known free energy (tests, benchmarks, examples).

``free_energy(x, order=1)`` is any evaluator with the interface of
:meth:`pf_app.idnn.weights.IDNNWeights.evaluate` (returns g, dg/dx).  The known free energies here
carry the names of their order parameters (``landau_b2.order_parameters``).
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
    """A :class:`pf_app.mu_table.MuTable` of mu = dg/dx at ``x``, plus a column ``g`` of the values
    (a free energy with ``temperature_dependent = True`` is evaluated at ``temperature``)."""
    g, grad = free_energy(x, 1, kT=temperature) if getattr(free_energy, "temperature_dependent", False) \
        else free_energy(x, 1)
    cols = {"kT": np.broadcast_to(np.asarray(temperature, float), (len(x),)).copy()}
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


landau_b2.order_parameters = ("c", "eta")

def mean_field_b2(x: np.ndarray, order: int = 1, kT: float = 0.09):
    """The Bragg-Williams free energy of the nearest-neighbour B2 model with a temperature-dependent
    interaction (eV per site; g(c, eta; kT); at x = 1/2 it orders below kT_c = 8 V(kT_c) = 0.16/1.08 =
    0.1481 eV)::

        g = 4 V(kT) m1 m2 + (kT/2) sum_s [x_s ln x_s + (1 - x_s) ln(1 - x_s)],
        V(kT) = 0.02 (1 - 0.5 kT),  m_s = 2 x_s - 1,  x_1,2 = (c +- eta)/sqrt2.
    """
    from pf_app.idnn.baseline import IdealMixing
    from pf_app.montecarlo.standard_models import B2_MAP

    x = np.atleast_2d(np.asarray(x, float))
    V = 0.02 * (1.0 - 0.5 * np.asarray(kT, float))
    r2 = math.sqrt(2.0)
    m1, m2 = r2 * (x[:, 0] + x[:, 1]) - 1.0, r2 * (x[:, 0] - x[:, 1]) - 1.0
    ideal = IdealMixing.from_order_parameter_map(None, B2_MAP.Q).evaluate(x, order, kT)
    g = 4 * V * m1 * m2 + (ideal if order == 0 else ideal[0])
    if order == 0:
        return g
    grad = 4 * r2 * np.column_stack([V * (m1 + m2), V * (m2 - m1)]) + ideal[1]
    if order == 1:
        return g, grad
    hess = np.zeros((len(x), 2, 2))
    hess[:, 0, 0], hess[:, 1, 1] = 16 * V, -16 * V  # V: a number or one per row
    return g, grad, hess + ideal[2]


mean_field_b2.order_parameters = ("c", "eta")
mean_field_b2.temperature_dependent = True

L12 = {"a": 2.0, "b": 0.2, "c": -11.0, "d": 2.5, "e": 3.75, "f": -2.0, "x0": 0.25}  # landau_l12's coefficients


def landau_l12(x: np.ndarray, order: int = 1):
    """A Landau polynomial on the FCC 4-sublattice order parameters (x, eta1, eta2, eta3) with the cubic
    symmetry (the 24 permutations and sign changes of pairs of eta1..3; energy per site)::

        g = a dx^2 + b s + c p + d s^2 + e q + f dx s,   dx = x - x0,
        s = eta1^2 + eta2^2 + eta3^2,  p = eta1 eta2 eta3,  q = eta1^2 eta2^2 + eta1^2 eta3^2 + eta2^2 eta3^2

    with :data:`L12`.  At x = x0 = 1/4, along the L1_2 direction eta = t (1, 1, 1):
    g = 0.6 t^2 - 11 t^3 + 33.75 t^4, a barrier at t = 2/45 and L1_2 wells at t = 0.2 (the fractions
    (0.85, 0.05, 0.05, 0.05) and their permutations) with g = -0.01 below the disordered state.
    """
    x = np.atleast_2d(np.asarray(x, float))
    k = L12
    dx, e = x[:, 0] - k["x0"], x[:, 1:]
    sq = e * e
    s, p = sq.sum(axis=1), e.prod(axis=1)
    q = sq[:, 0] * sq[:, 1] + sq[:, 0] * sq[:, 2] + sq[:, 1] * sq[:, 2]
    g = k["a"] * dx ** 2 + k["b"] * s + k["c"] * p + k["d"] * s ** 2 + k["e"] * q + k["f"] * dx * s
    if order == 0:
        return g
    others = [(1, 2), (0, 2), (0, 1)]  # the other two eta of each eta_i
    dp = np.column_stack([e[:, i] * e[:, j] for i, j in others])
    dq = np.column_stack([2 * e[:, m] * (sq[:, i] + sq[:, j]) for m, (i, j) in enumerate(others)])
    d_eta = (2 * k["b"] + 4 * k["d"] * s + 2 * k["f"] * dx)[:, None] * e + k["c"] * dp + k["e"] * dq
    grad = np.column_stack([2 * k["a"] * dx + k["f"] * s, d_eta])
    if order == 1:
        return g, grad
    raise ValueError("landau_l12 gives g and its gradient (order 0 or 1)")


landau_l12.order_parameters = ("x", "eta1", "eta2", "eta3")


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
