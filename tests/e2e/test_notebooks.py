"""Execute every notebook in notebooks/ (nbclient, the venv's python3 kernel): they read the shipped files
(data/b2, models/) and call pf_app; each must run without error in well under a minute."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
# the phase-field notebook runs two reduced cases itself (~1 min on 2 busy cores): slow
PARAMS = [pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if "phasefield" in p.stem else []) for p in NOTEBOOKS]


@pytest.mark.parametrize("path", PARAMS)
def test_notebook_runs(path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=240,
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError naming the cell on any error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
