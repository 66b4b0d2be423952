"""Regenerate the example meshes in this folder (XDMF + HDF5, grid named "mesh").

    .venv/bin/python meshes/make_meshes.py

``disk.xdmf``: the unit disk (radius 1, centre 0), triangles, made by mapping a 48 x 48 square mesh
of [-1, 1]^2 onto the disk with the area-preserving-ish elliptical grid map
(x sqrt(1 - y^2/2), y sqrt(1 - x^2/2)), so no mesh generator is needed.
"""

from __future__ import annotations

from pathlib import Path

import dolfinx_solver  # noqa: F401
import numpy as np
from mpi4py import MPI

import dolfinx

HERE = Path(__file__).resolve().parent


def disk(cells: int = 48) -> dolfinx.mesh.Mesh:
    mesh = dolfinx.mesh.create_rectangle(MPI.COMM_WORLD, [[-1.0, -1.0], [1.0, 1.0]], [cells, cells],
                                         dolfinx.mesh.CellType.triangle, diagonal=dolfinx.mesh.DiagonalType.crossed)
    x = mesh.geometry.x
    u, v = x[:, 0].copy(), x[:, 1].copy()
    x[:, 0] = u * np.sqrt(1 - v * v / 2)
    x[:, 1] = v * np.sqrt(1 - u * u / 2)
    return mesh


def main() -> None:
    mesh = disk()
    mesh.name = "mesh"
    with dolfinx.io.XDMFFile(mesh.comm, str(HERE / "disk.xdmf"), "w") as f:
        f.write_mesh(mesh)


if __name__ == "__main__":
    main()
