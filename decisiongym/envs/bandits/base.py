"""The one API every bandit environment follows: a Gymnasium env whose step is one round.

Each round the env shows a context (the constant vector ``[1.0]`` for plain multi-armed
bandits), the agent picks an arm, the env pays a reward drawn for that arm in that context and
shows the next context. The episode is truncated at the horizon; it never terminates.

``info`` after every step carries the oracle of the round just played, so that every metric is
computed by the suite from ``info`` and never trusted to an agent:

``expected_rewards``  ``(n_arms,)`` expected reward of every arm in the round's context
``best_arm``          the arm with the highest expected reward (lowest index on ties)
``regret``            ``max(expected_rewards) - expected_rewards[arm]`` (instantaneous)
``arm``               the arm played (as the env understood it)
``round``             index of the round just played, from 0

Subclasses implement :meth:`_next_round` (draw a context and return it with its expected
rewards) and :meth:`_reward` (draw the realised reward of an arm).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from decisiongym.envs.core.errors import InvalidActionError


class BanditEnv(gym.Env):
    """Base class of the bandit envs (see the module docstring for the protocol).

    :param n_arms: number of arms.
    :param dim: context dimension (1 for a context-free bandit).
    :param horizon: rounds per episode.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, n_arms: int, dim: int, horizon: int,
                 context_low: float = -np.inf, context_high: float = np.inf) -> None:
        if n_arms < 2:
            raise ValueError(f"n_arms must be >= 2, got {n_arms}")
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        if horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {horizon}")
        self.n_arms = int(n_arms)
        self.dim = int(dim)
        self.horizon = int(horizon)
        self.action_space: spaces.Space = spaces.Discrete(self.n_arms)
        self.observation_space = spaces.Box(context_low, context_high, (self.dim,), np.float64)
        self._round = 0
        self._context = np.zeros(self.dim)
        self._expected = np.zeros(self.n_arms)

    # -- what a subclass provides ------------------------------------------------------------
    def _next_round(self) -> tuple[np.ndarray, np.ndarray]:
        """Draw the next context from ``self.np_random``; return it and its expected rewards."""
        raise NotImplementedError

    def _reward(self, arm: int) -> float:
        """Draw the realised reward of ``arm`` in the current round from ``self.np_random``."""
        raise NotImplementedError

    def _setup(self) -> None:
        """Called at each reset after seeding, before the first round (e.g. to draw arm means)."""

    # -- Gymnasium API -----------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._round = 0
        self._setup()
        self._context, self._expected = self._next_round()
        return self._context.copy(), {"expected_rewards": self._expected.copy(),
                                      "best_arm": int(np.argmax(self._expected))}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        arm = self._arm(action)
        reward = float(self._reward(arm))
        expected = self._expected
        best = int(np.argmax(expected))
        info = {
            "expected_rewards": expected.copy(),
            "best_arm": best,
            "regret": float(expected[best] - expected[arm]),
            "arm": arm,
            "round": self._round,
        }
        self._round += 1
        truncated = self._round >= self.horizon
        self._context, self._expected = self._next_round()
        return self._context.copy(), reward, False, truncated, info

    def _arm(self, action: Any) -> int:
        try:
            arm = int(action)
        except (TypeError, ValueError):
            raise InvalidActionError(action, "expected an arm index") from None
        if arm != action or not 0 <= arm < self.n_arms:
            raise InvalidActionError(action, f"arm must be an integer in [0, {self.n_arms})")
        return arm

    @property
    def context(self) -> np.ndarray:
        """The context of the round about to be played."""
        return self._context.copy()
