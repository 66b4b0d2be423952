"""PFHub benchmark 4 (an elastic precipitate): the quantities the benchmark asks for, per step.

PFHub's benchmark 4 evolves one conserved field (its eta; the case's c) by Cahn-Hilliard with an
elastic misfit (docs/pfhub.md, "Benchmark 4").  The upload takes a CSV of

    time, a_01, a_10, a_d, elastic_free_energy, gradient_free_energy, precipitate_area, total_free_energy

(``pfhub4.csv`` here, one row per accepted step and the start, written as energy.csv is) and the
c = 0.5 contour at the end (``contour.csv``, x, y in the order of the traversal).  The precipitate's
extents are measured from its centre (the origin) to the c = 0.5 level along +x (a_10), +y (a_01)
and the diagonal at the angle theta_d with tan theta_d = a_01 / a_10 (a_d): c is sampled along each
ray at a tenth of the smallest cell's size and the crossing interpolated linearly (c is P1, linear
inside each cell: exact up to the sampling of the cells' edges).  The area is the integral of c.
"""

from __future__ import annotations

import csv
import math

import numpy as np
from mpi4py import MPI

from dolfinx import fem, geometry

from pf_app.atomic_files import atomic_path
from pf_app.phasefield.output import RunOutput

COLUMNS = ["step", "time", "a_01", "a_10", "a_d", "elastic_free_energy", "gradient_free_energy",
           "precipitate_area", "total_free_energy"]
LEVEL = 0.5  # the benchmark's contour of eta (our c)


class PrecipitateProbe:
    """c along rays from the origin and the c = 0.5 level (module doc), on every rank (collective)."""

    def __init__(self, model, reach: float | None = None):
        self.model = model
        mesh = model.mesh
        self.c = fem.Function(model.V0)
        self.tree = geometry.bb_tree(mesh, mesh.topology.dim)
        tdim = mesh.topology.dim
        n_cells = mesh.topology.index_map(tdim).size_local
        h = mesh.h(tdim, np.arange(n_cells, dtype=np.int32))
        self.step = mesh.comm.allreduce(float(np.min(h, initial=np.inf)), op=MPI.MIN) / 10
        self.reach = reach or mesh.comm.allreduce(float(np.max(np.abs(mesh.geometry.x[:, :2]), initial=0.0)), op=MPI.MAX)

    def _state(self) -> None:
        m = self.model
        self.c.x.array[:] = m.u.x.array[0::m.n_fields]

    def values(self, points: np.ndarray) -> np.ndarray:
        """c at ``points`` (n, 3), the same on every rank."""
        mesh = self.model.mesh
        candidates = geometry.compute_collisions_points(self.tree, points)
        colliding = geometry.compute_colliding_cells(mesh, candidates, points)
        found = np.full(len(points), -np.inf)
        rows = [i for i in range(len(points)) if len(colliding.links(i))]
        if rows:
            cells = np.array([colliding.links(i)[0] for i in rows], dtype=np.int32)
            found[rows] = self.c.eval(points[rows], cells).ravel()
        return mesh.comm.allreduce(found, op=MPI.MAX)

    def extent(self, angle: float) -> float:
        """Distance from the origin to the first c = LEVEL crossing along the ray at ``angle`` (radians)."""
        s = np.arange(0.0, self.reach, self.step)
        points = np.zeros((len(s), 3))
        points[:, 0], points[:, 1] = s * math.cos(angle), s * math.sin(angle)
        c = self.values(points)
        below = np.flatnonzero(c < LEVEL)
        if len(below) == 0 or below[0] == 0:
            return float("nan")
        i = below[0]
        return float(s[i - 1] + (c[i - 1] - LEVEL) / (c[i - 1] - c[i]) * (s[i] - s[i - 1]))

    def measure(self) -> dict:
        """The benchmark's quantities at the model's current state ``u`` (every rank)."""
        m = self.model
        self._state()
        a10, a01 = self.extent(0.0), self.extent(math.pi / 2)
        ad = self.extent(math.atan2(a01, a10))
        parts = m.energy_parts()
        return {"a_01": a01, "a_10": a10, "a_d": ad, "elastic_free_energy": parts["elastic_energy"],
                "gradient_free_energy": parts["gradient_energy"], "precipitate_area": m.mass(),
                "total_free_energy": m.energy()}

    def contour(self) -> np.ndarray:
        """The c = LEVEL line at the state u, (n, 2) points in traversal order (rank 0; empty elsewhere):
        matplotlib's contour of the gathered P1 field, the longest path."""
        import matplotlib.tri as mtri

        from pf_app.viz.figures import subplots

        self._state()
        mesh = self.model.mesh
        V0 = self.model.V0
        n_cells = mesh.topology.index_map(mesh.topology.dim).size_local
        cells = V0.dofmap.list[:n_cells]
        parts = mesh.comm.gather((V0.tabulate_dof_coordinates()[:, :2], self.c.x.array.copy(), cells), root=0)
        if mesh.comm.rank != 0:
            return np.empty((0, 2))
        offset, xs, cs, tris = 0, [], [], []
        for x, c, t in parts:
            xs.append(x)
            cs.append(c)
            tris.append(t + offset)
            offset += len(x)
        tri = mtri.Triangulation(np.concatenate(xs)[:, 0], np.concatenate(xs)[:, 1], np.concatenate(tris))
        _, ax = subplots(figsize=(4.0, 4.0))  # a Figure without pyplot: no backend chosen for the user
        lines = ax.tricontour(tri, np.concatenate(cs), levels=[LEVEL]).allsegs[0]
        return max(lines, key=len) if lines else np.empty((0, 2))


class PFHub4Output(RunOutput):
    """A run's results (:class:`RunOutput`) plus pfhub4.csv and contour.csv (module doc)."""

    def __init__(self, directory, model, config, resume: bool):
        super().__init__(directory, model, config, resume)
        self.probe = PrecipitateProbe(model)
        self.logs["pfhub4.csv"] = COLUMNS

    def log_energy(self, row: dict) -> None:
        super().log_energy(row)
        self._append("pfhub4.csv", COLUMNS, {"step": row["step"], "time": row["t"], **self.probe.measure()})

    def close(self) -> None:
        self.model.u.x.array[:] = self.model.u_n.x.array
        points = self.probe.contour()
        if self.root and len(points):
            with atomic_path(self.dir / "contour.csv") as tmp, open(tmp, "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["x", "y"])
                w.writerows(points.tolist())
        super().close()


def read_pfhub4(directory) -> dict[str, np.ndarray]:
    """pfhub4.csv of a run as columns."""
    with open(f"{directory}/pfhub4.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) for r in rows]) for k in COLUMNS}

