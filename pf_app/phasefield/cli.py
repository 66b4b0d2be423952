"""``pf_app run <case.yaml>``: a phase-field simulation (use under ``mpirun -n N``)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("run", help="run a phase-field case (Cahn-Hilliard / Allen-Cahn) from a YAML file")
    p.add_argument("config", help="case file, e.g. inputs/b2.yaml")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in the output folder")
    p.add_argument("--output", help="output folder (default: the case's output.directory)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set time.t_end=10 (YAML syntax for VALUE)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def run(args) -> int:
    from pf_app.phasefield.case import load_case
    from pf_app.phasefield.simulation import simulate

    case = load_case(args.config, args.set, args.output)
    simulate(case, resume=args.resume, progress=not args.quiet)
    return 0
