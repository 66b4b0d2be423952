"""Thin command-line front end: ``python -m pf_app <command> ...``.

Each command lives next to its capability in a ``cli.py`` module with a function
``register(subparsers)`` that adds an argparse sub-parser and sets ``func`` (called with the parsed
arguments, returns an exit status).  Those modules must import heavy libraries (DOLFINx, TensorFlow)
inside ``func`` only, so that ``--help`` stays fast.  Configuration errors become one line on
stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

from pf_app import __version__
from pf_app.config import ConfigError

#: Modules providing ``register(subparsers)``, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "pf_app.phasefield.cli",
    "pf_app.elasticity.cli",
    "pf_app.montecarlo.cli",
    "pf_app.surrogate.cli",
    "pf_app.idnn.cli",
    "pf_app.bspline.cli",
    "pf_app.learn.cli",
    "pf_app.info",
)


def add_config_options(p: argparse.ArgumentParser, set_example: str, output: bool = True) -> None:
    """The options every config-driven command shares: ``--set`` overrides (``set_example`` shows
    one, e.g. ``time.t_end=10``), ``--output`` (unless ``output`` is False) and ``--quiet``."""
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help=f"override a config value, e.g. --set {set_example} (YAML syntax for VALUE)")
    if output:
        p.add_argument("--output", help="output folder (default: the config's output.directory)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pf_app",
        description="Atoms to microstructures: Monte Carlo data, integrable neural free energies, "
        "phase-field simulation (DOLFINx) and multitask alloy surrogates.",
    )
    parser.add_argument("--version", action="version", version=f"pf_app {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _is_root_rank() -> bool:
    """True on MPI rank 0 (or without MPI), read from the launcher's environment."""
    for var in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):
        if var in os.environ:
            return os.environ[var] == "0"
    return True


def one_line_warning(message, category, filename, lineno, line=None) -> str:
    """``warnings.formatwarning`` for the command line: ``warning: <message> [<category>]`` on one
    line, without the source file and line of the library code that raised it."""
    return f"warning: {message} [{category.__name__}]\n"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    warnings.formatwarning = one_line_warning
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        if _is_root_rank():
            print(f"error: {exc.in_file(getattr(args, 'config', None))}", file=sys.stderr)
        return 2
