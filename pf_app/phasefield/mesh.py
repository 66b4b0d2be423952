"""Meshes: a box from the case's lengths and cell counts, or an XDMF file (grid named "mesh")."""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

import dolfinx

from pf_app.phasefield.case import MeshConfig

_CELLS = {"triangle": dolfinx.mesh.CellType.triangle, "quadrilateral": dolfinx.mesh.CellType.quadrilateral,
          "tetrahedron": dolfinx.mesh.CellType.tetrahedron, "hexahedron": dolfinx.mesh.CellType.hexahedron}
_DIAGONALS = {"right": dolfinx.mesh.DiagonalType.right, "left": dolfinx.mesh.DiagonalType.left,
              "crossed": dolfinx.mesh.DiagonalType.crossed, "right/left": dolfinx.mesh.DiagonalType.right_left,
              "left/right": dolfinx.mesh.DiagonalType.left_right}


def build_mesh(cfg: MeshConfig, comm: MPI.Comm = MPI.COMM_WORLD) -> dolfinx.mesh.Mesh:
    if cfg.file is not None:
        with dolfinx.io.XDMFFile(comm, str(cfg.file), "r") as f:
            return f.read_mesh(name="mesh")
    lengths, cells = np.asarray(cfg.lengths, float), list(cfg.cells)
    corner = [np.zeros(cfg.dim), lengths]
    if cfg.dim == 2:
        kind = _CELLS[cfg.cell_type or "triangle"]
        if kind == dolfinx.mesh.CellType.triangle:
            return dolfinx.mesh.create_rectangle(comm, corner, cells, kind, diagonal=_DIAGONALS[cfg.diagonal])
        return dolfinx.mesh.create_rectangle(comm, corner, cells, kind)
    return dolfinx.mesh.create_box(comm, corner, cells, _CELLS[cfg.cell_type or "tetrahedron"])
