"""Phase-field engine: mixed Cahn-Hilliard / Allen-Cahn in DOLFINx, PETSc SNES, adaptive time steps.

Importing this package loads ``dolfinx_solver`` first, as the wheel requires before DOLFINx/PETSc.
"""

import dolfinx_solver  # noqa: F401
