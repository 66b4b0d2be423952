"""Figures: off-screen pyvista snapshots (no DOLFINx, no MPI: safe to run in a child process)."""
