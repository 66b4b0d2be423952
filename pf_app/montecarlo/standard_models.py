"""Ready-made lattices and order-parameter maps (the same objects the input files describe):

* BCC conventional cell (a = 1) with its two sites and the B2 map c = (x1 + x2)/sqrt2,
  eta = (x1 - x2)/sqrt2 (inputs/mc_b2_*.yaml);
* FCC primitive cell (a = 1) with the 4-sublattice map of its cubic cell,
  eta = 1/4 [[1,1,1,1],[1,1,-1,-1],[1,-1,-1,1],[1,-1,1,-1]] x (inputs/mc_fcc_*.yaml).

Used by tests, benchmarks and data scripts; a user's own lattice comes from the YAML sections.
"""

from __future__ import annotations

import math

import numpy as np

from pf_app.montecarlo.clusters import ClusterSpace
from pf_app.montecarlo.hamiltonian import ClusterExpansion
from pf_app.montecarlo.lattice import Lattice
from pf_app.montecarlo.model import SamplerModel
from pf_app.montecarlo.order_parameters import OrderParameterMap

SQRT2 = math.sqrt(2.0)
BCC = Lattice(np.eye(3), [[0, 0, 0], [0.5, 0.5, 0.5]], [("A", "B")] * 2)
FCC = Lattice([[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]], [[0, 0, 0]], [("A", "B")])
FCC_CUBIC_CELL = [[-1, 1, 1], [1, -1, 1], [1, 1, -1]]  # the conventional cubic cell on the primitive one
B2_MAP = OrderParameterMap(np.eye(3), np.array([[1, 1], [1, -1]]) / SQRT2, ("c", "eta"))
FCC_MAP = OrderParameterMap(FCC_CUBIC_CELL, np.array([[1, 1, 1, 1], [1, 1, -1, -1], [1, -1, -1, 1],
                                                      [1, -1, 1, -1]]) / 4, ("x", "eta1", "eta2", "eta3"))


def expansion(lattice: Lattice, cutoffs, ecis_by_order: dict[int, list[float]], v0: float = 0.0,
              energy_unit: str = "V_NN") -> ClusterExpansion:
    """A cluster expansion with ECIs per order in orbit order (missing = 0; ``v0`` per site)."""
    space = ClusterSpace(lattice, tuple(cutoffs))
    ecis = [0.0] * len(space.orbits)
    ecis[0] = v0
    for order, values in ecis_by_order.items():
        for i, v in zip(space.orbits_of_order(order), values):
            ecis[i] = v
    return ClusterExpansion(space, tuple(ecis), energy_unit)


def b2_model(pairs=(1.0,), triplet=0.0, point=0.0, v0=0.0, repeats=(4, 4, 4), energy_unit="V_NN") -> SamplerModel:
    """BCC with pairs V_1..V_3 (shells at a sqrt3/2, a, a sqrt2) and the (1NN, 1NN, 2NN) triplet, B2 map."""
    ce = expansion(BCC, (1.5, 1.0), {1: [point], 2: list(pairs), 3: [triplet]}, v0, energy_unit)
    return SamplerModel(ce, B2_MAP, tuple(repeats))


def fcc_model(ecis_by_order: dict[int, list[float]], cutoffs=(1.25, 0.75, 0.75), repeats=(3, 3, 3),
              order_map: OrderParameterMap = FCC_MAP) -> SamplerModel:
    """FCC (a = 1; pair shells at 0.707, 1, 1.225) on the 4-sublattice map, ``repeats`` cubic cells."""
    return SamplerModel(expansion(FCC, cutoffs, ecis_by_order), order_map, tuple(repeats))
