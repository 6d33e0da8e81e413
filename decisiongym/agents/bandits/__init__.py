"""Bandit learners, from UCB to neural contextual bandits, built by name with ``make_agent``.

Importing this package imports every agent module, so ``AGENTS`` lists them all; modules that
need torch import it only when such an agent is built.
"""

from decisiongym.agents.bandits import (  # noqa: F401  (each module registers its agents)
    adversarial,
    chebyshev,
    classic,
    linear,
    neural,
    regression,
    semibandit,
)
from decisiongym.agents.bandits.base import AGENTS, BanditAgent, make_agent, register_agent

__all__ = ["AGENTS", "BanditAgent", "make_agent", "register_agent"]
