"""Monte Carlo data generation on a cluster expansion of any lattice (umbrella and semi-grand-canonical).

Conventions (see ``docs/montecarlo.md``): a lattice is a primitive cell with basis sites and their
allowed species (two = a binary alloy site, sigma = -1 first species, +1 second); clusters come from
cutoffs and are grouped into orbits by the space group (spglib); order parameters are eta = Q x with
x_s the fraction of the second species on sublattice s of a user-chosen ordering cell; every cluster
is counted once in the total energy and energies are reported per sampled site.

The same package runs Monte Carlo on the networks trained by ``pf_app surrogate`` (``kind:
surrogate_mc`` files): ``energy_models`` (the energy-model interface), ``fixed_cell_mc`` (swap
Metropolis), ``wang_landau``, ``cell_order``, ``surrogate_config`` and ``surrogate_runner``.
"""
