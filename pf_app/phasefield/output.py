"""Results of a run in ``results/<run>/``.

* ``fields.bp`` (VTX/ADIOS2; ParaView's ADIOS2VTXReader, or pyvista): c, mu and every eta on the
  full (real) mesh at every ``fields_every`` steps; a resumed run writes ``fields.resume<k>.bp``.
* ``energy.csv``: step, t, dt, energy (total free energy), mass (integral of c), mean |eta_i|,
  Newton iterations, wall seconds; flushed every step, trimmed to the checkpoint on resume.
* ``snapshots/<field>_<step>.png``: off-screen pyvista pictures (rank 0 gathers the mesh).
* ``config.yaml``: the resolved configuration; ``checkpoint.npz``: the state for ``--resume``,
  stored as node coordinates and values so any number of ranks can read it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import yaml
from scipy.spatial import cKDTree

import dolfinx
from dolfinx import fem

from pf_app.config import to_dict
from pf_app.atomic_files import atomic_path, write_text_atomic
from pf_app.viz.snapshot import render_in_subprocess

ENERGY_COLUMNS = ["step", "t", "dt", "energy", "mass", "newton_iterations", "wall_seconds"]


class RunOutput:
    def __init__(self, directory: Path, model, config, resume: bool):
        self.dir = Path(directory)
        self.model, self.comm = model, model.mesh.comm
        self.root = self.comm.rank == 0
        self.columns = ENERGY_COLUMNS[:5] + [f"mean_abs_{n}" for n in model.cfg.fields.order_parameters] \
            + ENERGY_COLUMNS[5:]
        if self.root:
            self.dir.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.dir / "config.yaml", yaml.safe_dump(to_dict(config), sort_keys=False))
        self.comm.barrier()
        collapsed = [model.V.sub(i).collapse() for i in range(model.n_fields)]
        self.maps = [m for _, m in collapsed]
        self.fields = [fem.Function(V, name=n) for (V, _), n in zip(collapsed, model.field_names())]
        segment = 0
        if resume:
            segment = 1 + sum(1 for _ in self.dir.glob("fields.resume*.bp"))
        name = "fields.bp" if segment == 0 else f"fields.resume{segment}.bp"
        self.vtx = dolfinx.io.VTXWriter(self.comm, str(self.dir / name), self.fields, engine="BP4")

    # ---- time series ------------------------------------------------------------------------------
    def write_fields(self, t: float) -> None:
        for f, m in zip(self.fields, self.maps):
            f.x.array[:] = self.model.u_n.x.array[m]
        self.vtx.write(t)

    def start_energy_log(self, keep_until_step: int | None) -> None:
        """Create energy.csv, or on resume keep only the rows up to the checkpoint's step."""
        if not self.root:
            return
        path = self.dir / "energy.csv"
        rows = []
        if keep_until_step is not None and path.exists():
            with open(path) as fh:
                rows = [r for r in csv.DictReader(fh) if int(r["step"]) <= keep_until_step]
        with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
            w = csv.DictWriter(fh, self.columns)
            w.writeheader()
            w.writerows(rows)

    def log_energy(self, row: dict) -> None:
        if self.root:
            with open(self.dir / "energy.csv", "a", newline="") as fh:
                csv.DictWriter(fh, self.columns).writerow({k: row[k] for k in self.columns})

    def close(self) -> None:
        self.vtx.close()

    # ---- pictures ---------------------------------------------------------------------------------
    def snapshot(self, step: int, t: float) -> None:
        """PNG of each field (except mu) rendered off-screen by rank 0."""
        import dolfinx.plot

        for f, name in zip(self.fields, self.model.field_names()):
            if name == "mu":
                continue
            f.x.array[:] = self.model.u_n.x.array[self.maps[self.model.field_names().index(name)]]
            topology, cell_types, x = dolfinx.plot.vtk_mesh(f.function_space)
            n_owned_cells = self.model.mesh.topology.index_map(self.model.mesh.topology.dim).size_local
            per_cell = len(topology) // len(cell_types)
            topology = topology[: n_owned_cells * per_cell].reshape(n_owned_cells, per_cell)
            parts = self.comm.gather((topology[:, 1:], cell_types[:n_owned_cells], x, f.x.array.copy()), root=0)
            if self.root:
                render_in_subprocess(parts, name, self.dir / "snapshots" / f"{name}_{step:06d}.png", t)

    # ---- checkpoints ------------------------------------------------------------------------------
    def node_coordinates(self) -> np.ndarray:
        imap = self.model.V.dofmap.index_map
        return self.model.V.tabulate_dof_coordinates()[: imap.size_local + imap.num_ghosts]

    def save_checkpoint(self, state: dict) -> None:
        """Gather owned nodes (coordinates, u_n, u_nm1) to rank 0 and write checkpoint.npz atomically."""
        V = self.model.V
        n_owned, bs = V.dofmap.index_map.size_local, V.dofmap.index_map_bs
        x = self.node_coordinates()[:n_owned]
        cur = self.model.u_n.x.array[: n_owned * bs].reshape(n_owned, bs)
        prev = self.model.u_nm1.x.array[: n_owned * bs].reshape(n_owned, bs)
        parts = self.comm.gather((x, cur, prev), root=0)
        if self.root:
            arrays = {k: np.concatenate([p[i] for p in parts]) for i, k in enumerate(("coords", "u_n", "u_nm1"))}
            with atomic_path(self.dir / "checkpoint.npz") as tmp:
                np.savez(tmp, **arrays, state=np.array(yaml.safe_dump(state)))
        self.comm.barrier()

    def load_checkpoint(self) -> dict:
        """Restore u_n, u_nm1 from checkpoint.npz on any number of ranks; return the saved state."""
        path = self.dir / "checkpoint.npz"
        if not path.exists():
            from pf_app.config import ConfigError

            raise ConfigError(path, "<file>", "a checkpoint to resume from (run without --resume first)",
                              "missing")
        data = np.load(path)
        tree = cKDTree(data["coords"])
        coords = self.node_coordinates()
        dist, idx = tree.query(coords)
        if np.max(dist, initial=0.0) > 1e-8 * max(1.0, float(np.ptp(data["coords"]))):
            raise RuntimeError(f"{path}: checkpoint nodes do not match this mesh")
        for name, fn in (("u_n", self.model.u_n), ("u_nm1", self.model.u_nm1)):
            fn.x.array[:] = data[name][idx].ravel()
            fn.x.scatter_forward()
        return yaml.safe_load(str(data["state"]))

