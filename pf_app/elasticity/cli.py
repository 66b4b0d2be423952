"""``pf_app pfhub4 <case.yaml>``: a phase-field run that also writes PFHub benchmark 4's quantities."""

from __future__ import annotations

from pf_app.cli import add_config_options


def register(sub) -> None:
    p = sub.add_parser("pfhub4", help="run a PFHub benchmark 4 case (an elastic precipitate) and write the "
                       "benchmark's CSV files (pfhub4.csv every step, contour.csv at the end)")
    p.add_argument("config", help="case file, e.g. inputs/pfhub_4a.yaml")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in the output folder")
    add_config_options(p, "time.t_end=1000")
    p.set_defaults(func=run)


def run(args) -> int:
    from pf_app.elasticity.pfhub4 import PFHub4Output
    from pf_app.phasefield.cli import run as run_case

    return run_case(args, output_type=PFHub4Output)
