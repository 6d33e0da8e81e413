"""Problems and simulators, one folder per family; nothing here learns.

:func:`families` returns every family's description (``envs/<family>/ids.py``); registration,
``decisiongym list``, the command line and the benchmarks read it. A new family adds its
``ids`` module to :data:`FAMILY_MODULES`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from decisiongym.envs.core.family import Family

FAMILY_MODULES: tuple[str, ...] = (
    "decisiongym.envs.jobshop.ids",
    "decisiongym.envs.soc.ids",
    "decisiongym.envs.bandits.ids",
    "decisiongym.envs.memory.ids",
)


def families() -> tuple[Family, ...]:
    """Every family, in the order of :data:`FAMILY_MODULES`."""
    return tuple(importlib.import_module(name).FAMILY for name in FAMILY_MODULES)


def family(name: str) -> Family:
    """The family of that name (``"jobshop"``, ``"soc"``, ``"bandits"``...).

    :raises KeyError: naming the families there are.
    """
    found = {each.name: each for each in families()}
    if name not in found:
        raise KeyError(f"no family {name!r}; the families are {', '.join(found)}")
    return found[name]
