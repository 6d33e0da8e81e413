"""Linear contextual bandits: disjoint LinUCB and linear Thompson sampling.

Each arm ``a`` keeps a ridge regression of its reward on the context ``x`` (dimension ``d``):

    A_a = lambda I + sum_{t: a_t = a} x_t x_t^T,     b_a = sum_{t: a_t = a} r_t x_t,
    theta_a = A_a^{-1} b_a.

Neither agent ever inverts a matrix. ``A_a^{-1}`` is kept directly and refreshed after each
observation by the Sherman-Morrison formula

    (A + x x^T)^{-1} = A^{-1} - (A^{-1} x)(A^{-1} x)^T / (1 + x^T A^{-1} x),

which costs O(d^2) instead of the O(d^3) of a fresh inverse. All statistics live in arrays
stacked over arms (``(K, d, d)`` inverses, ``(K, d)`` vectors) and every decision and update is
one call of a numba kernel, so a plain Python loop of ``act`` and ``update`` runs at over a
hundred thousand rounds per second for 10 arms and 20 features on two cores, two orders of
magnitude above MABWiser's LinUCB (``decisiongym.bench.bandits.linucb_speed`` measures both in
one run; ``benchmarks/results/bandits.md`` has the published ratio).

MABWiser is not slow because of its matrix algebra. Profiled with ``cProfile`` on that loop
(MABWiser 2.7.4, 10 arms x 20 features, 1,000 rounds of ``predict`` + ``partial_fit`` after a
``fit`` on 100), about 80 % of the loop's time is ``copy.deepcopy``: every ``partial_fit``
deep-copies the model of every arm, ten copies per decision whether or not the arm received
data, before refitting it. Its inverses (``numpy.linalg.inv``, once per arm that received data)
take about 2 %, joblib's dispatch about 9 % and ``predict`` about 8 %.

========  ===========================================================================
name      rule
========  ===========================================================================
``linucb``  ``argmax_a theta_a.x + alpha sqrt(x^T A_a^{-1} x)`` (Li et al., 2010, disjoint)
``lints``   ``argmax_a theta~_a.x`` with ``theta~_a ~ N(theta_a, v^2 A_a^{-1})``
            (Agrawal & Goyal, 2013)
========  ===========================================================================

The kernels are plain functions over the stacked arrays; ``reference_linucb_scores`` and
``reference_lints_scores`` are their numpy twins, used by the tests to cross-check them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from decisiongym.agents.bandits.base import BanditAgent, register_agent


@njit(cache=True)
def rank_one_inverse_update(inv, x, weight):
    """``inv`` becomes ``(A + weight x x^T)^{-1}`` given ``inv = A^{-1}`` (Sherman-Morrison),
    in place, in O(d^2)."""
    d = x.shape[0]
    u = np.empty(d)
    quad = 0.0
    for i in range(d):
        s = 0.0
        for j in range(d):
            s += inv[i, j] * x[j]
        u[i] = s
        quad += x[i] * s
    scale = weight / (1.0 + weight * quad)
    for i in range(d):
        ui = u[i] * scale
        for j in range(d):
            inv[i, j] -= ui * u[j]


@njit(cache=True)
def sherman_morrison_update(a_inv, b, theta, arm, x, reward, weight):
    """Add ``weight * x x^T`` to ``A_arm`` and ``weight * reward * x`` to ``b_arm``, in place.

    ``a_inv[arm]`` becomes ``(A_arm + weight x x^T)^{-1}`` by Sherman-Morrison and
    ``theta[arm] = a_inv[arm] @ b[arm]`` is recomputed from it, both in O(d^2).
    """
    d = x.shape[0]
    inv = a_inv[arm]
    rank_one_inverse_update(inv, x, weight)
    for i in range(d):
        b[arm, i] += weight * reward * x[i]
    for i in range(d):
        s = 0.0
        for j in range(d):
            s += inv[i, j] * b[arm, j]
        theta[arm, i] = s


@njit(cache=True)
def _update_many(a_inv, b, theta, arms, xs, rewards):
    for n in range(arms.shape[0]):
        sherman_morrison_update(a_inv, b, theta, arms[n], xs[n], rewards[n], 1.0)


@njit(cache=True)
def linucb_scores(a_inv, theta, x, alpha, out):
    """``out[a] = theta_a.x + alpha sqrt(x^T A_a^{-1} x)`` for every arm, in O(K d^2)."""
    n_arms, d = theta.shape
    for a in range(n_arms):
        mean = 0.0
        quad = 0.0
        for i in range(d):
            mean += theta[a, i] * x[i]
            s = 0.0
            for j in range(d):
                s += a_inv[a, i, j] * x[j]
            quad += x[i] * s
        out[a] = mean + alpha * math.sqrt(max(quad, 0.0))


@njit(cache=True)
def linucb_choose(a_inv, theta, x, alpha):
    """The LinUCB arm for context ``x``; ties go to the lowest index."""
    scores = np.empty(theta.shape[0])
    linucb_scores(a_inv, theta, x, alpha, scores)
    return np.argmax(scores)


@njit(cache=True)
def _linucb_choose_many(a_inv, theta, xs, alpha):
    scores = np.empty(theta.shape[0])
    arms = np.empty(xs.shape[0], dtype=np.int64)
    for n in range(xs.shape[0]):
        linucb_scores(a_inv, theta, xs[n], alpha, scores)
        arms[n] = np.argmax(scores)
    return arms


@njit(cache=True)
def cholesky_rank_one_update(chol, arm, x):
    """``chol[arm] = L`` becomes the lower Cholesky factor of ``L L^T + x x^T``, in O(d^2).

    The classic Givens-style sweep (Golub & Van Loan, section 6.5.4); adding a positive
    term can never break positive definiteness, so it needs no pivoting.
    """
    d = x.shape[0]
    low = chol[arm]
    w = x.copy()
    for k in range(d):
        r = math.sqrt(low[k, k] * low[k, k] + w[k] * w[k])
        c = r / low[k, k]
        s = w[k] / low[k, k]
        low[k, k] = r
        for i in range(k + 1, d):
            low[i, k] = (low[i, k] + s * w[i]) / c
            w[i] = c * w[i] - s * low[i, k]


@njit(cache=True)
def lints_scores(chol, theta, x, v, noise, out):
    """``out[a] = x.(theta_a + v L_a^{-T} z_a)`` with ``z_a = noise[a]`` standard normal.

    ``L_a^{-T} z`` has covariance ``(L_a L_a^T)^{-1} = A_a^{-1}``, so ``theta~_a`` is a draw
    of ``N(theta_a, v^2 A_a^{-1})``; one back-substitution per arm, O(K d^2) in all.
    """
    n_arms, d = theta.shape
    y = np.empty(d)
    for a in range(n_arms):
        low = chol[a]
        for i in range(d - 1, -1, -1):
            s = noise[a, i]
            for j in range(i + 1, d):
                s -= low[j, i] * y[j]
            y[i] = s / low[i, i]
        score = 0.0
        for i in range(d):
            score += x[i] * (theta[a, i] + v * y[i])
        out[a] = score


@njit(cache=True)
def _lints_choose_many(chol, theta, xs, v, noise):
    scores = np.empty(theta.shape[0])
    arms = np.empty(xs.shape[0], dtype=np.int64)
    for n in range(xs.shape[0]):
        lints_scores(chol, theta, xs[n], v, noise[n], scores)
        arms[n] = np.argmax(scores)
    return arms


@njit(cache=True)
def _lints_update_many(a_inv, b, theta, chol, arms, xs, rewards):
    for n in range(arms.shape[0]):
        sherman_morrison_update(a_inv, b, theta, arms[n], xs[n], rewards[n], 1.0)
        cholesky_rank_one_update(chol, arms[n], xs[n])


def reference_linucb_scores(a_inv: np.ndarray, theta: np.ndarray, x: np.ndarray,
                            alpha: float) -> np.ndarray:
    """numpy twin of ``linucb_scores``."""
    quad = np.einsum("i,aij,j->a", x, a_inv, x)
    return theta @ x + alpha * np.sqrt(np.maximum(quad, 0.0))


def reference_lints_scores(chol: np.ndarray, theta: np.ndarray, x: np.ndarray, v: float,
                           noise: np.ndarray) -> np.ndarray:
    """numpy twin of ``lints_scores``."""
    draws = np.stack([np.linalg.solve(chol[a].T, noise[a]) for a in range(theta.shape[0])])
    return (theta + v * draws) @ x


class _RidgeArms(BanditAgent):
    """Per-arm ridge statistics ``A_a^{-1}``, ``b_a`` and ``theta_a`` stacked over arms."""

    ridge: float
    a_inv: np.ndarray
    b: np.ndarray
    theta: np.ndarray

    def _reset_state(self) -> None:
        k, d = self.n_arms, self.dim
        self.a_inv = np.broadcast_to(np.eye(d) / self.ridge, (k, d, d)).copy()
        self.b = np.zeros((k, d))
        self.theta = np.zeros((k, d))

    def _context(self, context: Any) -> np.ndarray:
        x = np.asarray(context, dtype=np.float64)
        if x.shape != (self.dim,):
            raise ValueError(f"context must have shape ({self.dim},), got {x.shape}")
        return x

    def _contexts(self, contexts: Any) -> np.ndarray:
        xs = np.ascontiguousarray(contexts, dtype=np.float64)
        if xs.ndim != 2 or xs.shape[1] != self.dim:
            raise ValueError(f"contexts must have shape (batch, {self.dim}), got {xs.shape}")
        return xs

    def _arm(self, arm: int) -> int:
        arm = int(arm)
        if not 0 <= arm < self.n_arms:
            raise ValueError(f"arm must be in [0, {self.n_arms}), got {arm}")
        return arm

    def _batch(self, contexts: Any, arms: Any, rewards: Any
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xs = self._contexts(contexts)
        arm_array = np.ascontiguousarray(arms, dtype=np.int64)
        reward_array = np.ascontiguousarray(rewards, dtype=np.float64)
        if arm_array.shape != (xs.shape[0],) or reward_array.shape != (xs.shape[0],):
            raise ValueError("contexts, arms and rewards must have the same batch length")
        if arm_array.size and (arm_array.min() < 0 or arm_array.max() >= self.n_arms):
            raise ValueError(f"arms must be in [0, {self.n_arms})")
        return xs, arm_array, reward_array

    def design_matrices(self) -> np.ndarray:
        """``A_a`` of every arm, recovered from the stored inverses (for inspection only)."""
        return np.linalg.inv(self.a_inv)


@register_agent("linucb")
class LinUCB(_RidgeArms):
    """Disjoint LinUCB (Li, Chu, Langford & Schapire, 2010, Algorithm 1).

    Pulls ``argmax_a theta_a.x + alpha sqrt(x^T A_a^{-1} x)``; ties go to the lowest index, so
    the agent is deterministic. Per round: O(K d^2) to act, O(d^2) to update.

    :param n_arms: number of arms ``K``.
    :param dim: context dimension ``d``.
    :param seed: seed of the agent's generator (unused: the rule is deterministic).
    :param alpha: width of the confidence bonus; 0.5 is BanditBench's default.
    :param ridge: ``lambda`` > 0, the ridge penalty (``A_a`` starts at ``lambda I``).
    """

    name = "linucb"

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0, alpha: float = 0.5,
                 ridge: float = 1.0) -> None:
        if alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {alpha}")
        if ridge <= 0:
            raise ValueError(f"ridge must be > 0, got {ridge}")
        self.alpha = float(alpha)
        self.ridge = float(ridge)
        super().__init__(n_arms, dim, seed)

    def scores(self, context: Any) -> np.ndarray:
        """Upper confidence bound of every arm for ``context``."""
        out = np.empty(self.n_arms)
        linucb_scores(self.a_inv, self.theta, self._context(context), self.alpha, out)
        return out

    def act(self, context: Any) -> int:
        return int(linucb_choose(self.a_inv, self.theta, self._context(context), self.alpha))

    def act_batch(self, contexts: Any) -> np.ndarray:
        return _linucb_choose_many(self.a_inv, self.theta, self._contexts(contexts), self.alpha)

    def update(self, context: Any, arm: int, reward: float) -> None:
        sherman_morrison_update(self.a_inv, self.b, self.theta, self._arm(arm),
                                self._context(context), float(reward), 1.0)

    def update_batch(self, contexts: Any, arms: Any, rewards: Any) -> None:
        xs, arm_array, reward_array = self._batch(contexts, arms, rewards)
        _update_many(self.a_inv, self.b, self.theta, arm_array, xs, reward_array)


@register_agent("lints")
class LinTS(_RidgeArms):
    """Linear Thompson sampling (Agrawal & Goyal, 2013), one ridge model per arm.

    Each decision draws ``theta~_a ~ N(theta_a, v^2 A_a^{-1})`` for every arm and pulls
    ``argmax_a theta~_a.x``. The theory's ``v = R sqrt(24 d ln(1/delta) / epsilon)`` is far
    too conservative in practice; ``v`` is a tuning knob here, as in MABWiser and OBP.

    Cost: besides ``A_a^{-1}`` (Sherman-Morrison), the agent keeps the lower Cholesky factor
    ``L_a`` of ``A_a`` itself, refreshed by a rank-one Cholesky update (O(d^2)). A draw is
    then ``theta_a + v L_a^{-T} z`` with ``z ~ N(0, I)``: one triangular back-substitution,
    O(d^2) per arm. So a decision costs O(K d^2) and an update O(d^2), as for LinUCB, with no
    O(d^3) factorisation anywhere.

    :param n_arms: number of arms ``K``.
    :param dim: context dimension ``d``.
    :param seed: seed of the agent's generator (the posterior draws).
    :param v: scale of the posterior draws, >= 0 (0 is the greedy ridge policy).
    :param ridge: ``lambda`` > 0, the ridge penalty (``A_a`` starts at ``lambda I``).
    """

    name = "lints"

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0, v: float = 0.5,
                 ridge: float = 1.0) -> None:
        if v < 0:
            raise ValueError(f"v must be >= 0, got {v}")
        if ridge <= 0:
            raise ValueError(f"ridge must be > 0, got {ridge}")
        self.v = float(v)
        self.ridge = float(ridge)
        super().__init__(n_arms, dim, seed)

    def _reset_state(self) -> None:
        super()._reset_state()
        k, d = self.n_arms, self.dim
        self.chol = np.broadcast_to(np.eye(d) * math.sqrt(self.ridge), (k, d, d)).copy()

    def sample_scores(self, context: Any) -> np.ndarray:
        """One posterior draw of every arm's expected reward for ``context``."""
        out = np.empty(self.n_arms)
        noise = self.rng.standard_normal((self.n_arms, self.dim))
        lints_scores(self.chol, self.theta, self._context(context), self.v, noise, out)
        return out

    def act(self, context: Any) -> int:
        return int(np.argmax(self.sample_scores(context)))

    def act_batch(self, contexts: Any) -> np.ndarray:
        # Row-major draws consume the generator exactly as the same number of act() calls.
        xs = self._contexts(contexts)
        noise = self.rng.standard_normal((xs.shape[0], self.n_arms, self.dim))
        return _lints_choose_many(self.chol, self.theta, xs, self.v, noise)

    def update(self, context: Any, arm: int, reward: float) -> None:
        x = self._context(context)
        arm = self._arm(arm)
        sherman_morrison_update(self.a_inv, self.b, self.theta, arm, x, float(reward), 1.0)
        cholesky_rank_one_update(self.chol, arm, x)

    def update_batch(self, contexts: Any, arms: Any, rewards: Any) -> None:
        xs, arm_array, reward_array = self._batch(contexts, arms, rewards)
        _lints_update_many(self.a_inv, self.b, self.theta, self.chol, arm_array, xs,
                           reward_array)
