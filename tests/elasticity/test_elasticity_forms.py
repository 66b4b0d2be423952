"""The UFL law against independent numbers: the stress is dW/d eps, the elastic driving forces are
dW/dx at fixed displacement (central differences of W), and the stress equals C(x) (eps - eps0(x))
computed in numpy from the same formulas (pf_app.elasticity.stiffness/eigenstrain twins)."""

from __future__ import annotations

import numpy as np
import pytest
import ufl
from mpi4py import MPI

import dolfinx
from dolfinx import fem

from pf_app.config import build
from pf_app.elasticity.config import ElasticityConfig, build_law
from pf_app.elasticity.stiffness import VOIGT_PAIRS, to_tensor

VARIABLES = ("c", "eta1", "eta2")
STATE = np.array([0.45, 0.3, -0.2])
STRAIN = np.array([[0.004, 0.002, -0.001], [0.002, -0.003, 0.0015], [-0.001, 0.0015, 0.002]])
# Two phases with field-dependent weights and every eigenstrain component a nonlinear formula, so that
# each term of the driving force (-sigma : d eps0/dx and 1/2 e : dC/dx : e) is exercised.
BLOCK = {
    "parameters": {"d": 0.01},
    "eigenstrain": {"xx": "d*(c - 0.4) + 2*d*eta1^2", "yy": "d*(c - 0.4) - d*eta2^2", "zz": "0.5*d*c*eta1",
                    "yz": "0.2*d*tanh(eta2)", "xz": "0.1*d*c^2", "xy": "0.3*d*eta1*eta2"},
    "stiffness": [{"kind": "cubic", "C11": 250.0, "C12": 150.0, "C44": 100.0, "euler_bunge_deg": [30.0, 20.0, 10.0],
                   "weight": "0.5*(1 + tanh(3*eta1))"},
                  {"kind": "isotropic", "E": 120.0, "nu": 0.28, "weight": "exp(-c)*(1 - eta2^2)"}],
}


@pytest.fixture(scope="module")
def evaluator():
    """W, dW/dx, sigma (Voigt) as one compiled expression of Constants, re-evaluated after changing them."""
    mesh = dolfinx.mesh.create_unit_square(MPI.COMM_SELF, 1, 1)
    law = build_law(build(ElasticityConfig, BLOCK), VARIABLES, 3)
    fields = [fem.Constant(mesh, float(v)) for v in STATE]
    strain = fem.Constant(mesh, STRAIN.copy())
    sigma = law.stress(strain, fields)
    values = ufl.as_vector([law.energy_density(strain, fields), *law.driving_forces(strain, fields),
                            *(sigma[i, j] for i, j in VOIGT_PAIRS)])
    expr = fem.Expression(values, np.array([[1 / 3, 1 / 3]]))

    def evaluate(state, total_strain):
        for f, v in zip(fields, state):
            f.value = v
        strain.value[:] = total_strain
        out = expr.eval(mesh, np.array([0], dtype=np.int32))[0, 0]
        return out[0], out[1:4], out[4:]

    return law, evaluate


def test_driving_forces_are_the_derivatives_of_the_energy_density_at_fixed_strain(evaluator):
    """Central differences with step h = 1e-5 err by h^2/6 |W'''| + eps |W| / h: the formulas vary on a
    scale of ~1/3 in x (tanh(3 eta1)), so |W'''| <~ 27 * 5 |W| and the error is < 1e-8 |W|, with |W| ~ 2e-3
    and the forces ~1e-2: a relative tolerance of 1e-6 on the forces holds with a margin of 100."""
    _, evaluate = evaluator
    W, forces, _ = evaluate(STATE, STRAIN)
    h = 1e-5
    for k in range(3):
        step = np.eye(3)[k] * h
        fd = (evaluate(STATE + step, STRAIN)[0] - evaluate(STATE - step, STRAIN)[0]) / (2 * h)
        assert abs(fd - forces[k]) <= 1e-6 * np.max(np.abs(forces)), (k, fd, forces[k])
    assert W > 0


def test_stress_is_the_derivative_of_the_energy_density_with_respect_to_strain(evaluator):
    """W is quadratic in the strain, so central differences are exact up to rounding eps |W| / h
    (h = 1e-6: 4e-13 against stresses ~1)."""
    _, evaluate = evaluator
    _, _, sigma = evaluate(STATE, STRAIN)
    h = 1e-6
    for a, (i, j) in enumerate(VOIGT_PAIRS):
        step = np.zeros((3, 3))
        step[i, j] = step[j, i] = h / (1 if i == j else 2)  # tensor shear h/2 = engineering shear h
        fd = (evaluate(STATE, STRAIN + step)[0] - evaluate(STATE, STRAIN - step)[0]) / (2 * h)
        assert abs(fd - sigma[a]) <= 1e-8 * np.max(np.abs(sigma)), (a, fd, sigma[a])


def test_ufl_stress_equals_the_numpy_twin_of_stiffness_and_eigenstrain(evaluator):
    """sigma_ij = C_ijkl(x) (eps - eps0(x))_kl with C from the Voigt matrices and weights in numpy: equal
    to rounding (sums of ~100 terms of size |C| |e|: 1e-12 relative)."""
    law, evaluate = evaluator
    _, _, sigma = evaluate(STATE, STRAIN)
    eps0, _ = law.eigenstrain.numpy(STATE[None, :])
    C = law.stiffness.numpy(STATE[None, :])[0]
    expected = np.einsum("ijkl,kl->ij", to_tensor(C), STRAIN - eps0[0])
    np.testing.assert_allclose(sigma, [expected[i, j] for i, j in VOIGT_PAIRS], atol=1e-12 * np.max(np.abs(expected)))
