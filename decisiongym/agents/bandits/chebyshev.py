"""ChebCB: the contextual bandit of Learning to Relax for a one-dimensional context.

Khodak et al. (ICLR 2024) model the cost of each arm as a smooth function of a scalar context
(the diagonal shift ``c`` of the system) and fit it with a low-degree Chebyshev expansion; the
arm is then drawn by inverse-gap weighting over the predicted costs, the exploration rule of
SquareCB (Foster & Rakhlin, ICML 2020).

Here, per arm ``a``:

* the context's ``context_index`` entry is mapped from ``context_range`` onto ``[-1, 1]``
  (clipped) and expanded into ``phi = (T_0(u), ..., T_degree(u))``;
* the cost model is the ridge least-squares fit ``theta_a = G_a^{-1} m_a`` with
  ``G_a = ridge I + sum phi phi^T`` and ``m_a = sum cost phi`` over the rounds that played
  ``a``; ``G_a`` and ``m_a`` are kept incrementally, so an update costs one small solve;
* the best predicted arm ``b`` and the others get
  ``p_a = 1 / (K + gamma_t (yhat_a - yhat_b) / scale)``, ``p_b = 1 - sum_{a != b} p_a``, with
  ``gamma_t = gamma_scale * sqrt(K t)`` and ``scale`` the running mean cost, so that the gaps
  are relative and one ``gamma_scale`` serves any cost unit.

The paper's MATLAB fits bounded coefficients with a constrained solver and grows its rate
linearly in ``t`` from a residual estimate; the plain ridge fit and the SquareCB rate
``sqrt(K t)`` are the simpler choices made here. Rewards are minus costs, as in
:class:`~decisiongym.envs.bandits.relax.SORRelaxationEnv`.
"""

from __future__ import annotations

import math

import numpy as np

from decisiongym.agents.bandits.base import BanditAgent, register_agent


def chebyshev_features(u: float, degree: int) -> np.ndarray:
    """``(T_0(u), ..., T_degree(u))`` by the three-term recurrence.

    :param u: a point of ``[-1, 1]``.
    :param degree: highest polynomial degree.
    """
    phi = np.empty(degree + 1)
    phi[0] = 1.0
    if degree >= 1:
        phi[1] = u
    for k in range(2, degree + 1):
        phi[k] = 2.0 * u * phi[k - 1] - phi[k - 2]
    return phi


def inverse_gap_weights(predicted_costs: np.ndarray, gamma: float) -> np.ndarray:
    """SquareCB's inverse-gap weighting over predicted costs (lowest index wins ties).

    :param predicted_costs: ``(K,)`` predictions, lower is better.
    :param gamma: exploitation strength; 0 gives the uniform distribution.
    """
    k = predicted_costs.size
    best = int(np.argmin(predicted_costs))
    probabilities = 1.0 / (k + gamma * (predicted_costs - predicted_costs[best]))
    probabilities[best] = 0.0
    probabilities[best] = 1.0 - probabilities.sum()
    return probabilities


@register_agent("chebcb")
class ChebCB(BanditAgent):
    """Per-arm Chebyshev regression of cost on a scalar context, inverse-gap-weighted choice.

    :param n_arms: number of arms.
    :param dim: context dimension.
    :param seed: seed of the agent's generator.
    :param degree: degree of the Chebyshev expansion (6 in the paper).
    :param context_range: ``(low, high)`` of the scalar context, mapped onto ``[-1, 1]``;
        the paper declares ``[-0.15, 0.65]`` for the shift ``c``.
    :param context_index: which entry of the context is the scalar.
    :param gamma_scale: the constant of ``gamma_t = gamma_scale * sqrt(K t)``.
    :param ridge: ridge penalty of the per-arm fits (keeps them defined before ``degree + 1``
        observations).
    """

    name = "chebcb"

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0, degree: int = 6,
                 context_range: tuple[float, float] = (-0.15, 0.65), context_index: int = 0,
                 gamma_scale: float = 10.0, ridge: float = 1e-3) -> None:
        if degree < 0:
            raise ValueError(f"degree must be >= 0, got {degree}")
        if not context_range[0] < context_range[1]:
            raise ValueError(f"context_range must be (low, high) with low < high, "
                             f"got {context_range!r}")
        if not 0 <= context_index < dim:
            raise ValueError(f"context_index must be in [0, {dim}), got {context_index}")
        if gamma_scale < 0:
            raise ValueError(f"gamma_scale must be >= 0, got {gamma_scale}")
        if ridge <= 0:
            raise ValueError(f"ridge must be positive, got {ridge}")
        self.degree = int(degree)
        self.context_range = (float(context_range[0]), float(context_range[1]))
        self.context_index = int(context_index)
        self.gamma_scale = float(gamma_scale)
        self.ridge = float(ridge)
        super().__init__(n_arms, dim, seed)

    def _reset_state(self) -> None:
        size = self.degree + 1
        self.t = 1
        self.gram = np.tile(self.ridge * np.eye(size), (self.n_arms, 1, 1))
        self.moments = np.zeros((self.n_arms, size))
        self.theta = np.zeros((self.n_arms, size))
        self.counts = np.zeros(self.n_arms, dtype=np.int64)
        self.cost_sum = 0.0

    def features(self, context: np.ndarray) -> np.ndarray:
        """Chebyshev features of the context's scalar entry."""
        low, high = self.context_range
        value = float(np.asarray(context, dtype=np.float64).reshape(-1)[self.context_index])
        u = min(max(2.0 * (value - low) / (high - low) - 1.0, -1.0), 1.0)
        return chebyshev_features(u, self.degree)

    def predict(self, context: np.ndarray) -> np.ndarray:
        """``(K,)`` predicted cost of every arm in ``context``."""
        return self.theta @ self.features(context)

    @property
    def gamma(self) -> float:
        """The current exploitation strength ``gamma_scale * sqrt(K t)``."""
        return self.gamma_scale * math.sqrt(self.n_arms * self.t)

    def probabilities(self, context: np.ndarray) -> np.ndarray:
        """The distribution ``act`` samples from in ``context``."""
        observed = self.t - 1
        scale = self.cost_sum / observed if observed and self.cost_sum > 0 else 1.0
        return inverse_gap_weights(self.predict(context) / scale, self.gamma)

    def act(self, context: np.ndarray) -> int:
        return int(self.rng.choice(self.n_arms, p=self.probabilities(context)))

    def update(self, context: np.ndarray, arm: int, reward: float) -> None:
        cost = -float(reward)
        phi = self.features(context)
        self.gram[arm] += np.outer(phi, phi)
        self.moments[arm] += cost * phi
        self.theta[arm] = np.linalg.solve(self.gram[arm], self.moments[arm])
        self.counts[arm] += 1
        self.cost_sum += cost
        self.t += 1
