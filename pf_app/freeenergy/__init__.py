"""Free energies per site g(c, eta_1..eta_N) behind one interface: a UFL expression for the solver and
a numpy twin (value, gradient, Hessian) for plots, tests and quadrature-point evaluation.

Model files are read here without TensorFlow: IDNN weights (``pf_app.idnn`` JSON or mechanoChemIGA
text), B-spline JSON, and text formulas / Landau polynomials from the case YAML.
"""
