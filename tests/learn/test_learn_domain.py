"""The loop's order-parameter domain built from a map eta = Q x (no TensorFlow): B2 is the old
(c, eta >= 0) triangle, FCC's four order parameters cover the sorted sublattice fractions, and the
wells of a known cubic-symmetric Landau polynomial are found where they are."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pf_app.idnn.synthetic import L12, landau_l12
from pf_app.learn.sampling import GRID, Domain, b2_domain, wells

FCC_Q = np.array([[1, 1, 1, 1], [1, 1, -1, -1], [1, -1, -1, 1], [1, -1, 1, -1]]) / 4
FCC_NAMES = ("x", "eta1", "eta2", "eta3")
ROUND_OFF = 8 * np.finfo(float).eps  # a few roundings of numbers <= 1 (sums of two to four products)


class _Exact:
    def __init__(self, fe):
        self.fe = fe

    def evaluate(self, x, order=0):
        return self.fe(x, order)


def test_b2_domain_is_the_c_eta_triangle_with_eta_nonnegative():
    """c = (x1 + x2)/sqrt2, eta = (x1 - x2)/sqrt2 >= 0 (DESIGN.md), x in [margin, 1 - margin]."""
    dom = b2_domain(0.02)
    u = np.random.default_rng(0).random((2000, 2))
    x1, x2 = 0.02 + 0.96 * u.max(axis=1), 0.02 + 0.96 * u.min(axis=1)
    want = np.column_stack([(x1 + x2) / math.sqrt(2), (x1 - x2) / math.sqrt(2)])
    assert np.abs(dom.from_unit(u) - want).max() <= ROUND_OFF
    c = np.linspace(0.1, 1.3, 13)  # the largest eta at c: min(c - sqrt2 margin, sqrt2 (1 - margin) - c)
    r = np.array([dom.ray_length(ci, dom.directions())[0] for ci in c])
    assert np.abs(r - np.maximum(np.minimum(c - math.sqrt(2) * 0.02, math.sqrt(2) * 0.98 - c), 0)).max() <= ROUND_OFF


def test_fcc_domain_points_are_sorted_fractions_inside_the_margin():
    dom = Domain(FCC_Q, FCC_NAMES, 0.05)
    eta = dom.from_unit(np.random.default_rng(1).random((500, 4)))
    f = dom.fractions(eta)
    assert np.all(f >= 0.05 - ROUND_OFF) and np.all(f <= 0.95 + ROUND_OFF)
    assert np.all(np.diff(f, axis=1) <= ROUND_OFF)  # x1 >= x2 >= x3 >= x4
    # the first three directions are the edges of the sorted region: L1_2 (x = 1/4 kind), L1_0, L1_2 (3/4)
    s3 = 1 / math.sqrt(3)
    assert np.abs(dom.directions()[:3] - [[s3, s3, s3], [1, 0, 0], [s3, -s3, s3]]).max() <= ROUND_OFF
    # every point of a ray lies in the domain, its end on the boundary
    u = dom.directions()
    pts = dom.ray_points(0.3, u, np.linspace(0, 1, 5)).reshape(len(u), 5, 4)
    f_end = dom.fractions(pts[:, -1])
    assert np.all(np.isclose(f_end.min(axis=1), 0.05) | np.isclose(f_end.max(axis=1), 0.95))


def test_wells_of_the_cubic_landau_polynomial_are_its_l12_wells():
    """landau_l12 has its L1_2 wells at eta = 0.2 (1, 1, 1) for x = 1/4; the scan (GRID compositions,
    GRID points per ray) finds the well on the L1_2 line at the composition nearest 1/4, within one ray
    step of the exact minimum there (a 10^5-point scan of the line)."""
    dom = Domain(FCC_Q, FCC_NAMES, 0.02)
    w = wells(_Exact(landau_l12), dom)
    i = int(np.argmin(np.abs(w[:, 0] - L12["x0"])))
    x, t = w[i, 0], w[i, 1:]
    assert abs(x - 0.25) <= np.diff(dom.compositions(GRID))[0] / 2
    assert np.abs(t - t.mean()).max() <= ROUND_OFF  # on the L1_2 line eta1 = eta2 = eta3
    line = np.linspace(0.0, 0.23, 100_001)
    exact = line[np.argmin(landau_l12(np.column_stack([np.full_like(line, x), line, line, line]), 0))]
    step = dom.ray_length(x, dom.directions()[:1])[0] / (GRID - 1) / math.sqrt(3)  # in t = |eta|/sqrt3
    assert abs(exact - 0.2) < 0.01 and abs(t.mean() - exact) <= step, (t.mean(), exact, step)


@pytest.mark.parametrize("bad, why", [(np.eye(4), "composition"),
                                      (np.array([[1, 1], [1, 0]]), "sum to zero"),
                                      (np.ones((2, 3)), "square")])
def test_domain_refuses_maps_without_composition_and_ordering_rows(bad, why):
    with pytest.raises(ValueError, match=why):
        Domain(bad, tuple(f"e{k}" for k in range(len(bad))), 0.02)


def test_learn_config_names_a_bad_order_parameter_map_and_a_mismatched_free_energy(tmp_path):
    import yaml

    from pf_app.config import ConfigError
    from pf_app.learn.config import load_learn_config

    base = {"oracle": {"kind": "exact", "free_energy": "landau_l12"}, "train": {"model": {"features": "cubic"}},
            "order_parameters": {"Q": FCC_Q.tolist(), "names": list(FCC_NAMES)}}
    path = tmp_path / "l.yaml"
    path.write_text(yaml.safe_dump(base))
    assert load_learn_config(path).order_parameters.names == list(FCC_NAMES)
    path.write_text(yaml.safe_dump({**base, "order_parameters": {"Q": np.eye(4).tolist(), "names": list(FCC_NAMES)}}))
    with pytest.raises(ConfigError, match=r"order_parameters\.Q: expected a square invertible matrix.*composition"):
        load_learn_config(path)
    path.write_text(yaml.safe_dump({**base, "oracle": {"kind": "exact", "free_energy": "landau_b2"}}))
    with pytest.raises(ConfigError, match=r"order_parameters\.names: expected the order parameters of landau_b2"):
        load_learn_config(path)
