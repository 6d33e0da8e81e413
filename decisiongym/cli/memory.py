"""The memory family on the command line.

Its ``solve``, ``trace`` and ``bench`` subcommands come with the family's baselines and
benchmark; until then the family adds nothing under the verbs, and its environments are listed
by ``decisiongym list``.
"""

from __future__ import annotations

from decisiongym.cli.common import Verbs


def add_parsers(verbs: Verbs) -> None:
    """Add the memory family's subcommands (none yet)."""
