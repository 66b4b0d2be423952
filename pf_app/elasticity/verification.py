"""Eshelby's inclusion problems solved with :class:`MechanicalSolver` and compared with the closed forms
of :mod:`pf_app.elasticity.analytic` (called by tests/elasticity and benchmarks/elasticity.py).

The inclusion is a composition field c (1 inside, 0 outside) and the eigenstrain the Vegard-like
``misfit*c`` on the diagonal, so the check runs through the same formula, stiffness and solver path
as a phase-field case.  ``width`` = 0: a sharp inclusion, c piecewise constant per cell (the meshes
resolve the interface: meshes/eshelby_meshes.py); ``width`` > 0: the smeared phase-field profile
c = (1 - tanh((r - a)/width))/2 interpolated into P1, compared with the exact stress of that profile.
The measured value is the mean stress over the core: the cells whose midpoint has r < a/2.
The laminate (:func:`laminate`) is exact in the finite-element space (tests/elasticity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from mpi4py import MPI

import dolfinx
from dolfinx import fem

from pf_app.config import build
from pf_app.elasticity import analytic
from pf_app.elasticity.config import ElasticityConfig, build_law
from pf_app.elasticity.solver import CellStress, MechanicalSolver

MESHES = Path(__file__).resolve().parents[2] / "meshes"
#: the geometry of the shipped meshes (meshes/eshelby_meshes.py)
DISK = {"file": MESHES / "eshelby_disk.xdmf", "radius": 1.0, "inclusion": 0.3, "h_inside": 0.02}
BALL_OCTANT = {"file": MESHES / "eshelby_ball_octant.xdmf", "radius": 1.0, "inclusion": 0.4, "h_inside": 0.07}


@dataclass(frozen=True)
class InclusionResult:
    measured: np.ndarray   # core-mean stress, Voigt order (xx, yy, zz, yz, xz, xy)
    exact: np.ndarray      # the closed form, same order
    solver: MechanicalSolver

    @property
    def rel_error(self) -> float:
        """The worst component: |measured - exact| / |exact| where the exact value is nonzero (normal
        stresses), |measured| / max |exact| where it is zero (shears)."""
        scale = np.where(self.exact != 0, np.abs(self.exact), np.max(np.abs(self.exact)))
        return float(np.max(np.abs(self.measured - self.exact) / scale))


def read_mesh(path: Path, comm=MPI.COMM_WORLD) -> dolfinx.mesh.Mesh:
    with dolfinx.io.XDMFFile(comm, str(path), "r") as f:
        return f.read_mesh(name="mesh")


def _composition(mesh, radius: float, width: float) -> fem.Function:
    dim = mesh.topology.dim
    if width == 0:
        c = fem.Function(fem.functionspace(mesh, ("DG", 0)))
        c.interpolate(lambda x: (np.linalg.norm(x[:dim], axis=0) < radius).astype(float))
    else:
        c = fem.Function(fem.functionspace(mesh, ("Lagrange", 1)))
        c.interpolate(lambda x: 0.5 * (1.0 - np.tanh((np.linalg.norm(x[:dim], axis=0) - radius) / width)))
    return c


def _solve(mesh, block: dict, radius: float, width: float) -> tuple[MechanicalSolver, np.ndarray]:
    dim = mesh.topology.dim
    cfg = build(ElasticityConfig, block)
    c = _composition(mesh, radius, width)
    # the integrands are polynomials of degree 2 (degree - 1) + (degree of c): exact with 2 degree
    solver = MechanicalSolver(mesh, cfg, build_law(cfg, ("c",), dim), [c], quadrature_degree=2 * cfg.degree)
    solver.solve()
    n_cells = mesh.topology.index_map(dim).size_local
    midpoints = dolfinx.mesh.compute_midpoints(mesh, dim, np.arange(n_cells, dtype=np.int32))
    return solver, solver.mean_stress(np.linalg.norm(midpoints[:, :dim], axis=1) < radius / 2)


def _block(E, nu, misfit, degree, linear, boundary=None) -> dict:
    block = {"stiffness": [{"kind": "isotropic", "E": E, "nu": nu}], "parameters": {"misfit": misfit},
             "eigenstrain": {k: "misfit*c" for k in ("xx", "yy", "zz")}, "degree": degree,
             "solver": {"linear": linear}}
    if boundary:
        block["boundary"] = boundary
    return block


def circular_inclusion(degree: int = 1, width: float = 0.0, linear: str = "lu", E: float = 100.0, nu: float = 0.3,
                       misfit: float = 0.01, comm=MPI.COMM_WORLD) -> InclusionResult:
    """Plane strain: the dilatational misfit e I (zz included) in a traction-free disk (meshes/eshelby_disk)."""
    a = DISK["inclusion"]
    solver, measured = _solve(read_mesh(DISK["file"], comm), _block(E, nu, misfit, degree, linear), a, width)
    return InclusionResult(measured, _disk_exact(E, nu, misfit, width), solver)


def _disk_exact(E: float, nu: float, misfit: float, width: float) -> np.ndarray:
    """The core stress of the disk's inclusion (Voigt order): sharp, or the smeared profile's at the
    core's mid radius (uniform there to e^-2(a/2)/width)."""
    a, R = DISK["inclusion"], DISK["radius"]
    if width == 0:
        s, s_zz = analytic.disk_interior_stress(E, nu, misfit, a, R)
    else:
        def profile(r):
            return (1.0 + nu) * misfit * 0.5 * (1.0 - math.tanh((r - a) / width))

        s = analytic.disk_radial_stress(E, nu, profile, a / 4, R)[0]
        s_zz = nu * 2.0 * s - E * profile(0.0) / (1.0 + nu)
    return np.array([s, s, s_zz, 0.0, 0.0, 0.0])


def coupled_case(E: float = 100.0, nu: float = 0.3, misfit: float = 0.01, width: float = 0.02,
                 linear: str = "lu") -> dict:
    """The disk's smeared inclusion as a phase-field case (a mapping for :func:`pf_app.config.build`):
    c = (1 - tanh((r - a)/width))/2, no free energy, a mobility (1e-12) so small that c stays put, the
    displacement in the Newton system, traction-free (rigid modes pinned)."""
    return {
        "name": "eshelby_disk", "mesh": {"file": str(DISK["file"])},
        "fields": {"order_parameters": [], "degree": 1},
        "free_energy": {"kind": "formula", "formula": "0"},
        "mobility": {"kind": "constant", "M": 1e-12}, "gradient": {"kappa_c": 1e-3},
        "initial": {"c": {"kind": "formula", "formula": "0.5*(1 - tanh((sqrt(x^2 + y^2) - a)/w))",
                          "parameters": {"a": DISK["inclusion"], "w": width}}},
        "time": {"scheme": "backward_euler", "t_end": 1.0, "dt": 1.0, "adapt": "fixed"},
        "solver": {"linear": linear},
        "elasticity": _block(E, nu, misfit, 1, "lu"),
    }


def coupled_circular_inclusion(case: dict | None = None, comm=MPI.COMM_WORLD):
    """:func:`coupled_case` (or ``case``) run for one Newton-solved step in the phase-field solver: the
    core-mean stress (cells with midpoint r < a/2), the exact one, and the Simulation."""
    from pf_app.phasefield.case import Case, CaseConfig
    from pf_app.phasefield.simulation import Simulation

    case = case or coupled_case()
    cfg = build(CaseConfig, case)
    sim = Simulation(Case(cfg, Path("<verification>"), Path("unused")), comm)
    sim.set_initial_state()
    m = sim.model
    m.set_step(cfg.time.dt, None, cfg.time.scheme)
    m.u.x.array[:] = m.u_n.x.array
    converged, _ = sim.solver.solve()
    if not converged:
        raise RuntimeError(f"the coupled Eshelby step did not converge: {sim.solver.failure()}")
    mesh, dim = m.mesh, m.mesh.topology.dim
    n_cells = mesh.topology.index_map(dim).size_local
    midpoints = dolfinx.mesh.compute_midpoints(mesh, dim, np.arange(n_cells, dtype=np.int32))
    core = np.linalg.norm(midpoints[:, :dim], axis=1) < DISK["inclusion"] / 2
    measured = CellStress(mesh, m.elastic.stress, m.elastic.dx).mean(core)
    el = case["elasticity"]
    E, nu = el["stiffness"][0]["E"], el["stiffness"][0]["nu"]
    exact = _disk_exact(E, nu, el["parameters"]["misfit"], case["initial"]["c"]["parameters"]["w"])
    return measured, exact, sim


def spherical_inclusion(degree: int = 2, linear: str = "lu", E: float = 100.0, nu: float = 0.3, misfit: float = 0.01,
                        comm=MPI.COMM_WORLD) -> InclusionResult:
    """3D: e I in a traction-free ball, on its octant (meshes/eshelby_ball_octant) with the symmetry
    conditions u_x = 0 on x = 0, u_y = 0 on y = 0, u_z = 0 on z = 0."""
    a, R = BALL_OCTANT["inclusion"], BALL_OCTANT["radius"]
    symmetry = {"kind": "displacement", "displacement": [{"boundary": "xmin", "x": 0.0}, {"boundary": "ymin", "y": 0.0},
                                                         {"boundary": "zmin", "z": 0.0}]}
    solver, measured = _solve(read_mesh(BALL_OCTANT["file"], comm), _block(E, nu, misfit, degree, linear, symmetry), a, 0.0)
    s = analytic.sphere_interior_stress(E, nu, misfit, a, R)
    return InclusionResult(measured, np.array([s, s, s, 0.0, 0.0, 0.0]), solver)


FRACTION = 0.375
EIGENSTRAIN_2D = {"xx": "0.01*c", "yy": "0.005*c + 0.002", "zz": "0.004*c", "xy": "0.003*c"}
EIGENSTRAIN_3D = {**EIGENSTRAIN_2D, "yz": "-0.002*c", "xz": "0.001*(1 - c)"}


def laminate(dim: int, linear: str = "lu", comm=MPI.COMM_WORLD):
    """A periodic laminate normal to x: c = 1 for x < 3/8 (cell-wise), C = c C_cubic + (1 - c) C_iso with
    the cubic crystal at Bunge (30, 20, 10), every eigenstrain component a formula in c, mean strains
    prescribed in yy (and xz in 3D), the mean stress xx = 0.5 and zero mean stress otherwise.  Returns the
    solver, the FE layer-mean stresses and the exact ones (:func:`analytic.laminate`), (2, 6) each."""
    if dim == 2:
        mesh = dolfinx.mesh.create_rectangle(comm, [[0.0, 0.0], [1.0, 0.5]], [16, 4])
        mean_strain, eigenstrain = {"yy": 0.001}, EIGENSTRAIN_2D
    else:
        mesh = dolfinx.mesh.create_box(comm, [[0.0, 0.0, 0.0], [1.0, 0.5, 0.5]], [16, 2, 2])
        mean_strain, eigenstrain = {"yy": 0.001, "xz": 0.0005}, EIGENSTRAIN_3D
    mean_stress = {"xx": 0.5}
    cfg = build(ElasticityConfig, {
        "stiffness": [{"kind": "cubic", "C11": 250.0, "C12": 150.0, "C44": 100.0, "euler_bunge_deg": [30.0, 20.0, 10.0],
                       "weight": "c"},
                      {"kind": "isotropic", "E": 100.0, "nu": 0.25, "weight": "1 - c"}],
        "eigenstrain": eigenstrain, "solver": {"linear": linear},
        "boundary": {"kind": "periodic", "mean_strain": mean_strain, "mean_stress": mean_stress}})
    law = build_law(cfg, ("c",), dim)
    c = fem.Function(fem.functionspace(mesh, ("DG", 0)))
    c.interpolate(lambda x: (x[0] < FRACTION).astype(float))
    solver = MechanicalSolver(mesh, cfg, law, [c], quadrature_degree=2)
    solver.solve()
    eps0 = [law.eigenstrain.numpy(np.array([[v]]))[0][0] for v in (1.0, 0.0)]
    plane_strain = {"zz": 0.0, "yz": 0.0, "xz": 0.0} if dim == 2 else {}
    _, exact = analytic.laminate([p.voigt() for p in cfg.stiffness], eps0, [FRACTION, 1 - FRACTION],
                                 mean_strain=mean_strain, mean_stress=mean_stress, fixed_strain=plane_strain)
    n_cells = mesh.topology.index_map(dim).size_local
    x_mid = dolfinx.mesh.compute_midpoints(mesh, dim, np.arange(n_cells, dtype=np.int32))[:, 0]
    measured = np.array([solver.mean_stress(layer) for layer in (x_mid < FRACTION, x_mid > FRACTION)])
    return solver, measured, exact
