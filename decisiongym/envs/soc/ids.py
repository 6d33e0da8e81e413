"""The SoC scheduling family, described once: its environment ids and its method names.

The kernels' built-in online rules (``decisiongym.envs.soc.sim.RULES`` in the default mode,
``decisiongym.envs.soc.ds3_sim.DS3_RULES`` in the ``ds3`` mode) and the static list
schedulers (``decisiongym.baselines.soc``) are keyed by these names; tests hold them together.
This module imports nothing heavy.
"""

from __future__ import annotations

from decisiongym.envs.core.family import EnvId, Family

STATIC_METHODS: tuple[str, ...] = ("heft", "peft", "cpop", "cpsat")
"""Schedulers of one task DAG on a platform (``decisiongym solve soc --method``)."""

ONLINE_SCHEDULERS: tuple[str, ...] = (
    "met-soonest", "etf", "eft", "stf-soonest", "heft-rt", "random", "round-robin",
)
"""Schedulers of a stream of jobs, decision by decision, in the simulator's default mode
(``decisiongym simulate soc``). ``met-soonest`` and ``stf-soonest`` are this library's MET and
STF, not DS3's: among the fastest PEs they take the one free soonest; DS3's own rules are
:data:`DS3_SCHEDULERS`."""

SIMULATOR_MODES: tuple[str, ...] = ("default", "ds3")
"""The stream simulator's modes: ``default`` (a PE runs its tasks in commit order) and ``ds3``
(DS3's semantics: its rules and tie-breaks, back-filling from the oldest job, at most 12 jobs
in flight); ``decisiongym.envs.soc.ds3_sim`` states the difference."""

DS3_SCHEDULERS: tuple[str, ...] = ("met", "etf", "eft", "stf")
"""DS3's schedulers, run in the ``ds3`` mode (``decisiongym simulate soc --mode ds3``)."""

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
    baselines={"static": STATIC_METHODS, "online": ONLINE_SCHEDULERS,
               "online-ds3": DS3_SCHEDULERS},
    agents=AGENT_NAMES,
    loader="decisiongym.envs.soc.builtin:load_dag_problem",
    validator="decisiongym.envs.soc.solution:validate_dag",
)
