"""Elastic stiffness matrices in Voigt notation: by symmetry class, rotated, checked, interpolated.

Voigt order (xx, yy, zz, yz, xz, xy) = (1, 2, 3, 4, 5, 6): the stress vector holds the tensor
components s = (s_xx, s_yy, s_zz, s_yz, s_xz, s_xy), the strain vector the *engineering* shears
e = (e_xx, e_yy, e_zz, 2 e_yz, 2 e_xz, 2 e_xy), so that s = C e and the energy density is
W = 1/2 e . C e.  C is in units of energy per volume (the same unit as the free-energy density it
is added to; docs/elasticity.md).

Orientation: a rotation matrix R whose columns are the crystal axes [100], [010], [001] written in
the lab (mesh) frame, v_lab = R v_crystal, so C_lab_ijkl = R_ip R_jq R_kr R_ls C_crystal_pqrs.  Bunge
Euler angles (phi1, Phi, phi2) in degrees give R = Rz(phi1) Rx(Phi) Rz(phi2) (active rotations about
the lab axes), the transpose of Bunge's sample-to-crystal matrix g.

Several phases: C(c, eta) = sum_p w_p(c, eta) C_p with weights w_p that are formulas in the
phase-field variables (:class:`InterpolatedStiffness`), e.g. w = 1 - h(eta), h(eta) for a matrix
and a precipitate.
"""

from __future__ import annotations

import math

import numpy as np

from pf_app.formula import Formula

VOIGT = ("xx", "yy", "zz", "yz", "xz", "xy")
#: tensor indices (i, j) of each Voigt slot
VOIGT_PAIRS = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


class StiffnessError(ValueError):
    """A stiffness or orientation that is not physical (the config reports it as one line)."""


def isotropic(E: float, nu: float) -> np.ndarray:
    """Young's modulus E (energy per volume) and Poisson's ratio nu: lambda, mu Lame constants."""
    lam = E * nu / ((1.0 + nu) * (1.0 - 2.0 * nu))
    mu = E / (2.0 * (1.0 + nu))
    return cubic(lam + 2.0 * mu, lam, mu)


def cubic(C11: float, C12: float, C44: float) -> np.ndarray:
    """Cubic crystal in its own axes (Zener ratio A = 2 C44 / (C11 - C12); A = 1 is isotropic)."""
    C = np.zeros((6, 6))
    C[:3, :3] = C12
    C[range(3), range(3)] = C11
    C[range(3, 6), range(3, 6)] = C44
    return C


def to_tensor(C6: np.ndarray) -> np.ndarray:
    """The 3x3x3x3 tensor with minor and major symmetries of a 6x6 Voigt matrix."""
    C = np.empty((3, 3, 3, 3))
    for a, (i, j) in enumerate(VOIGT_PAIRS):
        for b, (k, l) in enumerate(VOIGT_PAIRS):
            for p, q in {(i, j), (j, i)}:
                for r, s in {(k, l), (l, k)}:
                    C[p, q, r, s] = C6[a, b]
    return C


def to_voigt(C: np.ndarray) -> np.ndarray:
    return np.array([[C[i, j, k, l] for (k, l) in VOIGT_PAIRS] for (i, j) in VOIGT_PAIRS])


def rotate(C6: np.ndarray, R: np.ndarray) -> np.ndarray:
    """C in the lab frame from C in the crystal frame (module doc: R's columns are the crystal axes)."""
    return to_voigt(np.einsum("ip,jq,kr,ls,pqrs->ijkl", R, R, R, R, to_tensor(C6)))


def _axis_rotation(axis: int, degrees: float) -> np.ndarray:
    t = math.radians(degrees)
    c, s = math.cos(t), math.sin(t)
    i, j = [k for k in range(3) if k != axis]
    R = np.eye(3)
    R[i, i], R[i, j], R[j, i], R[j, j] = c, -s, s, c
    return R


def euler_bunge(phi1: float, Phi: float, phi2: float) -> np.ndarray:
    """R = Rz(phi1) Rx(Phi) Rz(phi2) from Bunge angles in degrees (module doc)."""
    return _axis_rotation(2, phi1) @ _axis_rotation(0, Phi) @ _axis_rotation(2, phi2)


def check_rotation(R: np.ndarray) -> None:
    """A proper rotation: R^T R = I and det R = +1, to 1e-8 (rows typed to ~9 digits pass)."""
    R = np.asarray(R, float)
    if R.shape != (3, 3):
        raise StiffnessError(f"a 3x3 matrix, got shape {R.shape}")
    deviation = float(np.max(np.abs(R.T @ R - np.eye(3))))
    if deviation > 1e-8 or np.linalg.det(R) < 0:
        raise StiffnessError(f"a proper rotation (R^T R = I, det +1), got |R^T R - I| = {deviation:.2g}, "
                             f"det {np.linalg.det(R):.6g}")


def check_stiffness(C6: np.ndarray) -> None:
    """Symmetric (to 1e-10 of its largest entry: rounding of typed decimals) and positive definite
    (every eigenvalue > 1e-12 of the largest: a zero mode is an unphysical free deformation)."""
    C6 = np.asarray(C6, float)
    if C6.shape != (6, 6):
        raise StiffnessError(f"a 6x6 matrix, got shape {C6.shape}")
    scale = float(np.max(np.abs(C6)))
    if not np.all(np.isfinite(C6)) or scale == 0:
        raise StiffnessError("finite entries, not all zero")
    asym = float(np.max(np.abs(C6 - C6.T)))
    if asym > 1e-10 * scale:
        raise StiffnessError(f"a symmetric matrix, got max |C - C^T| = {asym:.3g}")
    eig = np.linalg.eigvalsh(0.5 * (C6 + C6.T))
    if eig[0] <= 1e-12 * eig[-1]:
        raise StiffnessError(f"a positive-definite matrix, got smallest eigenvalue {eig[0]:.4g}")


class InterpolatedStiffness:
    """C(x) = sum_p w_p(x) C_p, x = (c, eta_1, ...): one Voigt matrix and one weight formula per phase.

    ``ufl_weights``/``ufl_weight_gradients`` give the weights and their exact derivatives (the
    elastic driving force needs dC/dx_k = sum_p dw_p/dx_k C_p); ``numpy`` gives C row by row."""

    def __init__(self, matrices: list[np.ndarray], weights: list[Formula]):
        if len(matrices) != len(weights) or not matrices:
            raise ValueError("one weight formula per stiffness matrix, at least one")
        self.matrices = [np.asarray(C, float) for C in matrices]
        self.weights = list(weights)
        self.variables = weights[0].variables

    def ufl_weights(self, fields) -> list:
        return [w.ufl(fields) for w in self.weights]

    def ufl_weight_gradients(self, fields) -> list[list]:
        """[phase][variable] -> dw_p/dx_k as UFL."""
        return [w.ufl_gradient(fields) for w in self.weights]

    def numpy(self, x: np.ndarray) -> np.ndarray:
        """C at each row of x, shape (rows, 6, 6)."""
        w = np.stack([f.numpy(x, order=0) for f in self.weights], axis=1)
        return np.einsum("np,pab->nab", w, np.stack(self.matrices))
