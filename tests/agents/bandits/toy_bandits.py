"""Small synthetic bandit problems the agent tests share."""

from __future__ import annotations

import numpy as np


def quadratic_instance(seed: int, horizon: int = 1500, n_arms: int = 4,
                       dim: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contexts on the unit sphere; mean ``0.1 + 0.8 (u_a.x)^2``, uniform noise of +-0.1, so
    rewards stay in [0, 1] and no linear model of ``x`` can rank the arms."""
    rng = np.random.default_rng(2000 + seed)
    u = rng.standard_normal((n_arms, dim))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    x = rng.standard_normal((horizon, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    means = 0.1 + 0.8 * (x @ u.T) ** 2
    return x, means, means + rng.uniform(-0.1, 0.1, (horizon, n_arms))


def play(agent, contexts: np.ndarray, means: np.ndarray,
         rewards: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    arms = np.empty(len(contexts), dtype=np.int64)
    for t, x in enumerate(contexts):
        arms[t] = agent.act(x)
        agent.update(x, arms[t], rewards[t, arms[t]])
    return arms, means.max(axis=1) - means[np.arange(len(arms)), arms]


def assert_seeded_reproducibly(name: str, seed: int, instance_seed: int, horizon: int) -> None:
    """Same seed, same actions; ``reset(seed)`` replays them; another seed plays otherwise."""
    from decisiongym.agents.bandits import make_agent

    contexts, means, rewards = quadratic_instance(instance_seed, horizon=horizon)
    agent = make_agent(name, n_arms=4, dim=4, seed=seed)
    first, _ = play(agent, contexts, means, rewards)
    twin, _ = play(make_agent(name, n_arms=4, dim=4, seed=seed), contexts, means, rewards)
    agent.reset(seed)
    again, _ = play(agent, contexts, means, rewards)
    other, _ = play(make_agent(name, n_arms=4, dim=4, seed=seed + 1), contexts, means, rewards)
    np.testing.assert_array_equal(first, twin)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
