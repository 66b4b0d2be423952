"""Tensor-product B-spline free energy in (c, eta^2): the baseline to the IDNN (scipy, no TensorFlow)."""
