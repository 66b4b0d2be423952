"""Active learning of a free energy: rounds of point choice, Monte Carlo, IDNN committee, evaluation.

``config`` (the YAML), ``sampling`` (where to ask), ``oracles`` (who answers), ``committee`` (the
IDNN ensemble and its export), ``loop`` (rounds on disk, resume), ``report`` (figures), and
``adapters`` (the only contact with :mod:`pf_app.montecarlo` and :mod:`pf_app.idnn`).  See docs/learn.md.
"""
