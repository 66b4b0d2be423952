"""gmsh meshes: ``.msh`` files and ``.geo`` scripts read through the gmsh Python module.

Rank 0 opens the file in gmsh (a ``.geo`` script is meshed first, in its own dimension, with the
script's ``DefineConstant`` values overridden by ``mesh.parameters``), checks it, and
:func:`dolfinx.io.gmsh.model_to_mesh` distributes the cells over the ranks.  The physical groups
name regions and boundaries: cells keep the tag of their physical volume (3D) or surface (2D) in
``cell_tags``, facets of a physical surface (3D) or curve (2D) in ``facet_tags``, and ``names`` maps
each group's name to its (dimension, tag).  A mesh without a physical group of its own dimension gets
one named ``domain`` holding every cell.

gmsh's periodic entities (``Periodic Surface {...} = {...} Translate {...};``) make the nodes of
opposite faces coincide; their translations must run along x, y or z by the mesh's extent, and give
:attr:`TaggedMesh.periodic_axes`, which the run makes periodic (the nodes are then paired by
coordinates, :mod:`pf_app.phasefield.periodic`).

Every problem with the file is a :class:`pf_app.config.ConfigError` on the key ``mesh.file`` (one
line, exit status 2), raised on every rank.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mpi4py import MPI

from pf_app.config import ConfigError
from pf_app.phasefield.case import GMSH_INSTALL_HINT
from pf_app.phasefield.mesh import TaggedMesh

PERIODIC_RTOL = 1e-8  # a periodic translation equals the mesh's extent to this fraction of it
PLANAR_ATOL = 1e-12  # a 2D mesh lies in the plane z = 0 to this (relative to its size)


def read_gmsh(path: str | Path, comm: MPI.Comm = MPI.COMM_WORLD, parameters: dict[str, float] | None = None,
              key: str = "mesh.file") -> TaggedMesh:
    """The mesh of a ``.msh`` file or ``.geo`` script, distributed over ``comm``."""
    from dolfinx.io.gmsh import model_to_mesh

    path = Path(path)
    info, gmsh, owns = None, None, False
    if comm.rank == 0:
        try:
            import gmsh
        except ImportError:
            info = {"error": f"the gmsh Python module to read {path.suffix} files ({GMSH_INSTALL_HINT})"}
        else:
            owns = not gmsh.isInitialized()
            if owns:
                gmsh.initialize(readConfigFiles=False, interruptible=False)
            gmsh.model.add(f"pf_app:{path.name}")
            info = _open_and_inspect(gmsh, path, parameters or {})
    info = comm.bcast(info, root=0)
    try:
        if "error" in info:
            raise ConfigError(None, key, info["error"], str(path))
        try:
            data = model_to_mesh(gmsh.model if comm.rank == 0 else None, comm, 0, gdim=info["gdim"])
        except RuntimeError as exc:  # raised on every rank (the message is broadcast first)
            raise ConfigError(None, key, "a mesh whose cells each belong to one physical group", f"{path}: {exc}")
    finally:
        if comm.rank == 0 and gmsh is not None and gmsh.isInitialized():
            gmsh.model.remove()
            if owns:
                gmsh.finalize()
    return TaggedMesh(data.mesh, data.cell_tags, data.facet_tags, info["names"], info["periodic_axes"])


def _open_and_inspect(gmsh, path: Path, parameters: dict[str, float]) -> dict:
    """Rank 0: load (and, for .geo, mesh) the file; {"error": what was expected} or what the ranks need."""
    gmsh.option.setNumber("General.Terminal", 0)
    try:
        for name, value in parameters.items():  # a .geo script's DefineConstant values
            gmsh.parser.setNumber(name, [float(value)])
        gmsh.merge(str(path))
        if path.suffix == ".geo":
            gmsh.model.mesh.generate(gmsh.model.getDimension())
    except Exception as exc:  # gmsh raises a bare Exception with its last error message
        return {"error": f"a {path.suffix} file gmsh can read ({exc})"}
    dim = gmsh.model.getDimension()
    types, _, _ = gmsh.model.mesh.getElements(dim) if dim > 0 else ([], [], [])
    if dim not in (2, 3) or not len(types):
        return {"error": "a 2D or 3D mesh (no cells of dimension 2 or 3 in the file)"}
    if not any(d == dim for d, _ in gmsh.model.getPhysicalGroups()):
        gmsh.model.addPhysicalGroup(dim, [t for _, t in gmsh.model.getEntities(dim)], name="domain")
    names = {}
    for d, tag in gmsh.model.getPhysicalGroups():
        names.setdefault(gmsh.model.getPhysicalName(d, tag) or str(tag), (d, tag))
    _, x, _ = gmsh.model.mesh.getNodes()
    x = x.reshape(-1, 3)
    lo, hi = x.min(axis=0), x.max(axis=0)
    size = float(np.max(hi - lo))
    if dim == 2 and np.max(np.abs(x[:, 2])) > PLANAR_ATOL * size:
        return {"error": "a 2D mesh in the plane z = 0"}
    try:
        axes = _periodic_axes(gmsh, dim, lo, hi)
    except ValueError as exc:
        return {"error": str(exc)}
    return {"gdim": dim, "names": names, "periodic_axes": axes}


def _periodic_axes(gmsh, dim: int, lo: np.ndarray, hi: np.ndarray) -> tuple[int, ...]:
    """Axes of the translations of the file's periodic entities (facets' dimension)."""
    axes = set()
    for d, tag in gmsh.model.getEntities(dim - 1):
        master, nodes, _, affine = gmsh.model.mesh.getPeriodicNodes(d, tag)
        if master == tag or not len(nodes):
            continue
        affine = np.asarray(affine, float).reshape(4, 4)
        shift = affine[:3, 3]
        extent = hi - lo
        axis = int(np.argmax(np.abs(shift)))
        along = np.zeros(3)
        along[axis] = extent[axis] * np.sign(shift[axis])
        if not (np.allclose(affine[:3, :3], np.eye(3)) and np.allclose(shift, along, atol=PERIODIC_RTOL * np.max(extent))):
            raise ValueError(f"periodic entities that translate by the mesh's extent along x, y or z "
                             f"(entity {tag} maps by {np.round(affine[:3], 9).tolist()})")
        axes.add(axis)
    return tuple(sorted(axes))
