"""Multitask surrogates of alloy properties (energy, per-site charge, per-site moment) trained on DFT.

Modules (one job each): ``structures`` lattices and site order; ``lsms`` and ``atoms_io`` loaders;
``datasets`` de-duplication, stratified selection, splits, standardization; ``pairmodel`` the
linear pair baseline; ``labelers`` the built-in lattice labeler; ``model`` / ``training`` Keras
(TensorFlow imported there only); ``evaluator`` numpy forward pass; ``search`` constructive
hyperparameter search; ``cv`` parallel k-fold; ``report`` tables and figures; ``runner`` / ``cli``.
"""
