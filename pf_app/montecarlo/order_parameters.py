"""Order parameters eta = Q x from the sublattice compositions x of an ordering cell (CASM / mechanoChemML).

The ordering cell is an integer matrix ``O`` on the primitive cell (``O @ cell``); its S sites are the
sublattices (numbered as in ``lattice.py``: primitive cell r inside the ordering cell, then active
basis site).  ``x_s`` is the fraction of the *second* species of the sublattice (sigma = +1) on
sublattice s.  ``Q`` is S x S and invertible, so ``x = Q^-1 eta`` and every x maps to one eta.

Instances: B2 on the BCC conventional cell (S = 2): ``Q = [[1, 1], [1, -1]] / sqrt2`` gives
(c, eta); FCC on its conventional cubic cell (S = 4):
``Q = 1/4 [[1,1,1,1],[1,1,-1,-1],[1,-1,-1,1],[1,-1,1,-1]]`` gives (composition, eta1, eta2, eta3).
A row of Q with all entries equal is *composition-like* (conserved by sublattice permutations); the
others are *ordering* parameters (their sign flips between variants, so SGC rows also report <|eta|>).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SINGULAR_RCOND = 1e-10  # Q with 1/condition number below this is refused (x = Q^-1 eta would be meaningless)


@dataclass(frozen=True)
class OrderParameterMap:
    """Ordering cell (integer 3 x 3 on the primitive cell), Q (S x S), one name per order parameter."""

    cell: np.ndarray
    Q: np.ndarray
    names: tuple[str, ...]

    def __post_init__(self):
        object.__setattr__(self, "cell", np.asarray(self.cell, int).reshape(3, 3))
        object.__setattr__(self, "Q", np.atleast_2d(np.asarray(self.Q, float)))
        object.__setattr__(self, "names", tuple(self.names))
        s = self.Q.shape
        if s[0] != s[1] or np.linalg.cond(self.Q) * SINGULAR_RCOND > 1:
            raise ValueError(f"Q must be square and invertible, got shape {s}")
        if len(self.names) != s[0]:
            raise ValueError(f"{s[0]} order parameters but {len(self.names)} names")

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def Q_inv(self) -> np.ndarray:
        return np.linalg.inv(self.Q)

    def eta(self, x) -> np.ndarray:
        """eta = Q x for fractions x of shape (..., S)."""
        return np.asarray(x, float) @ self.Q.T

    def fractions(self, eta) -> np.ndarray:
        """x = Q^-1 eta for order parameters of shape (..., S)."""
        return np.asarray(eta, float) @ self.Q_inv.T

    @property
    def is_composition(self) -> np.ndarray:
        """True for rows of Q with all entries equal (composition-like order parameters)."""
        return np.all(np.isclose(self.Q, self.Q[:, :1]), axis=1)

    def in_domain(self, eta, tol: float = 1e-9) -> np.ndarray:
        """True where x = Q^-1 eta lies in [0, 1]^S, shape (...)."""
        x = self.fractions(eta)
        return np.all((x >= -tol) & (x <= 1 + tol), axis=-1)

    def __str__(self) -> str:
        rows = [f"Order parameters (ordering cell {self.cell.tolist()} on the primitive cell; eta = Q x):"]
        for name, q in zip(self.names, self.Q):
            rows.append(f"  {name:>8s} = " + " ".join(f"{v:+.6f}" for v in q) + " . x")
        return "\n".join(rows)
