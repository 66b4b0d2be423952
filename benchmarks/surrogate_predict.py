"""Predictions per second on CPU of the default surrogate (ECM, trunk 512-512, heads 512/3).

Prints one JSON object per line: the numpy evaluator (TensorFlow-free) and a compiled tf.function,
both batched (8192 configurations per call).  Baseline: the seed's quoted ~1 s per prediction on a
V100, i.e. 1 configuration/s; ratio = value / baseline.  Goal: >= 1e5 configurations/s.
Weights are random: the speed does not depend on training.
Run: .venv/bin/python benchmarks/surrogate_predict.py
"""

from __future__ import annotations

import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

N_CONFIGS = 200_000
SEED_PER_SECOND = 1.0


def main() -> None:
    import tensorflow as tf

    from pf_app.surrogate.config import NetworkConfig
    from pf_app.surrogate.evaluator import NumpySurrogate
    from pf_app.surrogate.labelers import LatticeLabeler
    from pf_app.surrogate.model import build_model, limit_threads
    from pf_app.surrogate.structures import lsms_cuau_lattice, one_hot

    limit_threads(2)
    lattice = lsms_cuau_lattice()
    labeler = LatticeLabeler.load()
    numbers = labeler.random_configurations(lattice, N_CONFIGS, np.random.default_rng(0))
    x = one_hot(numbers, labeler.species)
    model = build_model("ECM", lattice.n_sites, 2, NetworkConfig())

    fast = NumpySurrogate.from_keras(model, labeler.species)
    fast.predict_one_hot(x[:8192])  # warm-up
    t0 = time.perf_counter()
    fast.predict_one_hot(x)
    emit("surrogate_predict_numpy", N_CONFIGS / (time.perf_counter() - t0))

    compiled = tf.function(lambda batch: model(batch, training=False), jit_compile=False)
    batches = [tf.constant(x[i:i + 8192]) for i in range(0, N_CONFIGS, 8192)]
    compiled(batches[0])
    t0 = time.perf_counter()
    for b in batches:
        {k: v.numpy() for k, v in compiled(b).items()}
    emit("surrogate_predict_tf_function", N_CONFIGS / (time.perf_counter() - t0))


def emit(name: str, value: float) -> None:
    print(json.dumps({"name": name, "value": round(value, 1), "unit": "configurations/s",
                      "baseline": SEED_PER_SECOND, "ratio": round(value / SEED_PER_SECOND, 1)}), flush=True)


if __name__ == "__main__":
    main()
