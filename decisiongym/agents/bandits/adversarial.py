"""Adversarial multi-armed bandits: Tsallis-INF and Exp3.

Both learners ignore the context and keep importance-weighted cumulative loss estimates
``L_i = sum_s loss_s 1{arm_s = i} / p_s(i)``, unbiased for the cumulative loss of every arm
whatever the sequence of losses.

**Losses.** The suite's rewards are turned into non-negative losses in one of two ways:

* cost mode (default, ``reward_range=None``): the reward is minus a cost (``SORRelaxationEnv``
  pays minus SOR iterations), the loss is the cost, and the cumulative estimates are divided by
  the running mean of the costs observed so far before they enter the distribution. This is what
  Learning to Relax (Khodak et al., ICLR 2024) does with iteration counts, whose scale is not
  known in advance: the learning rate then acts on losses of order one.
* bounded mode (``reward_range=(low, high)``): the loss is ``(high - reward) / (high - low)``
  in ``[0, 1]``, unscaled.
"""

from __future__ import annotations

import math

import numpy as np

from decisiongym.agents.bandits.base import BanditAgent, register_agent


def tsallis_probabilities(losses: np.ndarray, eta: float, tol: float = 1e-12,
                          max_steps: int = 100) -> np.ndarray:
    """The Tsallis-INF (alpha = 1/2) distribution ``p_i = 4 / (eta (L_i - x))^2``.

    The normaliser ``x < min L`` is the root of ``f(x) = sum_i p_i(x) - 1``, found by Newton's
    method with ``f'(x) = eta sum_i p_i^{3/2}``. ``f`` is increasing and convex left of
    ``min L``, and at ``x0 = min L - 2 / eta`` the leading arm alone has weight one, so
    ``f(x0) >= 0`` and the Newton steps decrease monotonically onto the root without
    overshooting (Zimmert & Seldin, JMLR 2021, Algorithm 2).

    :param losses: ``(K,)`` cumulative loss estimates.
    :param eta: learning rate.
    :param tol: stop once ``sum p - 1 <= tol``.
    :param max_steps: Newton step cap.
    """
    if eta <= 0:
        raise ValueError(f"eta must be positive, got {eta}")
    shifted = np.asarray(losses, dtype=np.float64) - float(np.min(losses))
    x = -2.0 / eta
    weights = 4.0 / (eta * (shifted - x)) ** 2
    for _ in range(max_steps):
        excess = weights.sum() - 1.0
        if excess <= tol:
            break
        x -= excess / (eta * np.sum(weights**1.5))
        weights = 4.0 / (eta * (shifted - x)) ** 2
    return weights / weights.sum()


class _ImportanceWeighted(BanditAgent):
    """Shared bookkeeping: loss conversion, running cost scale, importance-weighted estimates.

    :param n_arms: number of arms.
    :param dim: context dimension (ignored by the learner).
    :param seed: seed of the agent's generator.
    :param reward_range: ``(low, high)`` of the rewards for bounded mode; ``None`` for cost mode.
    """

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0,
                 reward_range: tuple[float, float] | None = None) -> None:
        if reward_range is not None and not reward_range[0] < reward_range[1]:
            raise ValueError(f"reward_range must be (low, high) with low < high, "
                             f"got {reward_range!r}")
        self.reward_range = reward_range
        super().__init__(n_arms, dim, seed)

    def _reset_state(self) -> None:
        self.t = 1
        self.estimates = np.zeros(self.n_arms)
        self.cost_sum = 0.0
        self.n_observed = 0
        self._probabilities = np.full(self.n_arms, 1.0 / self.n_arms)

    def loss(self, reward: float) -> float:
        """The non-negative loss of a reward (see the module docstring)."""
        if self.reward_range is None:
            return -float(reward)
        low, high = self.reward_range
        return (high - float(reward)) / (high - low)

    @property
    def scale(self) -> float:
        """What the cumulative estimates are divided by: the running mean cost in cost mode."""
        if self.reward_range is not None or self.n_observed == 0:
            return 1.0
        mean = self.cost_sum / self.n_observed
        return mean if mean > 0 else 1.0

    def probabilities(self) -> np.ndarray:
        """The distribution the next ``act`` samples from."""
        raise NotImplementedError

    def act(self, context: np.ndarray) -> int:
        self._probabilities = self.probabilities()
        return int(self.rng.choice(self.n_arms, p=self._probabilities))

    def update(self, context: np.ndarray, arm: int, reward: float) -> None:
        loss = self.loss(reward)
        if self.reward_range is None and loss < 0:
            raise ValueError(f"cost mode needs rewards <= 0 (minus a cost), got {reward}; "
                             f"pass reward_range=(low, high) for bounded rewards")
        # The weight is the probability the arm had when it was drawn (the last act), which
        # also holds for a batch acted under one distribution and updated afterwards.
        self.estimates[arm] += loss / self._probabilities[arm]
        self.cost_sum += loss
        self.n_observed += 1
        self.t += 1


@register_agent("tsallis-inf")
class TsallisINF(_ImportanceWeighted):
    """Tsallis-INF (Zimmert & Seldin, "Tsallis-INF: An Optimal Algorithm for Stochastic and
    Adversarial Bandits", JMLR 2021) with the 1/2-Tsallis entropy and importance-weighted
    estimates, as Learning to Relax uses it to pick SOR's omega.

    Round ``t`` (from 1) plays ``p = tsallis_probabilities(L / scale, eta_t)`` with
    ``eta_t = learning_rate / sqrt(t)`` (2 in the paper) and ``scale`` the running mean cost.

    :param n_arms: number of arms.
    :param dim: context dimension (ignored).
    :param seed: seed of the agent's generator.
    :param learning_rate: the constant of ``eta_t = learning_rate / sqrt(t)``.
    :param reward_range: ``(low, high)`` for bounded rewards; ``None`` for costs.
    """

    name = "tsallis-inf"

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0,
                 learning_rate: float = 2.0,
                 reward_range: tuple[float, float] | None = None) -> None:
        if learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {learning_rate}")
        self.learning_rate = float(learning_rate)
        super().__init__(n_arms, dim, seed, reward_range)

    def probabilities(self) -> np.ndarray:
        eta = self.learning_rate / math.sqrt(self.t)
        return tsallis_probabilities(self.estimates / self.scale, eta)


@register_agent("exp3")
class Exp3(_ImportanceWeighted):
    """Exp3 (Auer, Cesa-Bianchi, Freund & Schapire, 2002) in its loss form with an anytime rate.

    Round ``t`` plays ``p ~ exp(-eta_t L / scale)`` mixed with ``exploration`` of the uniform
    distribution, ``eta_t = learning_rate * sqrt(ln K / (K t))``.

    :param n_arms: number of arms.
    :param dim: context dimension (ignored).
    :param seed: seed of the agent's generator.
    :param learning_rate: the constant of ``eta_t``.
    :param exploration: weight of the uniform distribution in the mixture.
    :param reward_range: ``(low, high)`` for bounded rewards; ``None`` for costs.
    """

    name = "exp3"

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0,
                 learning_rate: float = 1.0, exploration: float = 0.0,
                 reward_range: tuple[float, float] | None = None) -> None:
        if learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {learning_rate}")
        if not 0.0 <= exploration <= 1.0:
            raise ValueError(f"exploration must be in [0, 1], got {exploration}")
        self.learning_rate = float(learning_rate)
        self.exploration = float(exploration)
        super().__init__(n_arms, dim, seed, reward_range)

    def probabilities(self) -> np.ndarray:
        eta = self.learning_rate * math.sqrt(math.log(max(self.n_arms, 2)) / (self.n_arms * self.t))
        scaled = self.estimates / self.scale
        # Subtracting the minimum keeps exp from underflowing to an all-zero vector.
        weights = np.exp(-eta * (scaled - scaled.min()))
        weights /= weights.sum()
        return (1.0 - self.exploration) * weights + self.exploration / self.n_arms
