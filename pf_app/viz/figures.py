"""Matplotlib figures for files: built without pyplot, written atomically as PNG.

Library code never selects a matplotlib backend: a user who imports pf_app in a notebook keeps
their inline figures.  A ``matplotlib.figure.Figure`` made here is not registered with pyplot, so
it needs no backend (``savefig`` draws it with the Agg renderer the file format asks for, with or
without a display) and is freed with its last reference: no ``plt.close``.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from pf_app.atomic_files import atomic_path

DPI = 120  # resolution of every PNG pf_app writes


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], **kwargs):
    """A new figure (not known to pyplot) and its axes: ``(fig, axes)`` as ``plt.subplots`` returns them.

    ``kwargs`` go to ``Figure.subplots`` (``sharex``, ``sharey``, ``squeeze``, ...).
    """
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` atomically (format from the suffix: ``.png``) at ``DPI``; return the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=DPI)
    return path
