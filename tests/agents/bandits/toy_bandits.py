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
