"""One way to call spglib (the crystal-symmetry library) from pf_app."""

from __future__ import annotations

import warnings


def spglib_call(name: str, *args, **kw):
    """``spglib.<name>(...)``.  spglib's global error mode is left alone (several modules rely on
    it): its deprecation warning about that mode is silenced around the call; a None result (spglib's
    way of failing) is an error carrying spglib's message."""
    import spglib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        out = getattr(spglib, name)(*args, **kw)
    if out is None:
        raise ValueError(f"spglib.{name} failed: {spglib.get_error_message()}")
    return out
