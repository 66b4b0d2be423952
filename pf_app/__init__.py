"""pf_app: from atoms to microstructures.

Stages (each a sub-package, joined only through documented files):
``montecarlo`` (umbrella MC -> chemical-potential tables), ``idnn`` and ``bspline`` (tables -> free
energy model files), ``freeenergy`` (model files -> UFL + numpy), ``phasefield`` (DOLFINx CH/AC
solver), ``surrogate`` (multitask networks for DFT properties).
"""

__version__ = "0.1.0"
