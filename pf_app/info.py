"""``pf_app info``: versions of the numerical stack and the MPI size, for bug reports."""

from __future__ import annotations

import importlib.metadata as md


def register(sub) -> None:
    p = sub.add_parser("info", help="print versions of pf_app and its numerical stack")
    p.set_defaults(func=run)


def run(args) -> int:
    import dolfinx_solver  # noqa: F401  (must precede dolfinx / petsc4py)
    import dolfinx
    from mpi4py import MPI
    from petsc4py import PETSc

    comm = MPI.COMM_WORLD
    if comm.rank == 0:
        print(f"pf_app {md.version('pf_app')}")
        print(f"dolfinx {dolfinx.__version__}, PETSc {'.'.join(map(str, PETSc.Sys.getVersion()))}, "
              f"scalar {PETSc.ScalarType.__name__}, MPI ranks {comm.size}")
        for dist in ("numpy", "scipy", "numba", "tensorflow-cpu", "pyvista"):
            try:
                print(f"{dist} {md.version(dist)}")
            except md.PackageNotFoundError:
                print(f"{dist} not installed")
    return 0
