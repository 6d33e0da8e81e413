"""The one interface every bandit agent follows, and the factory that builds them by name.

An agent sees a context, picks an arm, and is told the reward of that arm:

>>> agent = make_agent("ucb1", n_arms=3, seed=0)          # doctest: +SKIP
>>> arm = agent.act(context)
>>> agent.update(context, arm, reward)

On a multi-armed bandit (:mod:`decisiongym.envs.bandits.mab`) the context is the constant
vector ``[1.0]`` (``dim`` 1), not a zero vector: the context-free agents ignore it, and a linear
agent (``linucb``, ``lints``) fits one intercept per arm on it, i.e. a ridge-shrunk estimate of
the arm's mean, ``sum of its rewards / (lambda + its pulls)``.

``reset(seed)`` forgets everything and reseeds; every random choice an agent makes comes from
its own ``self.rng`` (a ``numpy.random.Generator``), so the same seed gives the same run.
``act_batch`` / ``update_batch`` take a leading batch axis; the defaults loop, and agents
override them where the algorithm allows a vectorised form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


class BanditAgent:
    """Base class of the bandit learners.

    :param n_arms: number of arms.
    :param dim: context dimension (1 for a multi-armed bandit, whose context is ``[1.0]``).
    :param seed: seed of the agent's own random generator.
    """

    name = "agent"

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0) -> None:
        if n_arms < 1:
            raise ValueError(f"n_arms must be >= 1, got {n_arms}")
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        self.n_arms = int(n_arms)
        self.dim = int(dim)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        """Forget all observations; reseed the agent's generator when ``seed`` is given."""
        if seed is not None:
            self.seed = seed
        self.rng = np.random.default_rng(self.seed)
        self._reset_state()

    def _reset_state(self) -> None:
        """Clear the learned statistics (subclasses)."""

    def act(self, context: np.ndarray) -> int:
        raise NotImplementedError

    def update(self, context: np.ndarray, arm: int, reward: float) -> None:
        raise NotImplementedError

    def act_batch(self, contexts: np.ndarray) -> np.ndarray:
        return np.array([self.act(c) for c in contexts], dtype=np.int64)

    def update_batch(self, contexts: np.ndarray, arms: np.ndarray, rewards: np.ndarray) -> None:
        for c, a, r in zip(contexts, arms, rewards):
            self.update(c, int(a), float(r))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_arms={self.n_arms}, dim={self.dim}, seed={self.seed})"


class RescaledRewards(BanditAgent):
    """An agent that learns from rewards mapped from ``[low, high]`` onto ``[0, 1]`` (clipped).

    Agents built on Bernoulli or log-loss models (``ts``, ``fastcb``, ``neucb-kl``) need rewards
    in ``[0, 1]``; this lets them run on any bounded reward without changing what the env pays.
    """

    def __init__(self, agent: BanditAgent, low: float, high: float) -> None:
        if not high > low:
            raise ValueError(f"reward_range must have high > low, got ({low}, {high})")
        self.agent = agent
        self.low, self.high = float(low), float(high)
        self.name = agent.name
        self.n_arms, self.dim, self.seed = agent.n_arms, agent.dim, agent.seed

    def reset(self, seed: int | None = None) -> None:
        self.agent.reset(seed)

    def _scale(self, reward: Any) -> Any:
        return np.clip((np.asarray(reward, dtype=np.float64) - self.low)
                       / (self.high - self.low), 0.0, 1.0)

    def act(self, context: np.ndarray) -> int:
        return self.agent.act(context)

    def update(self, context: np.ndarray, arm: int, reward: float) -> None:
        self.agent.update(context, arm, float(self._scale(reward)))

    def act_batch(self, contexts: np.ndarray) -> np.ndarray:
        return self.agent.act_batch(contexts)

    def update_batch(self, contexts: np.ndarray, arms: np.ndarray, rewards: np.ndarray) -> None:
        self.agent.update_batch(contexts, arms, self._scale(rewards))

    def __repr__(self) -> str:
        return f"RescaledRewards({self.agent!r}, low={self.low}, high={self.high})"


AgentFactory = Callable[..., BanditAgent]
AGENTS: dict[str, AgentFactory] = {}


def register_agent(name: str) -> Callable[[AgentFactory], AgentFactory]:
    """Class decorator: make the agent buildable by ``make_agent(name, ...)``."""

    def decorate(factory: AgentFactory) -> AgentFactory:
        if name in AGENTS:
            raise ValueError(f"agent name {name!r} registered twice")
        AGENTS[name] = factory
        return factory

    return decorate


def make_agent(name: str, n_arms: int, dim: int = 1, seed: int | None = 0,
               reward_range: tuple[float, float] | None = None,
               **hyperparameters: Any) -> BanditAgent:
    """Build a registered bandit agent by name.

    :param name: a registered name (``list(AGENTS)``), e.g. ``"ucb1"``, ``"linucb"``.
    :param n_arms: number of arms.
    :param dim: context dimension.
    :param seed: the agent's seed.
    :param reward_range: ``(low, high)`` of the env's rewards: the agent then learns from
        rewards rescaled onto ``[0, 1]`` (see :class:`RescaledRewards`).
    :param hyperparameters: the agent's own keyword arguments (``alpha=0.5``...).
    """
    from decisiongym.agents import bandits  # noqa: F401  (imports every agent module)

    try:
        factory = AGENTS[name]
    except KeyError:
        raise ValueError(
            f"unknown bandit agent {name!r}; choose one of {', '.join(sorted(AGENTS))}"
        ) from None
    agent = factory(n_arms=n_arms, dim=dim, seed=seed, **hyperparameters)
    if reward_range is not None:
        return RescaledRewards(agent, *reward_range)
    return agent
