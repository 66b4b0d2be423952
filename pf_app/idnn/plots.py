"""Learning-curve figures (matplotlib, headless): one run, and the IDNN vs standard DNN study."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pf_app.io import atomic_path  # noqa: E402


def _save(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)


def learning_curve(history, path: str | Path) -> None:
    """Validation MSE of mu (and scaled train/val losses) against epoch, then L-BFGS iteration."""
    has_lbfgs = any(r["phase"] == "lbfgs" for r in history.rows)
    fig, axes = plt.subplots(1, 2 if has_lbfgs else 1, figsize=(10 if has_lbfgs else 6, 4), squeeze=False)
    for ax, phase, xkey, xlabel in zip(axes[0], ("epochs", "lbfgs"), ("epoch", "step"),
                                       ("epoch", "L-BFGS iteration")):
        rows = [r for r in history.rows if r["phase"] in (phase, "start")] if phase == "epochs" else \
            [r for r in history.rows if r["phase"] == phase]
        x = [r[xkey] for r in rows]
        ax.semilogy(x, [r["val_mse"] for r in rows], "k-", label="validation MSE of mu (sum over k)")
        for name in history.order_parameters:
            ax.semilogy(x, [r[f"val_mse_{name}"] for r in rows], "--", label=f"validation MSE of mu_{name}")
        ax.semilogy(x, [r["train_loss"] for r in rows], ":", label="training loss (scaled)")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("MSE / loss")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"learning curve (stopped: {history.stopped_by})")
    fig.tight_layout()
    _save(fig, Path(path))


def comparison(curves: dict[str, list], path: str | Path) -> None:
    """``curves``: label -> list of histories; validation MSE against wall time, one colour per label."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for (label, histories), colour in zip(curves.items(), ("tab:blue", "tab:red", "tab:green")):
        for i, h in enumerate(histories):
            ax.loglog([max(r["time_s"], 1e-3) for r in h.rows], [r["val_mse"] for r in h.rows], color=colour,
                      alpha=0.7, label=f"{label} ({len(histories)} seeds)" if i == 0 else None)
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel("validation MSE of mu (sum over k)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    _save(fig, Path(path))
