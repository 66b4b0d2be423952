"""gmsh meshes (issue 25, item 1): the shipped .msh files and .geo scripts, their physical groups,
gmsh's periodic entities, distribution under mpirun, and one-line errors for bad mesh files."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pfcase import conserves_and_decays, double_well_case, mpirun, read_energy, run_case, write_case

pytest.importorskip("gmsh", reason="gmsh is an optional extra (pip install 'pf_app[gmsh]')")

REPO = Path(__file__).resolve().parents[2]
MESHES = REPO / "meshes"
ROUNDING = 1e-12  # sums of a few thousand cell measures of O(1) agree with the exact value to ~n eps


def measures(path, comm=None, **parameters) -> dict:
    """Total cell measure, measure of each physical group (cells: volume or area; facets: area or
    length, interior facets counted once), and the periodic axes of a gmsh file, on every rank."""
    import dolfinx_solver  # noqa: F401
    import ufl
    from mpi4py import MPI

    from dolfinx import fem

    from pf_app.phasefield.gmsh_mesh import read_gmsh

    comm = comm or MPI.COMM_WORLD
    tagged = read_gmsh(path, comm, parameters)
    mesh = tagged.mesh
    tdim = mesh.topology.dim

    def total(form):
        return comm.allreduce(fem.assemble_scalar(fem.form(form)), op=MPI.SUM)

    dx = ufl.Measure("dx", domain=mesh, subdomain_data=tagged.cell_tags)
    ds = ufl.Measure("ds", domain=mesh, subdomain_data=tagged.facet_tags)
    dS = ufl.Measure("dS", domain=mesh, subdomain_data=tagged.facet_tags)
    groups = {}
    for name, (dim, tag) in tagged.names.items():
        one = fem.Constant(mesh, 1.0)
        groups[name] = total(one * dx(tag)) if dim == tdim else total(one * ds(tag) + one("+") * dS(tag))
    return {"gdim": mesh.geometry.dim, "cells": mesh.topology.index_map(tdim).size_global,
            "measure": total(fem.Constant(mesh, 1.0) * dx), "groups": groups, "periodic": list(tagged.periodic_axes)}


def test_the_t_shape_of_pfhub_1c_has_its_exact_area_and_named_sides():
    """meshes/pfhub_1c.msh: the T (stem 20 x 100 under a bar 100 x 20) has area 4000 and perimeter 440
    exactly (straight sides), split into the named boundaries; no periodic entities."""
    m = measures(MESHES / "pfhub_1c.msh")
    assert m["gdim"] == 2 and m["periodic"] == []
    assert m["measure"] == pytest.approx(4000.0, rel=ROUNDING)
    expected = {"domain": 4000.0, "bottom": 20.0, "top": 100.0, "bar_left": 20.0, "bar_right": 20.0, "sides": 280.0}
    assert set(m["groups"]) == set(expected)
    for name, value in expected.items():
        assert m["groups"][name] == pytest.approx(value, rel=ROUNDING), name


def test_the_disc_is_the_polygon_inscribed_in_the_unit_circle():
    """meshes/disc.msh: every rim node lies on the unit circle, so the mesh is the inscribed polygon:
    its area is pi minus the circular segments cut off by the rim's chords, sum (theta - sin theta)/2
    with theta = 2 asin(l/2) for each chord of length l (exact, to rounding)."""
    import dolfinx_solver  # noqa: F401
    from mpi4py import MPI

    import dolfinx

    from pf_app.phasefield.gmsh_mesh import read_gmsh

    tagged = read_gmsh(MESHES / "disc.msh", MPI.COMM_SELF)
    mesh = tagged.mesh
    fdim = mesh.topology.dim - 1
    rim = tagged.facet_tags.find(tagged.names["rim"][1])
    nodes = dolfinx.mesh.entities_to_geometry(mesh, fdim, rim)
    x = mesh.geometry.x[nodes]  # (facets, 2 nodes, 3)
    np.testing.assert_allclose(np.linalg.norm(x[:, :, :2], axis=2), 1.0, atol=1e-12)
    theta = 2 * np.arcsin(np.linalg.norm(x[:, 0] - x[:, 1], axis=1) / 2)
    m = measures(MESHES / "disc.msh", MPI.COMM_SELF)
    assert m["measure"] == pytest.approx(math.pi - np.sum(theta - np.sin(theta)) / 2, rel=ROUNDING)
    assert m["groups"]["rim"] == pytest.approx(np.sum(2 * np.sin(theta / 2)), rel=ROUNDING)
    assert theta.sum() == pytest.approx(2 * math.pi, rel=ROUNDING)  # the chords close the circle


def test_the_sphere_in_the_box_has_two_regions_and_periodic_faces():
    """meshes/sphere_in_box.msh: the unit cube's volume and faces exactly, the particle inside the
    sphere of radius 1/4 (an inscribed polyhedron: less than 4/3 pi r^3), the particle and matrix
    adding up to the cube, the sphere's surface an interior named boundary, and x, y, z periodic."""
    m = measures(MESHES / "sphere_in_box.msh")
    g = m["groups"]
    assert m["gdim"] == 3 and m["periodic"] == [0, 1, 2]
    assert m["measure"] == pytest.approx(1.0, rel=ROUNDING)
    for face in ("xmin", "xmax", "ymin", "ymax", "zmin", "zmax"):
        assert g[face] == pytest.approx(1.0, rel=ROUNDING), face
    ball = 4 / 3 * math.pi * 0.25 ** 3
    assert 0.9 * ball < g["particle"] < ball
    assert g["particle"] + g["matrix"] == pytest.approx(1.0, rel=ROUNDING)
    assert 0.9 * 4 * math.pi * 0.25 ** 2 < g["interface"] < 4 * math.pi * 0.25 ** 2


def test_geo_script_is_meshed_with_its_parameters():
    """A .geo script is meshed when read; mesh.parameters override its DefineConstant values (the
    T-shape with lc = 4: fewer cells than the shipped lc = 1, the same exact area)."""
    coarse, shipped = measures(MESHES / "pfhub_1c.geo", lc=4.0), measures(MESHES / "pfhub_1c.msh")
    assert coarse["measure"] == pytest.approx(4000.0, rel=ROUNDING)
    assert coarse["cells"] * 8 < shipped["cells"]  # (4 / 1)^2 = 16 times fewer cells, give or take


SCRIPT = """
import json, sys
sys.path[:0] = [{tests!r}, {repo!r}]
from test_pf_gmsh import measures
from mpi4py import MPI
m = measures({path!r})
if MPI.COMM_WORLD.rank == 0:
    print(json.dumps(m))
"""


@pytest.mark.mpi
def test_gmsh_mesh_is_distributed_over_two_ranks(tmp_path):
    """mpirun -n 2: rank 0 reads the file and the cells are shared out; the measures, the physical
    groups and the periodic axes are those of the serial read."""
    script = tmp_path / "measure.py"
    script.write_text(SCRIPT.format(tests=str(Path(__file__).parent), repo=str(REPO), path=str(MESHES / "sphere_in_box.msh")))
    out = mpirun([str(script)])
    assert out.returncode == 0, out.stderr
    parallel, serial = json.loads(out.stdout.strip().splitlines()[-1]), measures(MESHES / "sphere_in_box.msh")
    assert parallel["cells"] == serial["cells"] and parallel["periodic"] == serial["periodic"]
    for name, value in serial["groups"].items():
        assert parallel["groups"][name] == pytest.approx(value, rel=ROUNDING), name


def test_periodic_sphere_in_box_conserves_mass(tmp_path):
    """A Cahn-Hilliard run on the periodic sphere-in-box mesh (periodic axes from the file's
    periodic entities: the case lists none): mass conserved to rounding, energy decreasing."""
    path = double_well_case(tmp_path, MESHES / "sphere_in_box.msh", mobility=1.0, noise=0.1, seed=1,
                            time={"t_end": 3.0, "dt": 1.0, "adapt": "fixed"})
    case, _ = run_case(path)
    conserves_and_decays(read_energy(case.output_dir))


def _error(tmp_path, mesh: dict) -> str:
    """The one-line message of the ConfigError that stops a case with this mesh (in-process)."""
    from pf_app.config import ConfigError
    from pf_app.phasefield.case import load_case
    from pf_app.phasefield.simulation import Simulation

    path = write_case(tmp_path, mesh=mesh, periodic=[], fields={"order_parameters": []},
                      free_energy={"kind": "formula", "formula": "c**2"}, mobility={"kind": "constant"}, initial={})
    with pytest.raises(ConfigError) as exc:
        Simulation(load_case(path))
    assert str(exc.value).startswith(f"{path}: mesh.")
    return str(exc.value)


def test_bad_mesh_files_are_one_line_errors(tmp_path):
    """A missing file, an unknown extension, a .msh gmsh cannot read and .geo parameters on a .msh
    each stop the run with one line naming the case file and the key (exit status 2 from the CLI)."""
    assert "an existing .msh mesh file" in _error(tmp_path, {"file": str(tmp_path / "none.msh")})
    (tmp_path / "mesh.vtk").write_text("")
    assert "ending in .xdmf, .msh, .geo" in _error(tmp_path, {"file": str(tmp_path / "mesh.vtk")})
    assert "mesh.parameters: expected no parameters" in _error(tmp_path, {"file": str(MESHES / "disc.msh"),
                                                                          "parameters": {"lc": 0.1}})
    (tmp_path / "bad.msh").write_text("$MeshFormat\nnot a mesh\n")
    message = _error(tmp_path, {"file": str(tmp_path / "bad.msh")})
    assert "mesh.file: expected a .msh file gmsh can read" in message
    out = subprocess.run([sys.executable, "-m", "pf_app", "run", str(tmp_path / "case.yaml"), "--quiet"],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 2 and out.stderr.strip().splitlines() == [f"error: {message}"], out.stderr


def _exact_initial_energy_of_the_t(points: int = 200) -> float:
    """F(0) of PFHub 1's initial formula over the T: Gauss-Legendre quadrature of f(c) + kappa/2 |grad c|^2
    (c and grad c from the formula parser, exact) on the stem and the bar; 200 points per direction
    integrate these few cosines to rounding (400 agree to 1e-13; the same rule on [0, 200]^2 gives
    PFHub's 319.0433)."""
    from pf_app.config import load_yaml
    from pf_app.formula import Formula

    spec = load_yaml(REPO / "inputs" / "pfhub_1c.yaml")
    c = Formula.from_text(spec["initial"]["c"]["formula"], ("x", "y"), spec["initial"]["c"]["parameters"])
    rho, ca, cb = (spec["free_energy"]["parameters"][k] for k in ("rho", "ca", "cb"))
    kappa = spec["gradient"]["kappa_c"]
    g, w = np.polynomial.legendre.leggauss(points)
    total = 0.0
    for (x0, x1), (y0, y1) in (((0.0, 20.0), (0.0, 100.0)), ((-40.0, 60.0), (100.0, 120.0))):
        x, y = ((x0 + x1) / 2 + (x1 - x0) / 2 * g), ((y0 + y1) / 2 + (y1 - y0) / 2 * g)
        xx, yy = np.meshgrid(x, y, indexing="ij")
        value, grad = c.numpy(np.column_stack([xx.ravel(), yy.ravel()]), order=1)
        f = rho * (value - ca) ** 2 * (cb - value) ** 2 + kappa / 2 * np.sum(grad ** 2, axis=1)
        total += float(f @ np.outer((x1 - x0) / 2 * w, (y1 - y0) / 2 * w).ravel())
    return total


def test_pfhub_1c_initial_energy_converges_to_the_exact_integral(tmp_path):
    """inputs/pfhub_1c.yaml: F(0) of the start interpolated on the gmsh T (meshed from the .geo with
    lc = 2 and 1) approaches the exact integral 31.88361 as h^2: the error falls by 4 when lc halves
    (3 to 5 allowed: the two unstructured meshes are similar, not nested; measured 3.90, and 4.00 from
    lc = 1 to 0.5), and on the shipped lc = 1 mesh it is 4.3e-4 (below 1e-3)."""
    from pf_app.phasefield.case import load_case
    from pf_app.phasefield.output import RunOutput
    from pf_app.phasefield.simulation import Simulation

    exact = _exact_initial_energy_of_the_t()
    assert exact == pytest.approx(31.8836054, abs=1e-7)
    errors = []
    for lc in (2.0, 1.0):
        case = load_case(REPO / "inputs" / "pfhub_1c.yaml", [f"mesh.file={MESHES / 'pfhub_1c.geo'}", f"mesh.parameters={{lc: {lc}}}"],
                         str(tmp_path / f"lc{lc}"))
        sim = Simulation(case)
        output = RunOutput(case.output_dir, sim.model, case.config, resume=False)
        sim.start(output, resume=False)
        output.close()
        errors.append(read_energy(case.output_dir)["energy"][0] - exact)
    assert 0 < errors[1] < 1e-3 and 3.0 < errors[0] / errors[1] < 5.0, errors
