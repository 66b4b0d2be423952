"""Figures: off-screen pyvista snapshots (no DOLFINx, no MPI: safe to run in a child process) and
matplotlib figures written to files without pyplot or a backend switch (``figures``)."""
