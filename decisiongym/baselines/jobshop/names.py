"""The job-shop methods by name, in a module that imports nothing heavy.

The command line builds its parser from these tuples, so ``decisiongym --help`` and
``decisiongym list`` load neither numba nor torch nor OR-Tools. The simulator's rule and scheme
codes (``decisiongym.envs.jobshop.sim.RULES`` and ``SCHEMES``) are keyed by the same names, in
the same order; the tests hold the two together.
"""

from __future__ import annotations

RULE_NAMES: tuple[str, ...] = (
    "spt", "lpt", "mwkr", "lwkr", "mopnr", "fifo", "fdd-mwkr", "random",
)
SCHEME_NAMES: tuple[str, ...] = ("non-delay", "active", "insertion")
DEFAULT_SCHEME = "non-delay"

# What `decisiongym solve jobshop --method` accepts: every rule, CP-SAT, and the learned
# dispatching rule of decisiongym.agents.jobshop.
METHODS: tuple[str, ...] = RULE_NAMES + ("cpsat", "learned")
