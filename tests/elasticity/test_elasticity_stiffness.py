"""Stiffness matrices by symmetry class, their rotation (Bunge convention) and the elasticity block's
one-line configuration errors (numpy only, no DOLFINx)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pf_app.config import ConfigError, build
from pf_app.elasticity import stiffness as st
from pf_app.elasticity.config import ElasticityConfig, check_against

# Rotating a tensor is 4 products of 3x3 matrices, each entry a sum of 3 terms, on a 81-term sum:
# rounding stays below 81 * 4 * 3 eps of the largest entry; 1e-12 is ~10x that.
ROTATION_ROUNDING = 1e-12


def test_isotropic_stiffness_is_invariant_under_any_rotation():
    C = st.isotropic(210.0, 0.29)
    for angles in ((37.0, 61.0, 113.0), (0.0, 90.0, 0.0), (250.0, 15.0, -40.0)):
        np.testing.assert_allclose(st.rotate(C, st.euler_bunge(*angles)), C, atol=ROTATION_ROUNDING * C.max())


def test_cubic_rotated_45_degrees_about_z_has_the_textbook_constants():
    """[110] along x: C11' = (C11 + C12)/2 + C44, C12' = (C11 + C12)/2 - C44, C66' = (C11 - C12)/2, and the
    constants involving z unchanged (Nye, Physical Properties of Crystals, ch. VIII)."""
    C11, C12, C44 = 250.0, 150.0, 100.0
    R = st.rotate(st.cubic(C11, C12, C44), st.euler_bunge(45.0, 0.0, 0.0))
    tol = ROTATION_ROUNDING * C11
    assert R[0, 0] == pytest.approx((C11 + C12) / 2 + C44, abs=tol)
    assert R[1, 1] == pytest.approx((C11 + C12) / 2 + C44, abs=tol)
    assert R[0, 1] == pytest.approx((C11 + C12) / 2 - C44, abs=tol)
    assert R[5, 5] == pytest.approx((C11 - C12) / 2, abs=tol)
    assert R[2, 2] == pytest.approx(C11, abs=tol) and R[0, 2] == pytest.approx(C12, abs=tol)
    assert R[3, 3] == pytest.approx(C44, abs=tol) and R[4, 4] == pytest.approx(C44, abs=tol)
    assert abs(R[0, 5]) < tol  # no normal-shear coupling for a 45 degree turn of a cubic crystal


def test_bunge_angles_give_the_transpose_of_the_textbook_orientation_matrix():
    """g(phi1, Phi, phi2) of Bunge (Texture Analysis in Materials Science, eq. 2.39) maps sample to crystal
    coordinates; our R maps crystal to lab, so R = g^T, and phi1 = 90 turns crystal [100] onto lab y."""
    for p1, P, p2 in ((10.0, 20.0, 30.0), (200.0, 75.0, 310.0)):
        c1, s1, c2, s2 = math.cos(math.radians(p1)), math.sin(math.radians(p1)), math.cos(math.radians(p2)), math.sin(math.radians(p2))
        C, S = math.cos(math.radians(P)), math.sin(math.radians(P))
        g = np.array([[c1 * c2 - s1 * s2 * C, s1 * c2 + c1 * s2 * C, s2 * S],
                      [-c1 * s2 - s1 * c2 * C, -s1 * s2 + c1 * c2 * C, c2 * S],
                      [s1 * S, -c1 * S, C]])
        np.testing.assert_allclose(st.euler_bunge(p1, P, p2), g.T, atol=1e-15)
    np.testing.assert_allclose(st.euler_bunge(90.0, 0.0, 0.0) @ [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], atol=1e-15)


def test_voigt_kind_equals_cubic_kind_and_a_rotation_matrix_equals_its_euler_angles():
    cubic = {"kind": "cubic", "C11": 250.0, "C12": 150.0, "C44": 100.0, "euler_bunge_deg": [30.0, 20.0, 10.0]}
    matrix = {"kind": "voigt", "matrix": st.cubic(250.0, 150.0, 100.0).tolist(),
              "rotation": st.euler_bunge(30.0, 20.0, 10.0).tolist()}
    a, b = (build(ElasticityConfig, {"stiffness": [p]}).stiffness[0].voigt() for p in (cubic, matrix))
    np.testing.assert_allclose(a, b, atol=ROTATION_ROUNDING * 250.0)


def _block(**changes):
    block = {"stiffness": [{"kind": "isotropic", "E": 100.0, "nu": 0.3}], "eigenstrain": {"xx": "0.01*c"}}
    block.update(changes)
    return block


@pytest.mark.parametrize("block, key", [
    (_block(stiffness=[{"kind": "cubic", "C11": 100.0, "C12": 150.0, "C44": 50.0}]), "elasticity.stiffness[0].C11"),
    (_block(stiffness=[{"kind": "isotropic", "E": 100.0, "nu": 0.5}]), "elasticity.stiffness[0].nu"),
    (_block(stiffness=[{"kind": "isotropic", "E": 100.0}]), "elasticity.stiffness[0].nu"),
    (_block(stiffness=[{"kind": "voigt", "matrix": (np.eye(6) + np.triu(np.ones((6, 6)), 1)).tolist()}]),
     "elasticity.stiffness[0].matrix"),
    (_block(stiffness=[{"kind": "cubic", "C11": 2.0, "C12": 1.0, "C44": 1.0,
                        "rotation": [[1.0, 0.1, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]}]), "elasticity.stiffness[0].rotation"),
    (_block(stiffness=[{"kind": "isotropic", "E": 1.0, "nu": 0.2}, {"kind": "isotropic", "E": 2.0, "nu": 0.2, "weight": "c"}]),
     "elasticity.stiffness[0].weight"),
    (_block(eigenstrain={"yx": "c"}), "elasticity.eigenstrain.yx"),
    (_block(boundary={"kind": "traction_free", "mean_strain": {"xx": 0.01}}), "elasticity.boundary.mean_strain"),
    (_block(boundary={"kind": "periodic", "mean_strain": {"xx": 0.01}, "mean_stress": {"xx": 1.0}}),
     "elasticity.boundary.mean_stress.xx"),
    (_block(boundary={"kind": "displacement"}), "elasticity.boundary.displacement"),
])
def test_unphysical_or_inconsistent_blocks_are_one_line_errors_naming_the_key(block, key):
    with pytest.raises(ConfigError) as err:
        build(ElasticityConfig, {"elasticity": block}["elasticity"], file="case.yaml", key="elasticity")
    assert str(err.value).startswith(f"case.yaml: {key}: expected") and "\n" not in str(err.value)


@pytest.mark.parametrize("block, key", [
    (_block(eigenstrain={"xx": "0.01*(c - c0)"}), "elasticity.eigenstrain.xx"),          # c0 not a parameter
    (_block(eigenstrain={"yz": "0.01*c"}), "elasticity.eigenstrain.yz"),               # out-of-plane shear in 2D
    (_block(boundary={"kind": "displacement", "displacement": [{"boundary": "zmin", "x": 0.0}]}),
     "elasticity.boundary.displacement[0].boundary"),
    (_block(boundary={"kind": "displacement", "displacement": [{"boundary": "xmin", "z": 0.0}]}),
     "elasticity.boundary.displacement[0].z"),
    (_block(boundary={"kind": "periodic", "mean_stress": {"yz": 1.0}}), "elasticity.boundary.mean_stress.yz"),
])
def test_checks_against_a_2d_case_name_the_key(block, key):
    cfg = build(ElasticityConfig, block, file="case.yaml", key="elasticity")
    with pytest.raises(ConfigError) as err:
        check_against(cfg, ("c", "eta"), 2, file="case.yaml")
    assert str(err.value).startswith(f"case.yaml: {key}: expected")
