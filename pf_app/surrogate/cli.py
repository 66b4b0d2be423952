"""``pf_app surrogate <config.yaml>``: train, cross-validate (folds in parallel) and report."""

from __future__ import annotations

import os

from pf_app.cli import add_config_options


def register(sub) -> None:
    p = sub.add_parser("surrogate", help="multitask alloy surrogates: train, cross-validate, report")
    p.add_argument("config", help="surrogate file, e.g. inputs/surrogate_cuau.yaml")
    add_config_options(p, "cv.k=3")
    p.add_argument("--verbose", action="store_true",
                   help="also show TensorFlow's own start-up log lines (oneDNN, absl), hidden by default")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from pf_app.config import parse_overrides
    from pf_app.surrogate.config import load_config

    overrides = parse_overrides(args.set)
    cfg = load_config(args.config, overrides)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.verbose:  # read by every process that imports TensorFlow (the workers inherit it)
        from pf_app.surrogate.tensorflow_import import VERBOSE_ENV

        os.environ[VERBOSE_ENV] = "1"
    from pf_app.surrogate.runner import run_surrogate

    output = Path(args.output) if args.output else cfg.output.directory
    summary = run_surrogate(cfg, output, progress=not args.quiet, config_file=args.config)
    from pf_app.surrogate.report import to_markdown

    if "cv_rmse" in summary:
        print(to_markdown(summary["cv_rmse"]))
    for method, final in summary["final_models"].items():
        print(f"final model {method}: test RMSE " + ", ".join(f"{q} {v:.4g}" for q, v in final["rmse_test"].items())
              + " (meV/cell, e/site, mu_B/site)")
    print(f"report in {output}")
    return 0
