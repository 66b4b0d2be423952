"""Off-screen PNG snapshots of a field, rendered with pyvista in a child process.

Rendering runs in its own interpreter (``python -m pf_app.viz.snapshot``) because VTK's headless
OpenGL crashes (SIGSEGV) in a process that has loaded TensorFlow, and because a picture must never
take a long simulation down with it: a failed render is reported and the run goes on.  The child
gets the environment without the MPI launcher's variables, so it never tries to join the job.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from pf_app.atomic_files import atomic_path

_LAUNCHER_PREFIXES = ("PMI_", "PMIX_", "HYDRA_", "MPIR_", "OMPI_", "MPICH_")
VERTICAL_BAR = {"vertical": True, "position_x": 0.86, "position_y": 0.2, "width": 0.06, "height": 0.6, "fmt": "%.3g"}


def render_in_subprocess(parts, name: str, path: Path, t: float) -> bool:
    """Render gathered (topology, cell types, points, values) pieces to ``path``; False on failure."""
    cells, types, points, values, offset = [], [], [], [], 0
    for topo, ctype, x, vals in parts:
        cells.append(np.column_stack([np.full(len(topo), topo.shape[1]), topo + offset]).ravel())
        types.append(ctype)
        points.append(x)
        values.append(vals[: len(x)])
        offset += len(x)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "field.npz"
        np.savez(data, cells=np.concatenate(cells), types=np.concatenate(types), points=np.vstack(points),
                 values=np.concatenate(values))
        env = {k: v for k, v in os.environ.items() if not k.startswith(_LAUNCHER_PREFIXES)}
        out = subprocess.run([sys.executable, "-m", "pf_app.viz.snapshot", str(data), str(path), name, repr(t)],
                             capture_output=True, text=True, timeout=300, env=env)
    if out.returncode != 0:
        print(f"warning: snapshot {path} not rendered (exit {out.returncode}): {out.stderr.strip()[-300:]}",
              file=sys.stderr, flush=True)
    return out.returncode == 0


def render(data: Path, path: Path, name: str, t: float) -> None:
    import pyvista
    from vtkmodules.vtkCommonCore import vtkLogger

    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_ERROR)  # no "bad X server" noise: VTK falls back headless
    d = np.load(data)
    grid = pyvista.UnstructuredGrid(d["cells"], d["types"], d["points"])
    grid.point_data[name] = d["values"]
    cmap = "RdBu_r" if name != "c" else "viridis"
    # A vertical bar at the right (a horizontal bar's title overlaps its middle label); the time goes in
    # a corner caption.
    bar = {"title": name, **VERTICAL_BAR}
    if np.ptp(grid.points[:, 2]) == 0:  # 2D: the field on the plane
        plotter = pyvista.Plotter(off_screen=True, window_size=(800, 700))
        plotter.add_mesh(grid, scalars=name, cmap=cmap, show_scalar_bar=True, scalar_bar_args=bar)
        plotter.add_text(f"{name}, t = {t:.4g}", position="upper_left", font_size=11)
        plotter.view_xy()
    else:
        plotter = _volume_views(grid, name, t, cmap, bar)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        plotter.screenshot(str(tmp))
    plotter.close()


def _volume_views(grid, name: str, t: float, cmap: str, bar: dict):
    """3D: three orthogonal slices through the box centre (left) and an iso-surface inside the box
    outline, coloured by height (right): for an order parameter field = 0 (the antiphase boundaries),
    for c the middle of its range (min + max) / 2, the interface between two phases (a spinodal
    structure, precipitates of any volume fraction)."""
    import pyvista

    plotter = pyvista.Plotter(off_screen=True, window_size=(1400, 650), shape=(1, 2))
    values = grid.point_data[name]
    clim = [float(np.min(values)), float(np.max(values))]
    plotter.add_mesh(grid.slice_orthogonal(), scalars=name, cmap=cmap, clim=clim, lighting=False, scalar_bar_args=bar)
    plotter.add_mesh(grid.outline(), color="black")
    plotter.add_text(f"{name}, t = {t:.4g}: slices through the centre", position="upper_left", font_size=11)
    plotter.view_isometric()
    plotter.subplot(0, 1)
    plotter.add_mesh(grid.outline(), color="black")
    level, label = ((sum(clim) / 2, "interfaces") if name == "c" else
                    (0.0, "antiphase boundaries") if name != "mu" else (None, ""))
    surface = grid.contour([level], scalars=name) if level is not None and clim[0] < level < clim[1] else None
    if surface is not None and surface.n_points:
        surface.point_data["height"] = surface.points[:, 2]
        plotter.add_mesh(surface, scalars="height", cmap="cividis", smooth_shading=True,
                         scalar_bar_args={"title": "height z", **VERTICAL_BAR})
        plotter.add_text(f"{name} = {level:.4g}: {label}", position="upper_left", font_size=11)
    else:
        plotter.add_text(f"{name}: no iso-surface", font_size=10)
    plotter.view_isometric()
    return plotter


if __name__ == "__main__":
    render(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], float(sys.argv[4]))
