"""TensorFlow and Keras imported without their start-up log lines.

Importing TensorFlow (2.21) prints lines such as ``WARNING: All log messages before
absl::InitializeLog() is called are written to STDERR`` and ``I0000 ... port.cc:153] oneDNN custom
operations are on ...`` from C++ straight to file descriptor 2; ``TF_CPP_MIN_LOG_LEVEL`` does not
hold them back (tensorflow/tensorflow#100442).  :func:`tensorflow_and_keras` points descriptor 2
at a temporary file while the modules load, so a user sees only pf_app's lines; the captured text is
written out after all when the import fails, or always when the environment variable
``PF_APP_TENSORFLOW_LOG=1`` is set (``pf_app surrogate --verbose`` sets it, also for the
cross-validation workers it starts).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

VERBOSE_ENV = "PF_APP_TENSORFLOW_LOG"


@contextlib.contextmanager
def descriptor_2_captured():
    """Everything written to file descriptor 2 (C++ or Python) inside the block goes to a temporary
    file; yields a list that holds the captured text when the block ends."""
    captured: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.append(sink.read().decode(errors="replace"))


def tensorflow_and_keras():
    """``(tensorflow, keras)``, imported quietly unless ``PF_APP_TENSORFLOW_LOG=1``."""
    if "tensorflow" in sys.modules or os.environ.get(VERBOSE_ENV) == "1":
        import keras
        import tensorflow

        return tensorflow, keras
    log: list[str] = []
    try:
        with descriptor_2_captured() as log:
            import keras
            import tensorflow
    except BaseException:
        sys.stderr.write("".join(log))  # the reason may be in TensorFlow's own lines
        raise
    return tensorflow, keras
