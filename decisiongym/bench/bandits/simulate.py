"""One bandit agent on one bandit env over several seeds, summarised by the suite's metrics, as
``decisiongym simulate bandits`` asks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from decisiongym.bench.bandits.grid import run_bandit
from decisiongym.bench.bandits.metrics import summarize
from decisiongym.bench.bandits.warmup import warm_agent


def simulate_agent(
    env_id: str,
    agent: str,
    seeds: int,
    horizon: int | None = None,
    env_kwargs: dict[str, Any] | None = None,
    agent_kwargs: dict[str, Any] | None = None,
    on_seed: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Play ``agent`` on ``env_id`` with seeds ``0..seeds-1`` and summarise the runs.

    :param env_id: a registered bandit env id.
    :param agent: a bandit agent's name (:data:`decisiongym.envs.bandits.ids.AGENT_NAMES`).
    :param seeds: how many seeds.
    :param horizon: rounds per run; ``None`` for the env's horizon.
    :param env_kwargs: extra arguments of the env.
    :param agent_kwargs: the agent's hyper-parameters.
    :param on_seed: called with each seed once its run is done (for a progress bar).
    :returns: the inputs, :func:`~decisiongym.bench.bandits.metrics.summarize`'s metrics,
        ``regret_per_seed``, the final cumulative regret of each run, and ``compile_s``, what a
        short run before them cost (numba compiling), so that no run's time carries it.
    :raises ValueError: for an id that is not a bandit env or an unknown agent.
    """
    env_kwargs = dict(env_kwargs or {})
    agent_kwargs = dict(agent_kwargs or {})
    compile_s = warm_agent(env_id, agent, env_kwargs, agent_kwargs)
    traces = []
    for seed in range(seeds):
        traces.append(run_bandit(env_id, agent, seed, horizon, env_kwargs, agent_kwargs))
        if on_seed is not None:
            on_seed(seed)
    return {"env": env_id, "agent": agent, "seeds": seeds, "agent_params": agent_kwargs,
            "env_params": env_kwargs, **summarize(traces),
            "regret_per_seed": [float(t.cumulative_regret[-1]) for t in traces],
            "compile_s": round(compile_s, 6)}
