"""``pf_app mc <config.yaml>``: a Monte Carlo campaign (under ``mpirun -n N`` for MPI ranks)."""

from __future__ import annotations

import argparse

from pf_app.cli import add_config_options


def register(sub) -> None:
    p = sub.add_parser("mc", help="Monte Carlo campaign on a cluster expansion of any lattice (umbrella or "
                       "semi-grand-canonical)",
                       description="Runs the missing state points of a campaign and appends their rows to "
                       "output.table; run it again to resume.  See docs/montecarlo.md.")
    p.add_argument("config", help="campaign file, e.g. inputs/mc_b2_umbrella.yaml")
    p.add_argument("--plots-only", action="store_true",
                   help="only (re)write the HDF5 copy and the plots from the existing table")
    p.add_argument("--show-model", action="store_true",
                   help="print the lattice, the orbits with their ECIs and the order-parameter map, then stop")
    add_config_options(p, "sampling.se_target=1e-3", output=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pf_app.config import parse_overrides
    from pf_app.montecarlo.campaign import finish_outputs, run_campaign
    from pf_app.montecarlo.config import load_campaign
    from pf_app.montecarlo.surrogate_config import is_surrogate_mc

    if is_surrogate_mc(args.config):  # kind: surrogate_mc -> fixed-cell MC with a surrogate energy
        from pf_app.montecarlo.surrogate_runner import run_from_args

        return run_from_args(args)
    cfg = load_campaign(args.config, parse_overrides(args.set))
    if args.show_model:
        from pf_app.montecarlo.model import model_of

        print(model_of(cfg, args.config))
        return 0
    if args.plots_only:
        finish_outputs(cfg)
    else:
        run_campaign(cfg, args.config, progress=not args.quiet)
    return 0
