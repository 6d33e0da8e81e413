"""The job-shop family, described once: its environment id, its method names and schemes.

Registration, ``decisiongym list``, the command line's choices and the benchmarks read
:data:`FAMILY`; the simulator's rule and scheme codes (``decisiongym.envs.jobshop.sim.RULES``
and ``SCHEMES``) are keyed by the same names in the same order, and a test holds them together.
This module imports nothing heavy.
"""

from __future__ import annotations

from decisiongym.envs.core.family import EnvId, Family

RULE_NAMES: tuple[str, ...] = (
    "spt", "lpt", "mwkr", "lwkr", "mopnr", "fifo", "fdd-mwkr", "random",
)
"""The dispatching rules, computed inside the simulator kernel."""

SCHEME_NAMES: tuple[str, ...] = ("non-delay", "active", "insertion")
"""The schedule-generation schemes: where a dispatched operation goes, which jobs are legal."""

DEFAULT_SCHEME = "non-delay"
"""The one default scheme of the env, the rules, the command line and the benchmark: only
operations that can start at the earliest possible time are legal, as in the dispatching
literature and L2D."""

AGENT_NAMES: tuple[str, ...] = ("learned",)
"""``learned``: the size-agnostic dispatching network of ``decisiongym.agents.jobshop``."""

METHODS: tuple[str, ...] = RULE_NAMES + ("cpsat",) + AGENT_NAMES
"""Every method ``decisiongym solve jobshop --method`` accepts."""

FAMILY = Family(
    name="jobshop",
    title="Job-shop scheduling",
    envs=(
        EnvId(
            "decisiongym/JobShop-v0",
            "decisiongym.envs.jobshop.env:JobShopEnv",
            "Job-shop scheduling: dispatch one job's next operation per step (Taillard "
            "ta01-ta80 built in, random generators, switchable schedule-generation scheme).",
            vector_entry_point="decisiongym.envs.jobshop.vector:JobShopVectorEnv",
        ),
    ),
    baselines={"rules": RULE_NAMES, "exact": ("cpsat",)},
    agents=AGENT_NAMES,
    loader="decisiongym.envs.jobshop.catalog:load_instance",
    validator="decisiongym.envs.jobshop.solution:validate",
)
