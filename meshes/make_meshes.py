"""Regenerate the example meshes in this folder.

    .venv/bin/python meshes/make_meshes.py

* ``pfhub_1c.msh``, ``disc.msh``, ``sphere_in_box.msh``: gmsh meshes of the ``.geo`` scripts beside
  them (gmsh's own format 4.1, ASCII), made through the gmsh Python module (``pip install gmsh``);
  the same as ``gmsh -2 pfhub_1c.geo`` (``-3`` for the sphere) on the command line.  Their physical
  groups name the regions and boundaries a case can refer to (docs/phasefield.md, *Meshes*).
* ``disk.xdmf``: the unit disk (radius 1, centre 0), triangles, made by mapping a 48 x 48 square mesh
  of [-1, 1]^2 onto the disk with the elliptical grid map (x sqrt(1 - y^2/2), y sqrt(1 - x^2/2)), so
  no mesh generator is needed.
"""

from __future__ import annotations

from pathlib import Path

import dolfinx_solver  # noqa: F401
import numpy as np
from mpi4py import MPI

import dolfinx

HERE = Path(__file__).resolve().parent
GEO_SCRIPTS = ("pfhub_1c.geo", "disc.geo", "sphere_in_box.geo")


def disk(cells: int = 48) -> dolfinx.mesh.Mesh:
    mesh = dolfinx.mesh.create_rectangle(MPI.COMM_WORLD, [[-1.0, -1.0], [1.0, 1.0]], [cells, cells],
                                         dolfinx.mesh.CellType.triangle, diagonal=dolfinx.mesh.DiagonalType.crossed)
    x = mesh.geometry.x
    u, v = x[:, 0].copy(), x[:, 1].copy()
    x[:, 0] = u * np.sqrt(1 - v * v / 2)
    x[:, 1] = v * np.sqrt(1 - u * u / 2)
    return mesh


def mesh_geo(script: Path) -> Path:
    """Mesh a .geo script in its own dimension and write the .msh beside it."""
    import gmsh

    gmsh.initialize(readConfigFiles=False, interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.merge(str(script))
        gmsh.model.mesh.generate(gmsh.model.getDimension())
        target = script.with_suffix(".msh")
        gmsh.write(str(target))
        return target
    finally:
        gmsh.finalize()


def main() -> None:
    mesh = disk()
    mesh.name = "mesh"
    with dolfinx.io.XDMFFile(mesh.comm, str(HERE / "disk.xdmf"), "w") as f:
        f.write_mesh(mesh)
    for name in GEO_SCRIPTS:
        print(mesh_geo(HERE / name))


if __name__ == "__main__":
    main()
