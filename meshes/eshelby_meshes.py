"""Regenerate the Eshelby-inclusion meshes in this folder with gmsh (XDMF + HDF5, grid named "mesh").

    .venv/bin/python meshes/eshelby_meshes.py

``eshelby_disk.xdmf``: the disk of radius 1 centred at 0 with an embedded circle of radius 0.3 (the
inclusion's boundary lies on element edges, every node of it on the circle), triangles of size 0.02
inside the circle growing to 0.08 at the rim.
``eshelby_ball_octant.xdmf``: the octant x, y, z >= 0 of the ball of radius 1 with an embedded sphere
of radius 0.4 (a conforming interface), tetrahedra of size 0.07 inside growing to 0.16 at the rim;
the three flat faces are symmetry planes (u_n = 0 on xmin, ymin, zmin).

Only this script needs gmsh (a wheel on PyPI); the tests and the benchmark read the shipped files.
"""

from __future__ import annotations

from pathlib import Path

import dolfinx_solver  # noqa: F401
import gmsh
from mpi4py import MPI

import dolfinx
from dolfinx.io import gmsh as gmshio

HERE = Path(__file__).resolve().parent
DISK = {"radius": 1.0, "inclusion": 0.3, "h_inside": 0.02, "h_rim": 0.08}
BALL = {"radius": 1.0, "inclusion": 0.4, "h_inside": 0.07, "h_rim": 0.16}


def _size_field(inclusion: float, outer: float, h_inside: float, h_rim: float) -> None:
    """Element size h_inside for r <= inclusion, growing linearly in r to h_rim at the outer radius."""
    gmsh.model.mesh.field.add("MathEval", 1)
    slope = (h_rim - h_inside) / (outer - inclusion)
    gmsh.model.mesh.field.setString(1, "F", f"{h_inside} + {slope}*max(sqrt(x*x + y*y + z*z) - {inclusion}, 0)")
    gmsh.model.mesh.field.setAsBackgroundMesh(1)
    for key in ("Mesh.MeshSizeExtendFromBoundary", "Mesh.MeshSizeFromPoints", "Mesh.MeshSizeFromCurvature"):
        gmsh.option.setNumber(key, 0)


def disk() -> dolfinx.mesh.Mesh:
    occ = gmsh.model.occ
    outer = occ.addDisk(0, 0, 0, DISK["radius"], DISK["radius"])
    inner = occ.addDisk(0, 0, 0, DISK["inclusion"], DISK["inclusion"])
    occ.fragment([(2, outer)], [(2, inner)])
    occ.synchronize()
    gmsh.model.addPhysicalGroup(2, [s for _, s in gmsh.model.getEntities(2)], 1)
    _size_field(DISK["inclusion"], DISK["radius"], DISK["h_inside"], DISK["h_rim"])
    gmsh.model.mesh.generate(2)
    return gmshio.model_to_mesh(gmsh.model, MPI.COMM_WORLD, 0, gdim=2).mesh


def ball_octant() -> dolfinx.mesh.Mesh:
    occ = gmsh.model.occ
    R, a = BALL["radius"], BALL["inclusion"]
    box = occ.addBox(0, 0, 0, R, R, R)
    outer = occ.intersect([(3, occ.addSphere(0, 0, 0, R))], [(3, box)])[0]
    inner = occ.intersect([(3, occ.addSphere(0, 0, 0, a))], [(3, occ.addBox(0, 0, 0, a, a, a))])[0]
    occ.fragment(outer, inner)
    occ.synchronize()
    gmsh.model.addPhysicalGroup(3, [v for _, v in gmsh.model.getEntities(3)], 1)
    _size_field(a, R, BALL["h_inside"], BALL["h_rim"])
    gmsh.model.mesh.generate(3)
    return gmshio.model_to_mesh(gmsh.model, MPI.COMM_WORLD, 0, gdim=3).mesh


def main() -> None:
    for name, build in (("eshelby_disk", disk), ("eshelby_ball_octant", ball_octant)):
        gmsh.initialize()
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add(name)
        mesh = build()
        gmsh.finalize()
        mesh.name = "mesh"
        with dolfinx.io.XDMFFile(mesh.comm, str(HERE / f"{name}.xdmf"), "w") as f:
            f.write_mesh(mesh)
        print(name, mesh.topology.index_map(mesh.topology.dim).size_global, "cells")


if __name__ == "__main__":
    main()
