"""Monte Carlo data generation on a BCC cluster expansion (umbrella and semi-grand-canonical).

Conventions (see ``docs/montecarlo.md``): sublattice 1 = cube corners, sublattice 2 = body centres,
occupation sigma = +1 for B and -1 for A, x_i = B fraction on sublattice i,
c = (x1 + x2)/sqrt2, eta = (x1 - x2)/sqrt2; every cluster is counted once in the total energy and
energies are reported per site.
"""
