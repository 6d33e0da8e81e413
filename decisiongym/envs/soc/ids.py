"""The SoC scheduling family, described once: its environment ids and its method names.

The kernel's built-in online rules (``decisiongym.envs.soc.sim.RULES``) and the static list
schedulers (``decisiongym.baselines.soc``) are keyed by these names; tests hold them together.
This module imports nothing heavy.
"""

from __future__ import annotations

from decisiongym.envs.core.family import EnvId, Family

STATIC_METHODS: tuple[str, ...] = ("heft", "peft", "cpop", "cpsat")
"""Schedulers of one task DAG on a platform (``decisiongym solve soc --method``)."""

ONLINE_SCHEDULERS: tuple[str, ...] = (
    "met", "etf", "eft", "stf", "heft-rt", "random", "round-robin",
)
"""Schedulers of a stream of jobs, decision by decision (``decisiongym simulate soc``)."""

AGENT_NAMES: tuple[str, ...] = ("learned",)
"""``learned``: the DeepSoCS-style order policy of ``decisiongym.agents.soc``."""

FAMILY = Family(
    name="soc",
    title="SoC scheduling",
    envs=(
        EnvId(
            "decisiongym/SoC-v0",
            "decisiongym.envs.soc.env:SoCSchedulingEnv",
            "SoC scheduling: commit one (ready task, idle PE) pair per step on a DS3-like "
            "heterogeneous SoC under a streaming job mix.",
            kwargs={"mode": "task-pe"},
            parallel_entry_point="decisiongym.envs.soc.parallel:parallel_env",
        ),
        EnvId(
            "decisiongym/SoC-TaskOnly-v0",
            "decisiongym.envs.soc.env:SoCSchedulingEnv",
            "SoC scheduling, DeepSoCS split: pick the next ready task; the PE is chosen by "
            "earliest finish time.",
            kwargs={"mode": "task"},
        ),
    ),
    baselines={"static": STATIC_METHODS, "online": ONLINE_SCHEDULERS},
    agents=AGENT_NAMES,
    loader="decisiongym.envs.soc.builtin:load_dag_problem",
    validator="decisiongym.envs.soc.solution:validate_dag",
)
