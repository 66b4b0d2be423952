"""Closed-form elastic fields that the finite-element solutions are tested against.

All for an isotropic body (Young's modulus E, Poisson's ratio nu) with the same constants in the
inclusion and the matrix (Eshelby's homogeneous inclusion problem), small strain, compression
negative.

* Circular inclusion, 2D plane strain (an infinite cylinder: eps_zz = 0): eigenstrain eps0 =
  diag(e, e, e_zz) inside radius a, in a traction-free disk of radius R (R = inf: infinite matrix).
  The in-plane problem is that of the in-plane dilatation e' = e + nu e_zz, and for any radial
  profile e'(r) (Timoshenko & Goodier, Theory of Elasticity, sec. 151, plane-strain thermal stress in
  a solid disk, with alpha T -> e' / (1 + nu)):

      sigma_rr(r) = E / (1 - nu^2) [ (1/R^2) int_0^R e' s ds - (1/r^2) int_0^r e' s ds ]
      sigma_tt(r) = E / (1 - nu^2) [ (1/R^2) int_0^R e' s ds + (1/r^2) int_0^r e' s ds - e'(r) ]

  so inside a uniform core sigma_rr = sigma_tt: uniform in-plane pressure, for the sharp inclusion

      sigma_xx = sigma_yy = -E e' (1 - a^2/R^2) / (2 (1 - nu^2)),   sigma_zz = nu (sigma_xx + sigma_yy) - E e_zz

  (R = inf, e_zz = e: -E e / (2 (1 - nu)), Eshelby's result for a cylinder).
* Spherical inclusion, 3D: eps0 = e I inside radius a of a traction-free ball of radius R (Timoshenko
  & Goodier sec. 153 for a radial profile e(r)):

      sigma_rr(r) = 2 E / (1 - nu) [ (1/R^3) int_0^R e s^2 ds - (1/r^3) int_0^r e s^2 ds ]

  uniform inside the core; for the sharp inclusion sigma = -2 E e (1 - a^3/R^3) / (3 (1 - nu)) I
  (R = inf: Eshelby's 4 mu (1 + nu) e / (3 (1 - nu)) pressure).
* Laminate: layers normal to x with stiffness C_k, eigenstrain eps0_k and volume fractions f_k in a
  periodic body.  Compatibility makes the in-plane strains (yy, zz, yz) equal in every layer and
  equilibrium the tractions (xx, xz, xy); with the mean strain or mean stress of each component
  prescribed, the uniform strain and stress of each layer solve one linear system (:func:`laminate`),
  exact for any anisotropy and contrast.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import quad

from pf_app.elasticity.stiffness import VOIGT

#: Voigt slots of a laminate normal to x: continuous strains (in-plane) and tractions.
_IN_PLANE = (1, 2, 3)   # yy, zz, yz
_TRACTION = (0, 4, 5)   # xx, xz, xy


def disk_interior_stress(E: float, nu: float, misfit: float, radius: float, outer_radius: float = math.inf,
                         misfit_zz: float | None = None) -> tuple[float, float]:
    """(sigma_xx = sigma_yy, sigma_zz) inside a sharp circular inclusion, plane strain (module doc).
    ``misfit_zz`` defaults to ``misfit`` (a dilatational eigenstrain e I)."""
    e_zz = misfit if misfit_zz is None else misfit_zz
    e_eff = misfit + nu * e_zz
    fraction = (radius / outer_radius) ** 2
    s = -E * e_eff * (1.0 - fraction) / (2.0 * (1.0 - nu * nu))
    return s, nu * 2.0 * s - E * e_zz


def disk_radial_stress(E: float, nu: float, profile, r: float, outer_radius: float) -> tuple[float, float]:
    """(sigma_rr, sigma_tt) at radius r > 0 of a traction-free plane-strain disk with the in-plane
    equivalent eigenstrain ``profile(s)`` = e(s) + nu e_zz(s) (module doc), by adaptive quadrature."""
    whole = quad(lambda s: profile(s) * s, 0.0, outer_radius, limit=200)[0] / outer_radius ** 2
    inner = quad(lambda s: profile(s) * s, 0.0, r, limit=200)[0] / r ** 2
    k = E / (1.0 - nu * nu)
    return k * (whole - inner), k * (whole + inner - profile(r))


def sphere_interior_stress(E: float, nu: float, misfit: float, radius: float, outer_radius: float = math.inf) -> float:
    """The uniform pressure-like stress sigma (times I) inside a sharp spherical inclusion (module doc)."""
    return -2.0 * E * misfit * (1.0 - (radius / outer_radius) ** 3) / (3.0 * (1.0 - nu))


def sphere_radial_stress(E: float, nu: float, profile, r: float, outer_radius: float) -> float:
    """sigma_rr at radius r > 0 of a traction-free ball with the dilatational eigenstrain ``profile(s)`` I."""
    whole = quad(lambda s: profile(s) * s * s, 0.0, outer_radius, limit=200)[0] / outer_radius ** 3
    inner = quad(lambda s: profile(s) * s * s, 0.0, r, limit=200)[0] / r ** 3
    return 2.0 * E / (1.0 - nu) * (whole - inner)


def laminate(stiffness: list[np.ndarray], eigenstrain: list[np.ndarray], fractions: list[float],
             mean_strain: dict[str, float] | None = None, mean_stress: dict[str, float] | None = None,
             fixed_strain: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Uniform Voigt strain (engineering shears) and stress of each layer of a laminate normal to x.

    ``stiffness``: 6x6 Voigt matrices; ``eigenstrain``: 3x3 tensors; ``mean_strain``/``mean_stress``:
    prescribed averages per component (tensor components, names as in VOIGT); components in neither
    have zero mean stress.  ``fixed_strain``: components held at a value in *every* layer (plane
    strain: zz, yz, xz = 0), which replaces their compatibility and mean conditions.
    Returns (strain, stress), each of shape (layers, 6)."""
    mean_strain, mean_stress, fixed = dict(mean_strain or {}), dict(mean_stress or {}), dict(fixed_strain or {})
    K = len(stiffness)
    eps0 = [np.array([e[i, j] * (1 if i == j else 2) for i, j in
                      ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))]) for e in eigenstrain]
    n = 6 * K
    rows, rhs = [], []

    def strain_row(k, a, weight=1.0):
        r = np.zeros(n)
        r[6 * k + a] = weight
        return r

    def stress_row(k, a, weight=1.0):  # sigma_k[a] = C_k[a] . (e_k - eps0_k): coefficients and constant
        r = np.zeros(n)
        r[6 * k: 6 * k + 6] = weight * stiffness[k][a]
        return r, weight * float(stiffness[k][a] @ eps0[k])

    shear_factor = [1, 1, 1, 2, 2, 2]  # engineering shear = 2 x tensor shear
    for a, name in enumerate(VOIGT):
        if name in fixed:
            for k in range(K):
                rows.append(strain_row(k, a))
                rhs.append(shear_factor[a] * fixed[name])
            continue
        for k in range(K - 1):  # continuity between neighbouring layers
            if a in _IN_PLANE:
                rows.append(strain_row(k, a) - strain_row(k + 1, a))
                rhs.append(0.0)
            else:
                (r0, c0), (r1, c1) = stress_row(k, a), stress_row(k + 1, a)
                rows.append(r0 - r1)
                rhs.append(c0 - c1)
        if name in mean_strain:
            rows.append(sum(strain_row(k, a, fractions[k]) for k in range(K)))
            rhs.append(shear_factor[a] * mean_strain[name])
        else:
            parts = [stress_row(k, a, fractions[k]) for k in range(K)]
            rows.append(sum(p[0] for p in parts))
            rhs.append(mean_stress.get(name, 0.0) + sum(p[1] for p in parts))
    strain = np.linalg.solve(np.array(rows), np.array(rhs)).reshape(K, 6)
    stress = np.stack([stiffness[k] @ (strain[k] - eps0[k]) for k in range(K)])
    return strain, stress
