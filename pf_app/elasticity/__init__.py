"""Small-strain linear elasticity with eigenstrains in the phase-field variables (issue 22).

``stiffness`` (6x6 Voigt matrices by symmetry class and their rotation), ``eigenstrain`` (tensor
components as formulas in c and eta_i), ``config`` (the case's ``elasticity:`` block), ``forms`` (the
elastic energy density, the displacement residual and the elastic driving forces in UFL),
``solver`` (mechanical equilibrium for given c, eta), ``analytic`` (closed-form solutions the tests
compare with).  Conventions and units: docs/elasticity.md.
"""
