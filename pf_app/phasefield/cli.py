"""``pf_app run <case.yaml>``: a phase-field simulation (use under ``mpirun -n N``)."""

from __future__ import annotations

from pf_app.cli import add_config_options


def register(sub) -> None:
    p = sub.add_parser("run", help="run a phase-field case (Cahn-Hilliard / Allen-Cahn) from a YAML file")
    p.add_argument("config", help="case file, e.g. inputs/b2.yaml")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in the output folder")
    add_config_options(p, "time.t_end=10")
    p.set_defaults(func=run)


def run(args, output_type: type | None = None) -> int:
    """``output_type``: the :class:`pf_app.phasefield.output.RunOutput` that writes the results (None:
    RunOutput itself; commands that add files to a run pass their own)."""
    import sys

    from pf_app.phasefield.case import load_case
    from pf_app.phasefield.output import RunOutput
    from pf_app.phasefield.simulation import StepSizeTooSmall, simulate

    case = load_case(args.config, args.set, args.output)
    try:
        summary = simulate(case, resume=args.resume, progress=not args.quiet, output_type=output_type or RunOutput)
    except StepSizeTooSmall as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        return 3
    import signal

    from mpi4py import MPI

    if MPI.COMM_WORLD.rank == 0 and (not args.quiet or summary.stopped_by):
        total = f", {summary.rejected_total} since t = 0" if summary.rejected_total != summary.rejected else ""
        print(f"{case.config.name}: {summary.steps} steps to t = {summary.t:.6g} in {summary.wall_seconds:.1f} s "
              f"({summary.newton_iterations} Newton iterations, {summary.rejected} rejected{total}); "
              f"results in {case.output_dir}", file=sys.stderr if summary.stopped_by else sys.stdout)
        if summary.stopped_by:
            print(f"stopped by {summary.stopped_by}: checkpoint written; continue with --resume", file=sys.stderr)
    return 128 + signal.Signals[summary.stopped_by] if summary.stopped_by else 0
