"""Learning-curve figures (PNG files, see ``pf_app.viz.figures``): one run, and the IDNN vs standard DNN study.

The minibatch phase is drawn against epochs and the L-BFGS phase (if any) against its iterations,
in a second panel.
"""

from __future__ import annotations

from pathlib import Path

from pf_app.viz.figures import save_figure, subplots

_PHASES = (("epochs", "epoch", "epoch"), ("lbfgs", "step", "L-BFGS iteration"))


def _panels(histories):
    """Figure with one panel per phase present in any history; returns (fig, [(ax, phase, xkey)])."""
    phases = [p for p in _PHASES if p[0] == "epochs" or any(r["phase"] == p[0] for h in histories for r in h.rows)]
    fig, axes = subplots(1, len(phases), figsize=(5 + 4.5 * (len(phases) - 1), 4), squeeze=False)
    for ax, (_, _, xlabel) in zip(axes[0], phases):
        ax.set_xlabel(xlabel)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("validation MSE of mu")
    return fig, [(ax, phase, xkey) for ax, (phase, xkey, _) in zip(axes[0], phases)]


def _rows(history, phase):
    keep = (phase, "start") if phase == "epochs" else (phase,)
    return [r for r in history.rows if r["phase"] in keep]


def learning_curve(history, path: str | Path) -> None:
    """Validation MSE of mu (total and per component) and the scaled training loss."""
    fig, panels = _panels([history])
    for ax, phase, xkey in panels:
        rows = _rows(history, phase)
        x = [r[xkey] for r in rows]
        ax.semilogy(x, [r["val_mse"] for r in rows], "k-", label="validation MSE of mu (sum over k)")
        for name in history.order_parameters:
            ax.semilogy(x, [r[f"val_mse_{name}"] for r in rows], "--", label=f"validation MSE of mu_{name}")
        ax.semilogy(x, [r["train_loss"] for r in rows], ":", label="training loss (scaled)")
    panels[0][0].legend(fontsize=7)
    fig.suptitle(f"learning curve (stopped: {history.stopped_by})")
    fig.tight_layout()
    save_figure(fig, path)


def comparison(curves: dict[str, list], path: str | Path) -> None:
    """``curves``: label -> list of histories; all validation curves, one colour per label."""
    fig, panels = _panels([h for hs in curves.values() for h in hs])
    for (label, histories), colour in zip(curves.items(), ("tab:blue", "tab:red", "tab:green")):
        for i, h in enumerate(histories):
            for ax, phase, xkey in panels:
                rows = _rows(h, phase)
                ax.semilogy([r[xkey] for r in rows], [r["val_mse"] for r in rows], color=colour, alpha=0.7,
                            label=f"{label} ({len(histories)} seeds)" if i == 0 else None)
    panels[0][0].legend()
    fig.tight_layout()
    save_figure(fig, path)
