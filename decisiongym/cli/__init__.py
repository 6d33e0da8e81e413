"""The ``decisiongym`` command: list environments, solve one instance, simulate, train, trace a
model, run a benchmark.

The verbs are the same for every family; each family's module (``decisiongym.cli.<family>``)
adds its own subcommand under the verbs that apply to it and names the handler that runs it.
A handler holds no domain logic: it checks its flags, calls one public function of the layers
below and prints what comes back. Building the parser reads only the families'
descriptions, so ``--help`` and ``list`` load no numba, torch or OR-Tools.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from decisiongym.cli.common import Verbs

VERBS: tuple[tuple[str, str, str], ...] = (
    ("solve", "solve one problem instance with a named method",
     "Solve one problem instance with a named method."),
    ("simulate", "run an agent or online policy on an environment over seeds",
     "Run an agent on an environment for several seeds and report its metrics."),
    ("train", "train an agent", "Train an agent and write its weights."),
    ("trace", "trace your own model into a problem file",
     "Trace a model of your own into a problem file its family reads."),
    ("bench", "run a benchmark and write its results tables",
     "Run a benchmark grid and write markdown and CSV."),
)
"""The verbs with family subcommands: name, one-line help, description."""


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: ``list``, then each verb with every family's subcommands."""
    from decisiongym import __version__
    from decisiongym.envs import families

    parser = argparse.ArgumentParser(
        prog="decisiongym",
        description="Decision environments, baselines and benchmarks.",
    )
    parser.add_argument("--version", action="version", version=f"decisiongym {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = commands.add_parser("list",
                                  help="print every environment id with a one-line description",
                                  description="Print every registered environment id.")
    listing.set_defaults(handler=list_envs)
    verbs: Verbs = {
        name: commands.add_parser(name, help=help_line, description=description)
        .add_subparsers(dest="family", required=True, metavar="FAMILY")
        for name, help_line, description in VERBS
    }
    for each in families():
        importlib.import_module(f"decisiongym.cli.{each.name}").add_parsers(verbs)
    return parser


def list_envs(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``list``: every family's environment ids, one a line with its summary."""
    from decisiongym.envs import families

    envs = [env for each in families() for env in each.envs]
    width = max(len(env.id) for env in envs)
    for env in envs:
        print(f"{env.id:<{width}}  {env.summary}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command ``argv`` (the process's arguments when ``None``); returns the exit
    status: 0 done, 1 an answer that failed validation, 2 a usage or input error.

    A usage or input error is one the library raises on purpose
    (:class:`~decisiongym.envs.core.errors.DecisionGymError`): it is printed as one line. Any
    other exception is a bug and surfaces with its traceback.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    from decisiongym.envs.core.errors import DecisionGymError

    try:
        return args.handler(args, argv)
    except DecisionGymError as exc:
        print(f"decisiongym: error: {exc}", file=sys.stderr)
        return 2
