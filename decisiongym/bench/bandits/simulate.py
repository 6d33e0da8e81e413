"""One bandit agent on one bandit env over several seeds, summarised by the suite's metrics, as
``decisiongym simulate bandits`` asks."""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from decisiongym.bench.bandits.grid import run_bandit
from decisiongym.bench.bandits.metrics import summarize
from decisiongym.bench.bandits.warmup import warm_agent
from decisiongym.envs.core.errors import InputError


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
    :returns: the inputs, :func:`~decisiongym.bench.bandits.metrics.summarize`'s metrics, and
        ``regret_per_seed``, the final cumulative regret of each run.
    :raises InputError: for an id that is not a bandit env, an unknown agent, or a keyword
        argument the env or the agent does not take or a value it refuses (named as the
        command line's ``--env-param`` and ``--param``, the way users meet them).
    """
    env_kwargs = dict(env_kwargs or {})
    agent_kwargs = dict(agent_kwargs or {})
    check_arguments(env_id, agent, env_kwargs, agent_kwargs)
    _check_values(env_id, agent, env_kwargs, agent_kwargs)
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


def check_arguments(env_id: str, agent: str, env_kwargs: Mapping[str, Any],
                    agent_kwargs: Mapping[str, Any]) -> None:
    """Refuse, before anything runs, an env id that is not a bandit env, an unknown agent, and
    keyword arguments that the env's or the agent's constructor does not take.

    :raises InputError: naming the id, the agent or the key at fault and what would do.
    """
    from decisiongym.agents.bandits import AGENTS
    from decisiongym.envs.bandits.ids import FAMILY

    envs = {env.id: env for env in FAMILY.envs}
    if env_id not in envs:
        close = difflib.get_close_matches(env_id, list(envs), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InputError(f"{env_id!r} is not a bandit env{hint} (`decisiongym list` shows every "
                         "id)")
    if agent not in AGENTS:
        raise InputError(f"unknown bandit agent {agent!r}; choose one of "
                         f"{', '.join(sorted(AGENTS))}", "--agent")
    module, _, name = envs[env_id].entry_point.partition(":")
    env_class = getattr(importlib.import_module(module), name)
    _check_keywords(env_class, env_kwargs, f"env {env_id}", "--env-param")
    _check_keywords(AGENTS[agent], agent_kwargs, f"agent {agent}", "--param",
                    reserved=("n_arms", "dim", "seed"))


def _check_values(env_id: str, agent: str, env_kwargs: dict[str, Any],
                  agent_kwargs: dict[str, Any]) -> None:
    """Build the env and the agent once, as a run does, so that a value their constructors
    refuse (a negative exploration rate, a horizon of 0) is reported as the flag's error
    before anything runs.

    :raises InputError: naming ``--env-param`` or ``--param`` and the constructor's reason.
    """
    import gymnasium as gym

    from decisiongym.agents.bandits import make_agent
    from decisiongym.bench.bandits.grid import agent_shape

    refusals = (ValueError, TypeError, OverflowError)
    try:
        env = gym.make(env_id, disable_env_checker=True, **env_kwargs)
        context, _ = env.reset(seed=0)
    except refusals as exc:
        raise InputError(f"env {env_id} refuses them: {_first_line(exc)}",
                         "--env-param") from None
    n_arms, dim = agent_shape(env, context)
    try:
        make_agent(agent, n_arms=n_arms, dim=dim, seed=0, **agent_kwargs)
    except refusals as exc:
        raise InputError(f"agent {agent} refuses them: {_first_line(exc)}", "--param") from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _check_keywords(factory: Callable[..., Any], kwargs: Mapping[str, Any], owner: str,
                    flag: str, reserved: tuple[str, ...] = ()) -> None:
    parameters = inspect.signature(factory).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    takes = [key for key, p in parameters.items()
             if key not in reserved and key != "self"
             and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                            inspect.Parameter.KEYWORD_ONLY)]
    for key in kwargs:
        if key in reserved:
            raise InputError(f"{key} is set by the benchmark, not by a parameter", flag)
        if key not in takes:
            raise InputError(f"{owner} takes no parameter {key!r}; it takes "
                             f"{', '.join(takes) or 'none'}", flag)
