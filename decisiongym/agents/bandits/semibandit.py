"""Learners for fair classification with one-sided feedback, as contextual semi-bandits.

Bechavod & Roth (ICML 2023) reduce online classification with one-sided feedback and a panel of
fairness auditors (:class:`~decisiongym.envs.bandits.fairness.OneSidedFairnessEnv`) to a
contextual combinatorial semi-bandit: each round the learner picks a 0/1 vector over the ``k``
arrivals, and the loss of each coordinate it sets to 1 (accept) is revealed. Accepting ``i``
costs ``1 - 2 y_i`` (-1 for a good accept, +1 for a bad one), rejecting costs 0 whatever the
label, so the labels the env hides (those of the rejected) are exactly the ones not needed to
score the action taken; the losses of the coordinates not taken are estimated by importance
weighting, ``l_i = (1 - 2 y_i) / p_i`` when ``i`` was accepted with probability ``p_i``.

Fairness enters as the paper's Lagrangian term: each pair ``(i, j)`` the panel reports, ``i``
the favoured one, adds ``fairness_penalty * (h(x_i) - h(x_j))`` to the loss of every policy
``h``, which makes policies that split the pair the favoured way costlier and the reverse
cheaper, pulling the two acceptance probabilities together. ``fairness_penalty=0`` gives the
accuracy-only learner.

=====================  ===================================================================
name                   rule
=====================  ===================================================================
``exp2``               exponential weights over a finite class of linear threshold
                       policies (Exp2 for semi-bandits, Bubeck, Cesa-Bianchi & Kakade 2012)
``ftpl-semibandit``    follow the perturbed leader with an ERM oracle
                       (Context-Semi-Bandit-FTPL, Syrgkanis, Krishnamurthy & Schapire 2016)
=====================  ===================================================================

Both act on a ``(k, dim)`` context (``n_arms = k``, ``dim`` features), return the drawn 0/1
vector as a :class:`~decisiongym.envs.bandits.fairness.RandomizedDecisions` (so ``env.step``
audits their probabilities), keep those probabilities in ``last_probabilities``, and learn from
``update(context, action, reward, info)``: ``info["labels"]`` (``-1`` where hidden) and
``info["reported_pairs"]``. Every acceptance probability is at least ``exploration``, which
keeps labels coming for every kind of person and bounds the importance weights by
``1 / exploration``.

>>> from decisiongym.envs.bandits.fairness import OneSidedFairnessEnv
>>> env = OneSidedFairnessEnv(k=5, dim=5, horizon=200)
>>> trace = run_fairness_episode(env, Exp2SemiBandit(n_arms=5, dim=5, seed=0), seed=0)
>>> trace.regret.shape
(200,)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from decisiongym.agents.bandits.base import BanditAgent, register_agent
from decisiongym.envs.bandits.fairness import OneSidedFairnessEnv, RandomizedDecisions

__all__ = [
    "ContextSemiBanditFTPL",
    "Exp2SemiBandit",
    "FairnessTrace",
    "SemiBanditAgent",
    "run_fairness_episode",
]


class SemiBanditAgent(BanditAgent):
    """Base class: randomised accept/reject of ``n_arms`` people per round.

    Subclasses give :meth:`acceptance_probabilities` (before exploration) and :meth:`_learn`.

    :param n_arms: people per round ``k``.
    :param dim: features per person.
    :param seed: seed of the agent's generator (its decisions and perturbations).
    :param exploration: floor ``gamma`` on every acceptance probability, in (0, 1].
    :param fairness_penalty: Lagrange weight of a reported pair (0 ignores the auditors).
    """

    name = "semibandit"
    last_probabilities: np.ndarray
    t: int

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0,
                 exploration: float = 0.05, fairness_penalty: float = 2.0) -> None:
        if not 0.0 < exploration <= 1.0:
            raise ValueError(f"exploration must lie in (0, 1], got {exploration}")
        if fairness_penalty < 0:
            raise ValueError(f"fairness_penalty must be >= 0, got {fairness_penalty}")
        self.exploration = float(exploration)
        self.fairness_penalty = float(fairness_penalty)
        super().__init__(n_arms, dim, seed)

    def _reset_state(self) -> None:
        self.last_probabilities = np.full(self.n_arms, 0.5)
        self.t = 0

    def acceptance_probabilities(self, context: np.ndarray) -> np.ndarray:
        """``(k,)`` the learned policy's acceptance probabilities, before exploration."""
        raise NotImplementedError

    def _learn(self, context: np.ndarray, accepted: np.ndarray, probabilities: np.ndarray,
               losses: np.ndarray, pairs: np.ndarray) -> None:
        """Take in one round: ``losses[i]`` is ``1 - 2 y_i`` where ``accepted[i]``, else 0."""
        raise NotImplementedError

    def _context(self, context: Any) -> np.ndarray:
        x = np.asarray(context, dtype=np.float64)
        if x.shape != (self.n_arms, self.dim):
            raise ValueError(f"context must have shape ({self.n_arms}, {self.dim}), "
                             f"found {x.shape}")
        return x

    # The action is a decision vector, not one arm index, hence the wider return type.
    def act(self, context: Any) -> RandomizedDecisions:  # type: ignore[override]
        """Draw this round's decisions.

        :param context: ``(k, dim)`` features of the round's people.
        :return: the 0/1 decisions, carrying their probabilities.
        """
        x = self._context(context)
        learned = self.acceptance_probabilities(x)
        probs = np.clip((1.0 - self.exploration) * learned + self.exploration, 0.0, 1.0)
        self.last_probabilities = probs
        decisions = (self.rng.random(self.n_arms) < probs).astype(np.int8)
        return RandomizedDecisions(decisions, probs)

    def update(self, context: Any, action: Any, reward: float,  # type: ignore[override]
               info: Mapping[str, Any] | None = None) -> None:
        """Learn from one round's one-sided feedback and the panel's report.

        :param context: the ``(k, dim)`` context acted on.
        :param action: the decisions returned by :meth:`act`.
        :param reward: the round's reward (unused: the labels carry more).
        :param info: the env's ``info``: ``labels`` (``-1`` where hidden) and, optionally,
            ``reported_pairs``.
        :raises ValueError: without ``info["labels"]``, or when an accepted label is hidden.
        """
        if info is None or "labels" not in info:
            raise ValueError(
                "semi-bandit learners need the env's info: call update(context, action, reward, "
                "info) so they can read info['labels'] and info['reported_pairs']"
            )
        x = self._context(context)
        accepted = np.asarray(action).astype(bool)
        carried = getattr(action, "probabilities", None)
        probs = np.asarray(carried if carried is not None else self.last_probabilities)
        labels = np.asarray(info["labels"], dtype=np.int64)
        if accepted.shape != (self.n_arms,) or labels.shape != (self.n_arms,):
            raise ValueError(f"action and labels must have length {self.n_arms}")
        if (labels[accepted] < 0).any():
            raise ValueError("every accepted person's label must be revealed (not -1)")
        losses = np.where(accepted, 1.0 - 2.0 * labels, 0.0)
        pairs = np.asarray(info.get("reported_pairs", np.zeros((0, 2))), dtype=np.int64)
        self._learn(x, accepted, probs, losses, pairs.reshape(-1, 2))
        self.t += 1

    def update_batch(self, contexts: np.ndarray, arms: np.ndarray, rewards: np.ndarray) -> None:
        raise TypeError("semi-bandit learners update one round at a time with the env's info")


# --------------------------------------------------------------------------------------------
# Exp2
# --------------------------------------------------------------------------------------------


@register_agent("exp2")
class Exp2SemiBandit(SemiBanditAgent):
    """Exponential weights over a finite class of linear threshold policies.

    The class holds ``n_policies`` thresholds ``h(x) = 1[v . x + b > 0]`` with ``v`` uniform on
    the unit sphere and ``b ~ U(-bias_range, bias_range)`` (drawn from the seed at reset), plus
    accept-all and reject-all. Each policy ``h`` carries the cumulative estimated loss
    ``L_h = sum_t sum_i h(x_ti) l_ti`` (importance-weighted semi-bandit estimates, unbiased for
    its true loss) and the cumulative fairness loss ``F_h``. The learner keeps
    ``q_h ~ exp(-eta (L_h + fairness_penalty * F_h))`` and accepts ``i`` with probability
    ``(1 - gamma) sum_h q_h h(x_i) + gamma``, one independent draw per person: only these
    marginals enter the loss estimates and the audit, so they replace the paper's draw of one
    policy per round without changing either.

    The class's own approximation error is part of the regret against the env's oracle (with
    ``dim = 5`` and 4000 policies, the best policy in hindsight loses about 0.1 per round of
    five people). The analysis sets the learning rate from the horizon; here it is a constant,
    0.05, tuned on ``T = 1500`` rounds of ``k = 5``.

    :param n_arms: people per round ``k``.
    :param dim: features per person.
    :param seed: seed of the policy class and of the decisions.
    :param n_policies: number of random thresholds in the class.
    :param learning_rate: ``eta``.
    :param exploration: acceptance floor ``gamma``.
    :param fairness_penalty: Lagrange weight of a reported pair.
    :param bias_range: half-width of the thresholds' offsets.
    """

    name = "exp2"
    directions: np.ndarray
    offsets: np.ndarray
    loss: np.ndarray
    fairness_loss: np.ndarray

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0,
                 n_policies: int = 4000, learning_rate: float = 0.05,
                 exploration: float = 0.05, fairness_penalty: float = 2.0,
                 bias_range: float = 0.5) -> None:
        if n_policies < 1:
            raise ValueError(f"n_policies must be >= 1, got {n_policies}")
        if learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
        self.n_policies = int(n_policies)
        self.learning_rate = float(learning_rate)
        self.bias_range = float(bias_range)
        super().__init__(n_arms, dim, seed, exploration, fairness_penalty)

    def _reset_state(self) -> None:
        super()._reset_state()
        v = self.rng.normal(size=(self.n_policies, self.dim))
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        b = self.rng.uniform(-self.bias_range, self.bias_range, self.n_policies)
        # A zero direction with offset +1 / -1 is accept-all / reject-all.
        self.directions = np.vstack([v, np.zeros((2, self.dim))])
        self.offsets = np.concatenate([b, [1.0, -1.0]])
        self.loss = np.zeros(self.n_policies + 2)
        self.fairness_loss = np.zeros(self.n_policies + 2)

    def _decisions(self, x: np.ndarray) -> np.ndarray:
        """``(k, N)`` decision of every policy on every person."""
        return (x @ self.directions.T + self.offsets > 0).astype(np.float64)

    def policy_weights(self) -> np.ndarray:
        """``(N,)`` the current distribution ``q`` over the policy class."""
        total = self.loss + self.fairness_penalty * self.fairness_loss
        logits = -self.learning_rate * (total - total.min())
        q = np.exp(logits)
        return q / q.sum()

    def acceptance_probabilities(self, context: np.ndarray) -> np.ndarray:
        return self._decisions(context) @ self.policy_weights()

    def _learn(self, context: np.ndarray, accepted: np.ndarray, probabilities: np.ndarray,
               losses: np.ndarray, pairs: np.ndarray) -> None:
        h = self._decisions(context)
        estimate = np.where(accepted, losses / np.maximum(probabilities, 1e-12), 0.0)
        self.loss += estimate @ h
        if pairs.size:
            self.fairness_loss += h[pairs[:, 0]].sum(axis=0) - h[pairs[:, 1]].sum(axis=0)


# --------------------------------------------------------------------------------------------
# Context-Semi-Bandit-FTPL
# --------------------------------------------------------------------------------------------


def weighted_logistic_regression(
    x: np.ndarray, targets: np.ndarray, weights: np.ndarray, regularization: float = 1.0,
    start: np.ndarray | None = None, max_iter: int = 50,
) -> np.ndarray:
    """Minimise ``sum_n w_n logloss(z_n, sigmoid(x_n . theta)) + reg / 2 |theta|^2`` by Newton's
    method with backtracking (safe on separable data, where plain Newton diverges).

    :param x: ``(n, f)`` features (an intercept column included by the caller).
    :param targets: ``(n,)`` targets in [0, 1].
    :param weights: ``(n,)`` non-negative sample weights.
    :param regularization: L2 penalty (> 0 keeps the optimum finite).
    :param start: warm start, or ``None`` for zeros.
    :param max_iter: Newton steps at most.
    :return: ``(f,)`` the weights ``theta``.
    """
    theta = np.zeros(x.shape[1]) if start is None else np.array(start, dtype=np.float64)
    eye = np.eye(x.shape[1])

    def objective(t: np.ndarray) -> float:
        m = x @ t
        return float(weights @ (np.logaddexp(0.0, m) - targets * m) + 0.5 * regularization * t @ t)

    value = objective(theta)
    for _ in range(max_iter):
        m = x @ theta
        p = 0.5 * (1.0 + np.tanh(0.5 * m))
        grad = x.T @ (weights * (p - targets)) + regularization * theta
        hess = (x * (weights * p * (1.0 - p))[:, None]).T @ x + regularization * eye
        step = np.linalg.solve(hess, grad)
        scale = 1.0
        while True:
            candidate = theta - scale * step
            new_value = objective(candidate)
            if new_value <= value or scale < 1e-4:
                break
            scale *= 0.5
        theta = candidate
        converged = value - new_value <= 1e-10 * (1.0 + abs(value))
        value = new_value
        if converged:
            break
    return theta


@register_agent("ftpl-semibandit")
class ContextSemiBanditFTPL(SemiBanditAgent):
    """Follow the perturbed leader, with a weighted logistic regression as the ERM oracle.

    The learner stores every accepted person ``x_i`` as a cost-sensitive example: accepting
    costs ``l_i / p_i`` (importance-weighted), i.e. a classification example with target
    ``y_i`` and weight ``1 / p_i``; each reported pair adds ``(x_favoured, target 0)`` and
    ``(x_other, target 1)`` with weight ``fairness_penalty`` (the Lagrangian term). Every
    ``refit_every`` rounds it draws ``n_leaders`` perturbations and calls the oracle once for
    each; a perturbation gives every point of a separator set a random cost
    ``c ~ Laplace(0, perturbation * sqrt(t))`` for accepting (target ``1[c < 0]``, weight
    ``|c|``). Each oracle call returns a leader ``h(x) = 1[theta . (1, x) > 0]``; person ``i``
    is accepted with probability ``(1 - gamma) * (share of leaders accepting x_i) + gamma``.

    Simplifications against Syrgkanis et al. (2016), who assume a small separator set known in
    advance and one fresh perturbation per round: the separator set is the first
    ``n_separator`` people seen; the oracle minimises the logistic surrogate of the 0/1
    cost-sensitive loss over linear thresholds rather than the 0/1 loss itself (exact ERM over
    thresholds is NP-hard; the surrogate is well specified for the env's logistic labels); the
    deployed policy picks one of ``n_leaders`` perturbed leaders uniformly, so its acceptance
    probabilities are known exactly and used as the importance weights (no geometric
    resampling is needed); leaders are refreshed every ``refit_every`` rounds, not every round.

    :param n_arms: people per round ``k``.
    :param dim: features per person.
    :param seed: seed of the perturbations and decisions.
    :param n_leaders: perturbed leaders per refit.
    :param perturbation: scale of the perturbation (multiplied by ``sqrt(t)``).
    :param exploration: acceptance floor ``gamma``.
    :param fairness_penalty: Lagrange weight of a reported pair.
    :param n_separator: size of the separator set.
    :param refit_every: rounds between oracle calls.
    :param regularization: the oracle's L2 penalty.
    """

    name = "ftpl-semibandit"
    leaders: np.ndarray

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0,
                 n_leaders: int = 8, perturbation: float = 1.0, exploration: float = 0.05,
                 fairness_penalty: float = 2.0, n_separator: int = 50, refit_every: int = 10,
                 regularization: float = 1.0) -> None:
        if n_leaders < 1 or n_separator < 1 or refit_every < 1:
            raise ValueError("n_leaders, n_separator and refit_every must be >= 1")
        if perturbation < 0 or regularization <= 0:
            raise ValueError("perturbation must be >= 0 and regularization > 0")
        self.n_leaders = int(n_leaders)
        self.perturbation = float(perturbation)
        self.n_separator = int(n_separator)
        self.refit_every = int(refit_every)
        self.regularization = float(regularization)
        super().__init__(n_arms, dim, seed, exploration, fairness_penalty)

    def _reset_state(self) -> None:
        super()._reset_state()
        width = self.dim + 1
        self._x = np.zeros((256, width))
        self._targets = np.zeros(256)
        self._weights = np.zeros(256)
        self._size = 0
        self._separator = np.zeros((0, width))
        self.leaders = np.zeros((self.n_leaders, width))
        self._fitted_at: int | None = None

    def _append(self, x: np.ndarray, targets: np.ndarray, weights: np.ndarray) -> None:
        need = self._size + x.shape[0]
        if need > self._x.shape[0]:
            grow = max(need, 2 * self._x.shape[0])
            self._x = np.resize(self._x, (grow, self._x.shape[1]))
            self._targets = np.resize(self._targets, grow)
            self._weights = np.resize(self._weights, grow)
        self._x[self._size:need] = x
        self._targets[self._size:need] = targets
        self._weights[self._size:need] = weights
        self._size = need

    def _refit(self) -> None:
        n = self._size
        sep = self._separator
        x = np.vstack([self._x[:n], sep])
        scale = self.perturbation * np.sqrt(self.t + 1.0)
        leaders = np.empty_like(self.leaders)
        for m in range(self.n_leaders):
            cost = (self.rng.laplace(0.0, scale, sep.shape[0]) if scale > 0
                    else np.zeros(sep.shape[0]))
            targets = np.concatenate([self._targets[:n], (cost < 0).astype(np.float64)])
            weights = np.concatenate([self._weights[:n], np.abs(cost)])
            start = self.leaders[m] if self._fitted_at is not None else None
            leaders[m] = weighted_logistic_regression(x, targets, weights, self.regularization,
                                                      start)
        self.leaders = leaders
        self._fitted_at = self.t

    def acceptance_probabilities(self, context: np.ndarray) -> np.ndarray:
        x = np.hstack([np.ones((context.shape[0], 1)), context])
        if self._separator.shape[0] < self.n_separator:
            room = self.n_separator - self._separator.shape[0]
            self._separator = np.vstack([self._separator, x[:room]])
        if self._fitted_at is None or self.t - self._fitted_at >= self.refit_every:
            self._refit()
        return (x @ self.leaders.T > 0).mean(axis=1)

    def _learn(self, context: np.ndarray, accepted: np.ndarray, probabilities: np.ndarray,
               losses: np.ndarray, pairs: np.ndarray) -> None:
        x = np.hstack([np.ones((context.shape[0], 1)), context])
        if accepted.any():
            # Loss -1 (a good accept) is target 1; the weight is the importance weight.
            self._append(x[accepted], (losses[accepted] < 0).astype(np.float64),
                         1.0 / np.maximum(probabilities[accepted], 1e-12))
        if pairs.size and self.fairness_penalty > 0:
            m = pairs.shape[0]
            self._append(np.vstack([x[pairs[:, 0]], x[pairs[:, 1]]]),
                         np.concatenate([np.zeros(m), np.ones(m)]),
                         np.full(2 * m, self.fairness_penalty))


# --------------------------------------------------------------------------------------------
# Running an episode
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FairnessTrace:
    """Per-round record of one episode on the fairness env (all from the env's ``info``).

    :param regret: accuracy regret of the decisions.
    :param probability_regret: accuracy regret of the probabilities.
    :param violations: pairs reported by the panel.
    :param rewards: realised rewards.
    """

    regret: np.ndarray
    probability_regret: np.ndarray
    violations: np.ndarray
    rewards: np.ndarray

    @property
    def horizon(self) -> int:
        return int(self.regret.size)

    def quarter_means(self, series: str) -> np.ndarray:
        """``(4,)`` mean per round of ``series`` (a field name) over each quarter."""
        values = getattr(self, series)
        return np.array([chunk.mean() for chunk in np.array_split(values, 4)])


def run_fairness_episode(env: OneSidedFairnessEnv, agent: SemiBanditAgent,
                         seed: int | None = None) -> FairnessTrace:
    """Play one episode (the env's horizon) of ``agent`` on ``env``.

    :param env: the fairness env (unwrapped or wrapped).
    :param agent: a semi-bandit learner sized for the env.
    :param seed: seed of the env's reset (the agent keeps its own).
    :return: the per-round record.
    """
    context, _ = env.reset(seed=seed)
    horizon = int(env.unwrapped.horizon)  # type: ignore[attr-defined]
    regret = np.zeros(horizon)
    probability_regret = np.zeros(horizon)
    violations = np.zeros(horizon)
    rewards = np.zeros(horizon)
    for t in range(horizon):
        action = agent.act(context)
        next_context, reward, _, truncated, info = env.step(action)
        agent.update(context, action, reward, info)
        regret[t] = info["regret"]
        probability_regret[t] = info["probability_regret"]
        violations[t] = info["violations"]
        rewards[t] = reward
        context = next_context
        if truncated:
            break
    return FairnessTrace(regret, probability_regret, violations, rewards)
