"""``pf_app train <config.yaml>``: fit an IDNN free energy to a chemical-potential table.

``--resume`` continues a stopped training from ``<output>/<name>.checkpoint.npz`` to the same
weights as an uninterrupted run (:mod:`pf_app.idnn.checkpoint`).  ``--compare N`` instead trains
N IDNNs and N standard DNNs from seeds seed..seed+N-1 and writes the comparison figure and summary
(:mod:`pf_app.idnn.compare`).
"""

from __future__ import annotations

from pf_app.cli import add_config_options


def register(sub) -> None:
    p = sub.add_parser("train", help="train an integrable neural network free energy on mu data (TensorFlow)")
    p.add_argument("config", help="training config, e.g. inputs/idnn_b2.yaml")
    p.add_argument("--compare", type=int, metavar="N",
                   help="train N IDNNs and N standard DNNs (different seeds) and plot their learning curves")
    p.add_argument("--resume", action="store_true",
                   help="continue from the training checkpoint in the output folder (<name>.checkpoint.npz)")
    add_config_options(p, "training.epochs=50")
    p.set_defaults(func=run)


def load_config(cls, args):
    from pf_app.config import load, parse_overrides

    overrides = parse_overrides(args.set)
    if args.output:
        overrides["output.directory"] = args.output
    return load(cls, args.config, overrides)


def run(args) -> int:
    import json

    from pf_app.idnn.config import IDNNConfig

    cfg = load_config(IDNNConfig, args)
    if args.compare is not None:
        from pf_app.config import ConfigError
        from pf_app.idnn.compare import run_comparison

        if args.resume:
            raise ConfigError("--resume", "--compare", "no --compare with --resume (comparisons do not checkpoint)",
                              args.compare)
        if args.compare < 1:
            raise ConfigError("--compare", "N", "a count >= 1", args.compare)
        summary = run_comparison(cfg, args.compare, progress=not args.quiet)
        print(json.dumps(summary["files"]))
        return 0
    from pf_app.idnn.train import train

    result = train(cfg, progress=not args.quiet, resume=args.resume)
    errors = result.weights.provenance["final_errors"]
    print(json.dumps({"files": {k: str(v) for k, v in result.paths.items()}, "final_errors": errors,
                      "stopped_by": result.history.stopped_by}))
    return 0
