"""Running bandit agents on bandit envs: one run, a grid of runs, and the regret records.

A run plays one agent on one env for the env's horizon and keeps the oracle's account from
``info`` (regret, best arm, and any per-round cost the env reports), so every metric is the
suite's, not the agent's.
"""

from __future__ import annotations

import difflib
import inspect
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from decisiongym.bench.bandits.metrics import BanditTrace

# Per-round quantities some envs report in ``info``, kept beside the regret.
EXTRA_SERIES = ("violations", "iterations")


def agent_shape(env: Any, observation: np.ndarray) -> tuple[int, int]:
    """``(n_arms, dim)`` an agent needs for ``env``: arms from the env, dimension from the
    context (a ``(k, d)`` context, one row per individual, gives ``dim = d``)."""
    base = env.unwrapped
    n_arms = int(getattr(base, "n_arms", 0) or getattr(base, "k", 0))
    if n_arms <= 0:
        raise ValueError(f"env {base!r} says neither n_arms nor k")
    dim = int(observation.shape[-1]) if observation.ndim else 1
    return n_arms, dim


def run_bandit(
    env_id: str,
    agent_name: str,
    seed: int = 0,
    horizon: int | None = None,
    env_kwargs: dict[str, Any] | None = None,
    agent_kwargs: dict[str, Any] | None = None,
) -> BanditTrace:
    """Play ``agent_name`` on ``env_id`` for one episode with one seed (env and agent alike).

    :param env_id: a registered bandit env id.
    :param agent_name: a name known to ``make_agent``.
    :param seed: seeds the env's reset and the agent.
    :param horizon: rounds (the env's default when omitted).
    :param env_kwargs: extra arguments of the env.
    :param agent_kwargs: the agent's hyper-parameters.
    :raises ValueError: when ``env_id`` is not a registered bandit env (naming the closest).
    """
    import gymnasium as gym

    import decisiongym  # noqa: F401  (registers the ids)
    from decisiongym.agents.bandits import make_agent
    from decisiongym.envs.bandits.ids import FAMILY

    bandit_ids = [env.id for env in FAMILY.envs]
    if env_id not in bandit_ids:
        close = difflib.get_close_matches(env_id, bandit_ids, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"{env_id!r} is not a bandit env{hint} (`decisiongym list` shows "
                         "every id)")
    kwargs = dict(env_kwargs or {})
    if horizon is not None:
        kwargs["horizon"] = horizon
    env = gym.make(env_id, disable_env_checker=True, **kwargs)
    context, _ = env.reset(seed=seed)
    n_arms, dim = agent_shape(env, context)
    agent = make_agent(agent_name, n_arms=n_arms, dim=dim, seed=seed, **(agent_kwargs or {}))
    # Semi-bandit learners read the feedback the env reveals (labels, auditors' reports).
    wants_info = "info" in inspect.signature(agent.update).parameters
    base: Any = env.unwrapped  # every bandit env declares its horizon
    rounds = int(base.horizon)
    arms = np.full(rounds, -1, np.int64)
    best = np.full(rounds, -1, np.int64)
    rewards = np.zeros(rounds)
    regrets = np.zeros(rounds)
    extra: dict[str, list[float]] = {}
    start = time.perf_counter()
    for t in range(rounds):
        action = agent.act(context)
        next_context, raw_reward, terminated, truncated, info = env.step(action)
        reward = float(raw_reward)
        update: Any = agent.update
        if wants_info:
            update(context, action, reward, info)
        else:
            update(context, action, reward)
        rewards[t] = reward
        regrets[t] = info["regret"]
        if np.ndim(action) == 0:
            arms[t] = int(action)
        if "best_arm" in info:
            best[t] = int(info["best_arm"])
        for key in EXTRA_SERIES:
            if key in info:
                extra.setdefault(key, []).append(float(info[key]))
        context = next_context
        if terminated or truncated:
            rounds = t + 1
            break
    wall_s = time.perf_counter() - start
    env.close()
    return BanditTrace(env_id, agent_name, seed, arms[:rounds], rewards[:rounds],
                       regrets[:rounds], best[:rounds], n_arms, wall_s,
                       {k: np.asarray(v) for k, v in extra.items()})


@dataclass(frozen=True)
class BanditCell:
    """One run of the benchmark grid (picklable, for local processes or Ray)."""

    env_id: str
    agent: str
    seed: int
    horizon: int | None = None
    env_kwargs: tuple[tuple[str, Any], ...] = ()
    agent_kwargs: tuple[tuple[str, Any], ...] = ()
    group: str = ""


CURVE_POINTS = 50


def run_cell(cell: BanditCell) -> dict[str, Any]:
    """One flat record of a run, with its cumulative-regret curve at ``CURVE_POINTS`` rounds."""
    from decisiongym.bench.bandits.metrics import min_frac

    _one_torch_thread()
    trace = run_bandit(cell.env_id, cell.agent, cell.seed, cell.horizon, dict(cell.env_kwargs),
                       dict(cell.agent_kwargs))
    cumulative = trace.cumulative_regret
    half = trace.horizon // 2
    points = np.unique(np.linspace(1, trace.horizon, CURVE_POINTS).astype(int))
    record: dict[str, Any] = {
        "group": cell.group,
        "env": cell.env_id,
        "agent": cell.agent,
        "seed": cell.seed,
        "horizon": trace.horizon,
        "regret": float(cumulative[-1]),
        "regret_first_half": float(cumulative[half - 1]) if half else 0.0,
        "suffix_failure": bool(
            trace.best_arms[0] >= 0
            and not np.any(trace.arms[half:] == trace.best_arms[half:])
        ),
        "min_frac": min_frac(trace) if trace.arms[0] >= 0 else float("nan"),
        "reward_mean": float(trace.rewards.mean()),
        "wall_s": trace.wall_s,
        "decisions_per_s": trace.horizon / trace.wall_s if trace.wall_s > 0 else float("nan"),
        "curve_t": points.tolist(),
        "curve_regret": np.round(cumulative[points - 1], 3).tolist(),
    }
    for key, series in trace.extra.items():
        record[f"{key}_total"] = float(series.sum())
    return record


def _one_torch_thread() -> None:
    """Benchmark workers run side by side, one per core: torch's own threads would fight them."""
    try:
        import torch
    except ModuleNotFoundError:
        return
    torch.set_num_threads(1)


@dataclass
class BanditSuite:
    """A named group of cells: envs x agents x seeds.

    :param reward_ranges: per env id, the ``(low, high)`` of its rewards, handed to every agent
        as ``reward_range`` (agents that model ``[0, 1]`` rewards learn from rescaled ones).
    """

    group: str
    env_ids: tuple[str, ...]
    agents: tuple[str, ...]
    horizon: int | None = None
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    reward_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)

    def cells(self, seeds: int) -> list[BanditCell]:
        cells = []
        for env_id in self.env_ids:
            agent_kwargs: tuple[tuple[str, Any], ...] = ()
            if env_id in self.reward_ranges:
                agent_kwargs = (("reward_range", self.reward_ranges[env_id]),)
            cells += [
                BanditCell(env_id, agent, seed, self.horizon, tuple(self.env_kwargs.items()),
                           agent_kwargs, self.group)
                for agent in self.agents
                for seed in range(seeds)
            ]
        return cells
