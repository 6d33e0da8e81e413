"""A bandit agent's first-call cost on an env, paid on a short run before the timed runs."""

from __future__ import annotations

from typing import Any

from decisiongym.bench.warmup import warm_once

TINY_HORIZON = 16


def warm_agent(env_id: str, agent: str, env_kwargs: dict[str, Any] | None = None,
               agent_kwargs: dict[str, Any] | None = None) -> float:
    """Play ``agent`` on ``env_id`` for :data:`TINY_HORIZON` rounds unless done in this process;
    return the seconds it took (0.0 when already warm).

    :raises ValueError: for an id that is not a bandit env or an unknown agent.
    """
    from decisiongym.bench.bandits.grid import run_bandit

    env_kwargs, agent_kwargs = dict(env_kwargs or {}), dict(agent_kwargs or {})
    key = ("bandits", env_id, agent, repr(sorted(env_kwargs.items())),
           repr(sorted(agent_kwargs.items())))
    return warm_once(key, lambda: run_bandit(env_id, agent, 0, TINY_HORIZON, env_kwargs,
                                             agent_kwargs))
