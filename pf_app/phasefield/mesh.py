"""Meshes: a box from the case's lengths and cell counts, an XDMF file (grid named "mesh"), or a
gmsh ``.msh`` file or ``.geo`` script with physical groups (:mod:`pf_app.phasefield.gmsh_mesh`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from mpi4py import MPI

import dolfinx

from pf_app.phasefield.case import MeshConfig

_CELLS = {"triangle": dolfinx.mesh.CellType.triangle, "quadrilateral": dolfinx.mesh.CellType.quadrilateral,
          "tetrahedron": dolfinx.mesh.CellType.tetrahedron, "hexahedron": dolfinx.mesh.CellType.hexahedron}
_DIAGONALS = {"right": dolfinx.mesh.DiagonalType.right, "left": dolfinx.mesh.DiagonalType.left,
              "crossed": dolfinx.mesh.DiagonalType.crossed, "right/left": dolfinx.mesh.DiagonalType.right_left,
              "left/right": dolfinx.mesh.DiagonalType.left_right}


@dataclass
class TaggedMesh:
    """A mesh with what its file says about it: the tags of gmsh's physical groups (cells and facets,
    ``names`` mapping each group's name to its (dimension, tag)) and the axes its periodic entities
    make periodic.  Box and XDMF meshes have none of these."""

    mesh: dolfinx.mesh.Mesh
    cell_tags: dolfinx.mesh.MeshTags | None = None
    facet_tags: dolfinx.mesh.MeshTags | None = None
    names: dict[str, tuple[int, int]] = field(default_factory=dict)
    periodic_axes: tuple[int, ...] = ()

    def boundary_names(self) -> list[str]:
        """Names of the physical groups of facets (the boundaries a case can name)."""
        fdim = self.mesh.topology.dim - 1
        return sorted(name for name, (dim, _) in self.names.items() if dim == fdim)


def build_mesh(cfg: MeshConfig, comm: MPI.Comm = MPI.COMM_WORLD) -> TaggedMesh:
    if cfg.file is not None:
        if cfg.file.suffix in (".msh", ".geo"):
            from pf_app.phasefield.gmsh_mesh import read_gmsh

            return read_gmsh(cfg.file, comm, cfg.parameters)
        with dolfinx.io.XDMFFile(comm, str(cfg.file), "r") as f:
            return TaggedMesh(f.read_mesh(name="mesh"))
    lengths, cells = np.asarray(cfg.lengths, float), list(cfg.cells)
    corner = [np.zeros(cfg.dim), lengths]
    ghosts = dolfinx.mesh.GhostMode.none  # no layer of ghost cells: only cell integrals are assembled, over owned cells
    if cfg.dim == 2:
        kind = _CELLS[cfg.cell_type or "triangle"]
        if kind == dolfinx.mesh.CellType.triangle:
            return TaggedMesh(dolfinx.mesh.create_rectangle(comm, corner, cells, kind, diagonal=_DIAGONALS[cfg.diagonal],
                                                            ghost_mode=ghosts))
        return TaggedMesh(dolfinx.mesh.create_rectangle(comm, corner, cells, kind, ghost_mode=ghosts))
    return TaggedMesh(dolfinx.mesh.create_box(comm, corner, cells, _CELLS[cfg.cell_type or "tetrahedron"], ghost_mode=ghosts))
