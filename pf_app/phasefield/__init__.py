"""Phase-field engine: mixed Cahn-Hilliard / Allen-Cahn in DOLFINx, PETSc SNES, adaptive time steps."""
