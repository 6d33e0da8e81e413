"""Context-free bandit agents: epsilon-greedy, UCB1 and Thompson sampling.

Every agent here keeps one count and one reward sum per arm and ignores the context it is
given, so it runs unchanged on a multi-armed bandit or, as a baseline, on a contextual one.

=================  =======================================================================
name               rule
=================  =======================================================================
``epsilon-greedy`` explore uniformly with probability ``epsilon_t``, else the best mean
``ucb1``           mean + ``sqrt(alpha * ln t / n_a)`` (Auer, Cesa-Bianchi & Fischer, 2002)
``ts-beta``        Beta-Bernoulli Thompson sampling (Thompson, 1933; Agrawal & Goyal, 2012)
``ts``             alias of ``ts-beta``
``ts-gaussian``    Gaussian prior and likelihood on each arm's mean reward
=================  =======================================================================

>>> agent = EpsilonGreedy(n_arms=3, seed=0)
>>> arm = agent.act(None)
>>> agent.update(None, arm, 1.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from decisiongym.agents.bandits.base import BanditAgent, register_agent


class _CountingAgent(BanditAgent):
    """Shared bookkeeping: pulls ``counts[a]`` and reward sums ``sums[a]`` of every arm."""

    counts: np.ndarray
    sums: np.ndarray
    t: int

    def _reset_state(self) -> None:
        self.counts = np.zeros(self.n_arms, dtype=np.int64)
        self.sums = np.zeros(self.n_arms, dtype=np.float64)
        self.t = 0

    def _check_arm(self, arm: int) -> int:
        arm = int(arm)
        if not 0 <= arm < self.n_arms:
            raise ValueError(f"arm must be in [0, {self.n_arms}), got {arm}")
        return arm

    def means(self) -> np.ndarray:
        """Empirical mean reward of every arm (0 for an arm never pulled)."""
        return np.divide(self.sums, self.counts, out=np.zeros(self.n_arms),
                         where=self.counts > 0)

    def update(self, context: Any, arm: int, reward: float) -> None:
        arm = self._check_arm(arm)
        self.counts[arm] += 1
        self.sums[arm] += float(reward)
        self.t += 1

    def update_batch(self, contexts: Any, arms: np.ndarray, rewards: np.ndarray) -> None:
        arms = np.asarray(arms, dtype=np.int64)
        if arms.size and (arms.min() < 0 or arms.max() >= self.n_arms):
            raise ValueError(f"arms must be in [0, {self.n_arms})")
        np.add.at(self.counts, arms, 1)
        np.add.at(self.sums, arms, np.asarray(rewards, dtype=np.float64))
        self.t += arms.size


@register_agent("epsilon-greedy")
class EpsilonGreedy(_CountingAgent):
    """Pull a uniformly random arm with probability ``epsilon_t``, else the best empirical mean.

    ``epsilon_t = epsilon / (1 + decay * t)`` after ``t`` updates, so ``decay=0`` keeps a
    constant rate (linear regret ``~ epsilon * mean gap * T``) and ``decay > 0`` lets the
    exploration die out roughly like the ``1/t`` schedule of Auer et al. (2002). Every arm is
    pulled once before the greedy step trusts its mean; ties are broken uniformly at random.

    :param n_arms: number of arms.
    :param dim: context dimension (ignored).
    :param seed: seed of the agent's generator.
    :param epsilon: initial exploration probability, in [0, 1].
    :param decay: rate of the ``1 / (1 + decay * t)`` decay of epsilon; 0 keeps it constant.
    """

    name = "epsilon-greedy"

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0, epsilon: float = 0.1,
                 decay: float = 0.0) -> None:
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
        if decay < 0:
            raise ValueError(f"decay must be >= 0, got {decay}")
        self.epsilon = float(epsilon)
        self.decay = float(decay)
        super().__init__(n_arms, dim, seed)

    def current_epsilon(self) -> float:
        """The exploration probability of the next decision."""
        return self.epsilon / (1.0 + self.decay * self.t)

    def _greedy_values(self) -> np.ndarray:
        # An arm never pulled ranks first so that every mean rests on at least one sample.
        return np.where(self.counts > 0, self.means(), np.inf)

    def act(self, context: Any) -> int:
        if self.rng.random() < self.current_epsilon():
            return int(self.rng.integers(self.n_arms))
        values = self._greedy_values()
        best = np.flatnonzero(values == values.max())
        return int(best[self.rng.integers(best.size)])

    def act_batch(self, contexts: Any) -> np.ndarray:
        size = len(contexts)
        values = self._greedy_values()
        best = np.flatnonzero(values == values.max())
        explore = self.rng.random(size) < self.current_epsilon()
        arms = best[self.rng.integers(best.size, size=size)]
        arms[explore] = self.rng.integers(self.n_arms, size=int(explore.sum()))
        return arms.astype(np.int64)


@register_agent("ucb1")
class UCB1(_CountingAgent):
    """UCB1: pull the arm with the largest ``mean_a + sqrt(alpha * ln t / n_a)``.

    ``alpha = 2`` is the index of Auer, Cesa-Bianchi & Fischer (2002); the default 0.5 is the
    one of BanditBench's UCB agent, whose bonus has the same form. Unpulled arms go first, in
    index order, and ties go to the lowest index, so the agent is deterministic.

    :param n_arms: number of arms.
    :param dim: context dimension (ignored).
    :param seed: seed of the agent's generator (unused: the rule is deterministic).
    :param alpha: scale inside the square root of the exploration bonus, >= 0.
    """

    name = "ucb1"

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0,
                 alpha: float = 0.5) -> None:
        if alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {alpha}")
        self.alpha = float(alpha)
        super().__init__(n_arms, dim, seed)

    def indices(self) -> np.ndarray:
        """Upper confidence index of every arm (``inf`` for an arm never pulled)."""
        unpulled = self.counts == 0
        n = np.maximum(self.counts, 1)
        bonus = np.sqrt(self.alpha * np.log(max(self.t, 1)) / n)
        return np.where(unpulled, np.inf, self.sums / n + bonus)

    def act(self, context: Any) -> int:
        return int(np.argmax(self.indices()))

    def act_batch(self, contexts: Any) -> np.ndarray:
        return np.full(len(contexts), self.act(None), dtype=np.int64)


@register_agent("ts-beta")
@register_agent("ts")
class BetaThompson(_CountingAgent):
    """Beta-Bernoulli Thompson sampling: pull the arm whose ``Beta`` posterior draw is largest.

    The posterior of arm ``a`` is ``Beta(a0 + successes_a, b0 + failures_a)``. A reward in
    [0, 1] that is not 0 or 1 is first turned into a Bernoulli trial of that success
    probability (Agrawal & Goyal, 2012), which keeps the posterior conjugate and the regret
    guarantee of the binary case.

    :param n_arms: number of arms.
    :param dim: context dimension (ignored).
    :param seed: seed of the agent's generator.
    :param prior_alpha: ``a0`` of the Beta prior, > 0.
    :param prior_beta: ``b0`` of the Beta prior, > 0.
    """

    name = "ts-beta"

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0,
                 prior_alpha: float = 1.0, prior_beta: float = 1.0) -> None:
        if prior_alpha <= 0 or prior_beta <= 0:
            raise ValueError(
                f"prior_alpha and prior_beta must be > 0, got {prior_alpha}, {prior_beta}")
        self.prior_alpha = float(prior_alpha)
        self.prior_beta = float(prior_beta)
        super().__init__(n_arms, dim, seed)

    def _posterior(self) -> tuple[np.ndarray, np.ndarray]:
        # sums holds the Bernoulli successes, so failures are counts - sums.
        return self.prior_alpha + self.sums, self.prior_beta + self.counts - self.sums

    def act(self, context: Any) -> int:
        a, b = self._posterior()
        return int(np.argmax(self.rng.beta(a, b)))

    def act_batch(self, contexts: Any) -> np.ndarray:
        # Row-major draws consume the generator exactly as the same number of act() calls.
        a, b = self._posterior()
        return np.argmax(self.rng.beta(a, b, size=(len(contexts), self.n_arms)), axis=1)

    def _binarize(self, rewards: np.ndarray) -> np.ndarray:
        if np.any((rewards < 0.0) | (rewards > 1.0)):
            raise ValueError("ts-beta needs rewards in [0, 1]; rescale them or use ts-gaussian")
        binary = (rewards == 0.0) | (rewards == 1.0)
        if binary.all():
            return rewards
        return np.where(binary, rewards, self.rng.random(rewards.shape) < rewards).astype(float)

    def update(self, context: Any, arm: int, reward: float) -> None:
        super().update(context, arm, float(self._binarize(np.array([float(reward)]))[0]))

    def update_batch(self, contexts: Any, arms: np.ndarray, rewards: np.ndarray) -> None:
        super().update_batch(contexts, arms,
                             self._binarize(np.asarray(rewards, dtype=np.float64)))


@register_agent("ts-gaussian")
class GaussianThompson(_CountingAgent):
    """Thompson sampling with a Gaussian prior on each mean and Gaussian reward noise.

    With prior ``N(mu0, s0^2)`` and known noise ``sigma``, after ``n_a`` rewards summing to
    ``S_a`` the posterior of arm ``a``'s mean is ``N(m_a, v_a)`` with precision
    ``1/v_a = 1/s0^2 + n_a/sigma^2`` and ``m_a = v_a (mu0/s0^2 + S_a/sigma^2)``.
    For rewards in [0, 1], ``noise_std=0.5`` bounds the true standard deviation.

    :param n_arms: number of arms.
    :param dim: context dimension (ignored).
    :param seed: seed of the agent's generator.
    :param prior_mean: ``mu0``.
    :param prior_std: ``s0`` > 0.
    :param noise_std: ``sigma`` > 0, the assumed reward noise.
    """

    name = "ts-gaussian"

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0,
                 prior_mean: float = 0.0, prior_std: float = 1.0,
                 noise_std: float = 1.0) -> None:
        if prior_std <= 0 or noise_std <= 0:
            raise ValueError(f"prior_std and noise_std must be > 0, got {prior_std}, {noise_std}")
        self.prior_mean = float(prior_mean)
        self.prior_std = float(prior_std)
        self.noise_std = float(noise_std)
        super().__init__(n_arms, dim, seed)

    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of every arm's mean reward."""
        prior_precision = 1.0 / self.prior_std**2
        noise_precision = 1.0 / self.noise_std**2
        precision = prior_precision + self.counts * noise_precision
        mean = (self.prior_mean * prior_precision + self.sums * noise_precision) / precision
        return mean, 1.0 / np.sqrt(precision)

    def act(self, context: Any) -> int:
        mean, std = self.posterior()
        return int(np.argmax(self.rng.normal(mean, std)))

    def act_batch(self, contexts: Any) -> np.ndarray:
        mean, std = self.posterior()
        return np.argmax(self.rng.normal(mean, std, size=(len(contexts), self.n_arms)), axis=1)
