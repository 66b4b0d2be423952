"""Results of a run in ``results/<run>/``.

* ``fields.bp`` (VTX/ADIOS2; ParaView's ADIOS2VTXReader, or pyvista): c, mu, every eta (and the
  displacement components u_x, u_y, u_z: the periodic part w on periodic boxes) on the
  full (real) mesh at every ``fields_every`` steps and at ``output.times``; a resumed run writes
  ``fields.resume<k>.bp``.  Not created when a run writes no fields.
* ``energy.csv``: step, t, dt, energy (total free energy), mass (integral of c), mean |eta_i|,
  with elasticity the gradient and the elastic energy (``gradient_energy``, ``elastic_energy``),
  Newton iterations, rejected attempts so far, wall seconds; one row per accepted step, flushed
  every step, trimmed to the checkpoint on resume (incomplete rows of a killed run are dropped).
* ``rejected.csv``: one row per rejected attempt (the step it tried, t, dt, Newton iterations, the
  error estimate, why, wall seconds): with energy.csv's wall column it adds up to the run's time.
* ``free_energy.csv``: ``time,free_energy`` of every accepted step, the format PFHub uploads take,
  rewritten with every checkpoint.
* ``snapshots/<field>_<step>.png``: off-screen pyvista pictures (rank 0 gathers the mesh).
* ``config.yaml``: the resolved configuration; ``checkpoint.npz``: the state for ``--resume``
  (format ``pf_app.phasefield.checkpoint`` version 1, docs/formats.md), stored as node coordinates
  and values so any number of ranks can read it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import yaml
from scipy.spatial import cKDTree

import dolfinx
from dolfinx import fem

from pf_app.config import ConfigError, to_dict
from pf_app.atomic_files import atomic_path, write_text_atomic
from pf_app.file_format import check_npz_format
from pf_app.viz.snapshot import render_in_subprocess

ENERGY_COLUMNS = ["step", "t", "dt", "energy", "mass", "newton_iterations", "rejected", "wall_seconds"]
REJECTED_COLUMNS = ["step", "t", "dt", "newton_iterations", "error", "reason", "wall_seconds"]
PFHUB_COLUMNS = ["time", "free_energy"]
CHECKPOINT_FORMAT, CHECKPOINT_VERSION = "pf_app.phasefield.checkpoint", 1


class RunOutput:
    def __init__(self, directory: Path, model, config, resume: bool):
        self.dir = Path(directory)
        self.model, self.comm = model, model.mesh.comm
        self.root = self.comm.rank == 0
        self.columns = ENERGY_COLUMNS[:5] + [f"mean_abs_{n}" for n in model.cfg.fields.order_parameters] \
            + list(model.energy_part_forms) + ENERGY_COLUMNS[5:]
        # the CSV logs of a run, file name -> columns (a subclass may add its own: start_logs trims each
        # to the checkpoint's step on resume, _append writes a row)
        self.logs = {"energy.csv": self.columns, "rejected.csv": REJECTED_COLUMNS}
        if resume:
            checked_checkpoint(self.dir)  # before anything is created: a failed --resume leaves no folder
        if self.root:
            self.dir.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.dir / "config.yaml", yaml.safe_dump(to_dict(config), sort_keys=False))
        self.comm.barrier()
        collapsed = [model.V.sub(i).collapse() for i in range(model.n_fields)]
        self.maps = [m for _, m in collapsed]
        self.fields = [fem.Function(V, name=n) for (V, _), n in zip(collapsed, model.field_names())]
        self.resume = resume
        self.vtx = None  # opened at the first field output

    # ---- time series ------------------------------------------------------------------------------
    def write_fields(self, t: float) -> None:
        if self.vtx is None:
            segment = 1 + sum(1 for _ in self.dir.glob("fields.resume*.bp")) if self.resume else 0
            name = "fields.bp" if segment == 0 else f"fields.resume{segment}.bp"
            self.vtx = dolfinx.io.VTXWriter(self.comm, str(self.dir / name), self.fields, engine="BP4")
        for f, m in zip(self.fields, self.maps):
            f.x.array[:] = self.model.u_n.x.array[m]
        self.vtx.write(t)

    def start_logs(self, keep_until_step: int | None) -> None:
        """Create the logs (energy.csv, rejected.csv, and any a subclass adds to ``logs``), or on resume
        keep only their complete rows up to the checkpoint's step (a run killed while writing a row
        leaves a partial last line)."""
        if not self.root:
            return
        for name, columns in self.logs.items():
            path = self.dir / name
            rows = []
            if keep_until_step is not None and path.exists():
                with open(path, newline="") as fh:
                    rows = [r for r in csv.DictReader(fh) if _complete(r) and int(r["step"]) <= keep_until_step]
            with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
                w = csv.DictWriter(fh, columns, extrasaction="ignore")
                w.writeheader()
                w.writerows(rows)

    def log_energy(self, row: dict) -> None:
        """One row of energy.csv at the model's current state (u): ``row`` plus the energy's parts."""
        self._append("energy.csv", self.columns, {**row, **self.model.energy_parts()})

    def log_rejected(self, row: dict) -> None:
        self._append("rejected.csv", REJECTED_COLUMNS, row)

    def _append(self, name: str, columns: list[str], row: dict) -> None:
        if self.root:
            with open(self.dir / name, "a", newline="") as fh:
                csv.DictWriter(fh, columns).writerow({k: row[k] for k in columns})

    def write_pfhub_csv(self) -> None:
        """free_energy.csv (``time,free_energy``, PFHub's upload format) from energy.csv, atomically."""
        if not self.root:
            return
        with open(self.dir / "energy.csv", newline="") as fh:
            rows = [(r["t"], r["energy"]) for r in csv.DictReader(fh) if _complete(r)]
        with atomic_path(self.dir / "free_energy.csv") as tmp, open(tmp, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(PFHUB_COLUMNS)
            w.writerows(rows)

    def close(self) -> None:
        if self.vtx is not None:
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

    def save_checkpoint(self, state: dict, functions: dict) -> None:
        """Gather owned nodes (coordinates and the ``functions``: name -> Function, e.g. u_n, u_nm1)
        to rank 0 and write checkpoint.npz atomically; then free_energy.csv to match."""
        V = self.model.V
        n_owned, bs = V.dofmap.index_map.size_local, V.dofmap.index_map_bs
        x = self.node_coordinates()[:n_owned]
        values = [f.x.array[: n_owned * bs].reshape(n_owned, bs) for f in functions.values()]
        parts = self.comm.gather((x, *values), root=0)
        if self.root:
            names = ("coords", *functions)
            arrays = {k: np.concatenate([p[i] for p in parts]) for i, k in enumerate(names)}
            with atomic_path(self.dir / "checkpoint.npz") as tmp:
                np.savez(tmp, **arrays, state=np.array(yaml.safe_dump(state)),
                         format=np.array(CHECKPOINT_FORMAT), version=np.array(CHECKPOINT_VERSION))
        self.write_pfhub_csv()
        self.comm.barrier()

    def load_checkpoint(self, functions: dict) -> dict:
        """Restore the ``functions`` (name -> Function) from checkpoint.npz on any number of ranks
        (a name the checkpoint lacks is left as it is); return the saved state."""
        path = checked_checkpoint(self.dir)
        data = np.load(path)
        tree = cKDTree(data["coords"])
        coords = self.node_coordinates()
        dist, idx = tree.query(coords)
        if np.max(dist, initial=0.0) > 1e-8 * max(1.0, float(np.ptp(data["coords"]))):
            raise RuntimeError(f"{path}: checkpoint nodes do not match this mesh")
        for name, fn in functions.items():
            if name not in data:
                continue
            fn.x.array[:] = data[name][idx].ravel()
            fn.x.scatter_forward()
        return yaml.safe_load(str(data["state"]))


def checked_checkpoint(directory: Path) -> Path:
    """The path of ``directory``/checkpoint.npz.  A missing one (``--resume`` of a run that never started)
    or one of another format or version is an input error; one without format and version (written
    before they were added) is version 1."""
    path = Path(directory) / "checkpoint.npz"
    if not path.exists():
        raise ConfigError(path, "<file>", "a checkpoint to resume from (run without --resume first)", "missing")
    check_npz_format(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION)
    return path


def _complete(row: dict) -> bool:
    """A CSV row with every column present and a whole step number (not the tail of a killed write)."""
    if None in row or any(v is None for v in row.values()):
        return False
    try:
        int(row["step"])
        float(row.get("t", 0.0) or 0.0)
    except ValueError:
        return False
    return True
