"""Simulated logged bandit feedback with known truth, in the Open Bandit Dataset's shape.

:class:`SyntheticLogger` draws Gaussian contexts, rewards that are linear or logistic in the
context, and actions from a uniform or softmax logging policy (or from any policy given to
:meth:`SyntheticLogger.sample`, which is how a target policy is run on-policy in the same world).
:func:`~decisiongym.envs.offline.obd_csv.write_obd_csv` stores a simulated log in the OBD layout.
The simulator keeps its continuous context in the affinity columns (``dim`` of them, not one
per item) and writes, as ``user_feature_j`` for the first four context features, a hash of the
sign of that feature, so the categorical columns have OBD's shape and carry real signal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Literal

import numpy as np

from decisiongym.envs.offline.logged_bandit import LoggedBanditData
from decisiongym.envs.offline.obd_csv import (
    AFFINITY_PREFIX,
    USER_FEATURE_PREFIX,
    default_timestamps,
)

__all__ = ["SyntheticLogger"]



def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class SyntheticLogger:
    """Simulated logged bandit feedback with known truth.

    Contexts are ``x ~ N(0, I_dim)``. Each action ``a`` has weights ``theta_a ~ N(0, I / dim)``
    and an offset ``b_a ~ N(0, 0.5^2)``, drawn once from the seed, so ``z_a = x . theta_a + b_a``
    has unit-order spread. Rewards:

    * ``"linear"``: expected reward ``z_a``, observed with Gaussian noise of std ``noise``;
    * ``"logistic"``: expected reward ``sigmoid(z_a)``, observed as a 0/1 click.

    Logging policies: ``"uniform"`` (``1 / K`` each) or ``"softmax"``
    (``softmax(beta * expected_reward)``; ``beta < 0`` logs against the reward). Each
    :meth:`sample` continues the same random stream, so successive logs are independent draws
    from one world. ``action_context`` is the identity (one-hot items), as in OBP's simulator.

    :param n_actions: number of actions ``K`` (>= 2).
    :param dim: context dimension (>= 1).
    :param reward: ``"linear"`` or ``"logistic"``.
    :param logging_policy: ``"uniform"`` or ``"softmax"``.
    :param beta: inverse temperature of the softmax logging policy.
    :param noise: reward noise std of the linear model.
    :param seed: seed of the world and of the logs.
    """

    def __init__(
        self,
        n_actions: int,
        dim: int,
        reward: Literal["linear", "logistic"] = "linear",
        logging_policy: Literal["uniform", "softmax"] = "uniform",
        beta: float = 1.0,
        noise: float = 1.0,
        seed: int | None = None,
    ) -> None:
        if n_actions < 2:
            raise ValueError(f"n_actions must be >= 2, got {n_actions}")
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        if reward not in ("linear", "logistic"):
            raise ValueError(f"reward must be 'linear' or 'logistic', got {reward!r}")
        if logging_policy not in ("uniform", "softmax"):
            raise ValueError(
                f"logging_policy must be 'uniform' or 'softmax', got {logging_policy!r}"
            )
        if noise < 0:
            raise ValueError(f"noise must be >= 0, got {noise}")
        self.n_actions = int(n_actions)
        self.dim = int(dim)
        self.reward = reward
        self.logging_policy = logging_policy
        self.beta = float(beta)
        self.noise = float(noise)
        self.rng = np.random.default_rng(seed)
        self.theta = self.rng.normal(0.0, 1.0 / np.sqrt(self.dim), (self.n_actions, self.dim))
        self.offset = self.rng.normal(0.0, 0.5, self.n_actions)
        self._hashes = [
            [hashlib.md5(f"{USER_FEATURE_PREFIX}{j}={s}".encode()).hexdigest() for s in (0, 1)]
            for j in range(min(4, self.dim))
        ]

    def expected_rewards(self, contexts: np.ndarray) -> np.ndarray:
        """``(n, K)`` expected reward of every action in each context.

        :param contexts: ``(n, dim)`` contexts.
        """
        z = np.asarray(contexts, dtype=np.float64) @ self.theta.T + self.offset
        return z if self.reward == "linear" else _sigmoid(z)

    def logging_probabilities(self, contexts: np.ndarray) -> np.ndarray:
        """``(n, K)`` probabilities the logging policy gives each action.

        :param contexts: ``(n, dim)`` contexts.
        """
        n = np.asarray(contexts).shape[0]
        if self.logging_policy == "uniform":
            return np.full((n, self.n_actions), 1.0 / self.n_actions)
        return _softmax(self.beta * self.expected_rewards(contexts))

    def sample(
        self,
        n_rounds: int,
        policy: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> LoggedBanditData:
        """Draw a log of ``n_rounds`` rounds.

        :param n_rounds: number of rounds (>= 1).
        :param policy: the policy that acts, as a function of the ``(n, dim)`` contexts
            returning ``(n, K)`` action probabilities; ``None`` is the logging policy. With a
            target policy this is an on-policy run of it in the same world: the mean reward of
            the log estimates its value without any importance weighting.
        :return: the log, with ``expected_rewards`` and ``logging_probabilities`` (those of
            the policy that acted) filled in.
        """
        if n_rounds < 1:
            raise ValueError(f"n_rounds must be >= 1, got {n_rounds}")
        rng = self.rng
        contexts = rng.normal(size=(n_rounds, self.dim))
        expected = self.expected_rewards(contexts)
        if policy is None:
            probs = self.logging_probabilities(contexts)
        else:
            probs = np.asarray(policy(contexts), dtype=np.float64)
            if probs.shape != (n_rounds, self.n_actions):
                raise ValueError(
                    f"policy must return shape ({n_rounds}, {self.n_actions}) "
                    f"(rounds x actions), found {probs.shape}"
                )
        # Inverse-CDF sampling draws all rounds at once; the clip guards rounding at 1.0.
        cumulative = np.cumsum(probs, axis=1)
        actions = (rng.random((n_rounds, 1)) > cumulative).sum(axis=1)
        actions = np.minimum(actions, self.n_actions - 1)
        rows = np.arange(n_rounds)
        mean = expected[rows, actions]
        if self.reward == "linear":
            rewards = mean + self.noise * rng.normal(size=n_rounds)
        else:
            rewards = (rng.random(n_rounds) < mean).astype(np.float64)
        user = np.column_stack(
            [np.where(contexts[:, j] > 0, positive, negative)
             for j, (negative, positive) in enumerate(self._hashes)]
        )
        return LoggedBanditData(
            contexts=contexts,
            actions=actions,
            rewards=rewards,
            propensities=probs[rows, actions],
            n_actions=self.n_actions,
            positions=np.zeros(n_rounds, dtype=np.int64),
            action_context=np.eye(self.n_actions),
            expected_rewards=expected,
            logging_probabilities=probs,
            timestamps=np.array(default_timestamps(n_rounds)),
            user_features=user,
            affinities=contexts,
            feature_names=tuple(f"{AFFINITY_PREFIX}{j}" for j in range(self.dim)),
        )

