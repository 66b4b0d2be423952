"""Integrable deep neural networks: a network that *is* the free energy, trained on its derivatives.

``weights`` holds the framework-neutral JSON format and a numpy evaluator (no TensorFlow), which the
phase-field path uses; training code imports TensorFlow and lives in its own modules.
"""
