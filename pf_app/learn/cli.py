"""``pf_app learn <config.yaml>``: active learning of a free energy (docs/learn.md)."""

from __future__ import annotations

from pf_app.cli import add_config_options


def register(sub) -> None:
    p = sub.add_parser("learn", help="active learning of g: choose points, Monte Carlo, train an IDNN committee, "
                                     "repeat (resumable)")
    p.add_argument("config", help="loop config, e.g. inputs/learn_b2.yaml")
    add_config_options(p, "stop.max_points=2000")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from pf_app.config import parse_overrides
    from pf_app.learn.config import load_learn_config
    from pf_app.learn.loop import run_loop

    overrides = parse_overrides(args.set)
    if args.output:
        overrides["output.directory"] = args.output
    cfg = load_learn_config(args.config, overrides)
    print(json.dumps(run_loop(cfg, args.config, progress=not args.quiet)))
    return 0
