"""The memory family, described once: its environment ids, loader, validator and method names.

Registration, ``decisiongym list``, the command line's choices and the benchmarks read
:data:`FAMILY`. This module imports nothing heavy (no numba, no torch).
"""

from __future__ import annotations

from decisiongym.envs.core.family import EnvId, Family

GREEDY_METHODS: tuple[str, ...] = ("greedy", "xla-greedy")
"""``greedy``: best-fit offsets in a chosen order (size, area, start); ``xla-greedy``: XLA's
memory-space assignment in outline (benefit per square-root size order, best-fit offsets,
prefetch windows), for mapping."""

SEARCH_METHODS: tuple[str, ...] = ("cpsat", "exact")
"""``cpsat``: OR-Tools' NoOverlap2D models; ``exact``: the MiniMalloc-style allocation search,
which also proves infeasibility."""

AGENT_NAMES: tuple[str, ...] = ("planner", "ppo")
"""``planner``: the MCTS agent with a learned policy and value; ``ppo``: MaskablePPO."""

FAMILY = Family(
    name="memory",
    title="Memory mapping and allocation",
    envs=(
        EnvId(
            "decisiongym/MemoryAllocation-v0",
            "decisiongym.envs.memory.allocation_env:MemoryAllocationEnv",
            "Static memory allocation: place one buffer per step at its first-fit offset "
            "(MiniMalloc's problem, or peak minimisation); traced torch programs, MiniMalloc "
            "CSVs or random strip instances.",
        ),
        EnvId(
            "decisiongym/MemoryMapping-v0",
            "decisiongym.envs.memory.mapping_env:MemoryMappingEnv",
            "Memory mapping: keep each buffer in slow memory or give it a fast-memory window "
            "(best-fit offset, prefetch and eviction copies); reward = run time saved against "
            "all-in-slow-memory.",
        ),
    ),
    baselines={"greedy": GREEDY_METHODS, "exact": SEARCH_METHODS},
    agents=AGENT_NAMES,
    loader="decisiongym.envs.memory.workloads:load_workload",
    validator="decisiongym.envs.memory.solution:validate",
)
