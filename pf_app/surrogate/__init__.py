"""Multitask surrogates of alloy properties (energy, per-site charge, per-site moment) trained on DFT.

Modules (one job each): ``structures`` lattices and site order; ``lsms`` and ``atoms_io`` loaders;
``site_index`` and ``neighbours`` site lookup and neighbour lists at any cell size; ``datasets``
de-duplication, stratified selection, splits, standardization; ``pairmodel`` the linear pair
baseline; ``labelers`` the built-in lattice labeler; ``model`` / ``training`` Keras (TensorFlow
imported there only, quietly: ``tensorflow_import``); ``evaluator`` numpy forward pass; ``search``
constructive hyperparameter search; ``cv`` parallel k-fold; ``report`` tables and figures;
``runner`` / ``cli``.  The Monte Carlo that runs a trained network lives in ``pf_app.montecarlo``
(``energy_models``, ``fixed_cell_mc``, ``wang_landau``, ``surrogate_runner``).
"""
