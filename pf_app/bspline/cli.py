"""``pf_app bspline <config.yaml>``: fit the tensor-product B-spline baseline with a knot sweep."""

from __future__ import annotations

from pf_app.cli import add_config_options
from pf_app.idnn.cli import load_config


def register(sub) -> None:
    p = sub.add_parser("bspline", help="fit a cubic B-spline free energy in (c, eta^2) to mu data (knot sweep)")
    p.add_argument("config", help="fit config, e.g. inputs/bspline_b2.yaml")
    p.add_argument("--resume", action="store_true",
                   help="continue the sweep from its checkpoint in the output folder (<name>.sweep.checkpoint.json)")
    add_config_options(p, "interior_knots=[8,16]")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from pf_app.bspline.config import BSplineConfig
    from pf_app.bspline.run import run as fit_sweep

    result = fit_sweep(load_config(BSplineConfig, args), progress=not args.quiet, resume=args.resume)
    print(json.dumps({"files": {k: str(v) for k, v in result["paths"].items()}, "best": result["best"]}))
    return 0
