"""decisiongym: real decision environments, with the agents and classical baselines to beat.

Importing the package registers every environment id under the ``decisiongym/`` namespace.
Entry points are strings, so nothing heavy (numba kernels, torch, OR-Tools) is imported until an
environment is made.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from gymnasium.envs.registration import register, registry

from decisiongym.envs.bandits.ids import BANDIT_ENVS

__version__ = "0.1.0"


class EnvEntry(NamedTuple):
    id: str
    entry_point: str
    vector_entry_point: str | None
    description: str
    kwargs: dict[str, Any] = {}


ENVIRONMENTS: tuple[EnvEntry, ...] = (
    EnvEntry(
        "decisiongym/JobShop-v0",
        "decisiongym.envs.jobshop.env:JobShopEnv",
        "decisiongym.envs.jobshop.vector:JobShopVectorEnv",
        "Job-shop scheduling: dispatch one job's next operation per step "
        "(Taillard ta01-ta80 built in, random generators, switchable schedule-generation scheme).",
    ),
    EnvEntry(
        "decisiongym/SoC-v0",
        "decisiongym.envs.soc.env:SoCSchedulingEnv",
        None,
        "SoC scheduling: commit one (ready task, idle PE) pair per step on a DS3-like "
        "heterogeneous SoC under a streaming job mix.",
        {"mode": "task-pe"},
    ),
    EnvEntry(
        "decisiongym/SoC-TaskOnly-v0",
        "decisiongym.envs.soc.env:SoCSchedulingEnv",
        None,
        "SoC scheduling, DeepSoCS split: pick the next ready task; the PE is chosen by "
        "earliest finish time.",
        {"mode": "task"},
    ),
) + tuple(
    EnvEntry(env_id, entry_point, None, description, kwargs)
    for env_id, entry_point, kwargs, description in BANDIT_ENVS
)


def _register_all() -> None:
    for entry in ENVIRONMENTS:
        if entry.id not in registry:
            register(
                id=entry.id,
                entry_point=entry.entry_point,
                vector_entry_point=entry.vector_entry_point,
                kwargs=dict(entry.kwargs),
            )


_register_all()

__all__ = ["ENVIRONMENTS", "EnvEntry", "__version__"]
