"""Off-policy estimators of a target policy's value from a log of bandit feedback.

The target policy is given by its action probabilities on the logged contexts,
``pi[i, a] = pi(a | x_i)``, an ``(n, K)`` array whose rows sum to 1. With logged action
``a_i``, reward ``r_i``, propensity ``p_i = mu(a_i | x_i)`` of the logging policy ``mu``,
importance weight ``w_i = pi(a_i | x_i) / p_i`` and a reward model ``q(x, a)``:

=========  ===================================================================  ============
estimator  per-round term (the estimate is their mean, SNIPS excepted)          unbiased?
=========  ===================================================================  ============
``ips``    ``w_i r_i``                                                          yes
``snips``  ``sum_i w_i r_i / sum_i w_i`` (self-normalised)                      consistent
``dm``     ``sum_a pi(a|x_i) q(x_i, a)``                                        iff q right
``dr``     ``sum_a pi(a|x_i) q(x_i, a) + w_i (r_i - q(x_i, a_i))``              yes
=========  ===================================================================  ============

"Unbiased" needs ``mu(a|x) > 0`` wherever ``pi(a|x) > 0`` and true propensities. DR stays
unbiased with a wrong reward model and has lower variance than IPS with a good one.

Each estimator returns a :class:`PolicyValueEstimate` with a standard error: the sample std of
the per-round terms over ``sqrt(n)`` (for SNIPS, of its linearisation
``w_i (r_i - V) / mean(w)``), and the normal 95 % interval. The DM and DR errors treat the
reward model as fixed, so they leave out the model's own estimation error; cross-fitting
(``n_folds > 1``) keeps a row's prediction from a model fitted on that row.

:func:`fit_reward_model` fits one ridge or one logistic regression per action on the log
(logistic needs rewards in [0, 1]); DM and DR accept its name or a ready ``(n, K)`` prediction.
:func:`true_value` gives the exact value on a simulated log from its expected rewards.

These estimators sit with the bandit family's evaluation code because what they read is bandit
feedback: one context, one action, its propensity and its reward per round
(:class:`~decisiongym.envs.offline.logged_bandit.LoggedBanditData`). The offline preference
data that will share ``envs/offline/`` holds compared pairs, not single propensity-weighted
actions, and is evaluated by its own family's bench code. The off-policy table of the bandit
benchmark is :mod:`decisiongym.bench.bandits.offpolicy_report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from decisiongym.envs.offline.logged_bandit import LoggedBanditData

__all__ = [
    "ESTIMATORS",
    "PolicyValueEstimate",
    "dm",
    "dr",
    "epsilon_greedy_policy",
    "estimate_policy_value",
    "fit_reward_model",
    "ips",
    "snips",
    "softmax_policy",
    "true_value",
]

# Two-sided 95 % quantile of the standard normal.
Z95 = 1.959963984540054

RewardModel = Literal["ridge", "logistic"] | np.ndarray


@dataclass(frozen=True)
class PolicyValueEstimate:
    """An estimate of a policy's expected reward per round.

    :param estimator: the estimator's name (``"ips"``, ``"snips"``, ``"dm"``, ``"dr"``).
    :param value: the estimate.
    :param std_error: its standard error.
    :param n_rounds: number of logged rounds used.
    """

    estimator: str
    value: float
    std_error: float
    n_rounds: int

    @property
    def ci(self) -> tuple[float, float]:
        """Normal-approximation 95 % confidence interval."""
        return (self.value - Z95 * self.std_error, self.value + Z95 * self.std_error)

    def __float__(self) -> float:
        return self.value


# --------------------------------------------------------------------------------------------
# Target policies from scores
# --------------------------------------------------------------------------------------------


def softmax_policy(scores: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """``(n, K)`` probabilities proportional to ``exp(beta * scores)``.

    :param scores: ``(n, K)`` action scores.
    :param beta: inverse temperature (``0`` is uniform, large is greedy).
    """
    z = beta * np.asarray(scores, dtype=np.float64)
    z -= z.max(axis=1, keepdims=True)
    weights = np.exp(z)
    return weights / weights.sum(axis=1, keepdims=True)


def epsilon_greedy_policy(scores: np.ndarray, epsilon: float = 0.1) -> np.ndarray:
    """``(n, K)`` probabilities: the best-scoring action (lowest index on ties) with
    probability ``1 - epsilon``, a uniform action otherwise.

    :param scores: ``(n, K)`` action scores.
    :param epsilon: exploration rate in [0, 1].
    """
    scores = np.asarray(scores, dtype=np.float64)
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must lie in [0, 1], got {epsilon}")
    n, k = scores.shape
    probs = np.full((n, k), epsilon / k)
    probs[np.arange(n), scores.argmax(axis=1)] += 1.0 - epsilon
    return probs


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def _check_policy(data: LoggedBanditData, pi: np.ndarray) -> np.ndarray:
    pi = np.asarray(pi, dtype=np.float64)
    expected = (data.n_rounds, data.n_actions)
    if pi.shape != expected:
        raise ValueError(f"pi must have shape {expected} (rounds x actions), found {pi.shape}")
    if not np.isfinite(pi).all() or (pi < 0).any():
        raise ValueError("pi must hold finite probabilities >= 0")
    sums = pi.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
    if bad.size:
        raise ValueError(
            f"each row of pi must sum to 1; row {int(bad[0])} sums to {float(sums[bad[0]])}"
        )
    return pi


def _weights(data: LoggedBanditData, pi: np.ndarray) -> np.ndarray:
    return pi[np.arange(data.n_rounds), data.actions] / data.propensities


def _mean_estimate(name: str, terms: np.ndarray) -> PolicyValueEstimate:
    n = terms.size
    se = float(terms.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return PolicyValueEstimate(name, float(terms.mean()), se, n)


# --------------------------------------------------------------------------------------------
# Reward models
# --------------------------------------------------------------------------------------------


def _with_intercept(x: np.ndarray) -> np.ndarray:
    return np.hstack([np.ones((x.shape[0], 1)), x])


def _penalty(dim: int, regularization: float) -> np.ndarray:
    # The intercept is left unpenalised so the model can match each action's mean reward.
    diagonal = np.full(dim, regularization)
    diagonal[0] = 1e-10
    return np.diag(diagonal)


def _fit_ridge(x: np.ndarray, r: np.ndarray, regularization: float) -> np.ndarray:
    gram = x.T @ x + _penalty(x.shape[1], regularization)
    return np.linalg.solve(gram, x.T @ r)


def _fit_logistic(x: np.ndarray, r: np.ndarray, regularization: float,
                  max_iter: int = 50, tol: float = 1e-8) -> np.ndarray:
    """L2-penalised logistic regression by Newton's method; ``r`` may be fractional."""
    penalty = _penalty(x.shape[1], regularization)
    mean = float(np.clip(r.mean(), 1e-3, 1 - 1e-3))
    theta = np.zeros(x.shape[1])
    theta[0] = np.log(mean / (1 - mean))
    for _ in range(max_iter):
        p = 0.5 * (1.0 + np.tanh(0.5 * (x @ theta)))
        grad = x.T @ (p - r) + penalty @ theta
        hess = (x * (p * (1 - p))[:, None]).T @ x + penalty + 1e-9 * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < tol:
            break
    return theta


def _fit_predict(model: str, x_fit: np.ndarray, a_fit: np.ndarray, r_fit: np.ndarray,
                 x_out: np.ndarray, n_actions: int, regularization: float) -> np.ndarray:
    out = np.empty((x_out.shape[0], n_actions))
    fallback = float(r_fit.mean()) if r_fit.size else 0.0
    for a in range(n_actions):
        rows = a_fit == a
        if not rows.any():
            # An action the log never took: its best guess is the log's mean reward.
            out[:, a] = fallback
            continue
        if model == "ridge":
            out[:, a] = x_out @ _fit_ridge(x_fit[rows], r_fit[rows], regularization)
        else:
            theta = _fit_logistic(x_fit[rows], r_fit[rows], regularization)
            out[:, a] = 0.5 * (1.0 + np.tanh(0.5 * (x_out @ theta)))
    return out


def fit_reward_model(
    data: LoggedBanditData,
    model: Literal["ridge", "logistic"] = "ridge",
    *,
    regularization: float = 1.0,
    n_folds: int = 1,
    features: np.ndarray | None = None,
    seed: int | None = 0,
) -> np.ndarray:
    """Fit one regression per action on the log and predict every action in every round.

    :param data: the log.
    :param model: ``"ridge"`` (expected reward linear in the features) or ``"logistic"``
        (``sigmoid`` of a linear function; rewards must lie in [0, 1]).
    :param regularization: L2 penalty on the weights (not on the intercept).
    :param n_folds: with ``k > 1``, cross-fitting: each row is predicted by the models fitted on
        the other ``k - 1`` folds.
    :param features: ``(n, f)`` features to regress on instead of ``data.contexts`` (a model
        that sees fewer features is one way to make it misspecified).
    :param seed: seed of the fold assignment.
    :return: ``(n, K)`` predicted expected rewards.
    """
    if model not in ("ridge", "logistic"):
        raise ValueError(f"model must be 'ridge' or 'logistic', got {model!r}")
    if regularization < 0:
        raise ValueError(f"regularization must be >= 0, got {regularization}")
    if n_folds < 1 or n_folds > data.n_rounds:
        raise ValueError(f"n_folds must lie in [1, {data.n_rounds}], got {n_folds}")
    r = data.rewards
    if model == "logistic" and ((r < 0).any() or (r > 1).any()):
        raise ValueError("the logistic reward model needs rewards in [0, 1]")
    raw = data.contexts if features is None else np.asarray(features, dtype=np.float64)
    if raw.ndim != 2 or raw.shape[0] != data.n_rounds:
        raise ValueError(f"features must have shape ({data.n_rounds}, f), found {raw.shape}")
    x = _with_intercept(raw)
    a, k = data.actions, data.n_actions
    if n_folds == 1:
        return _fit_predict(model, x, a, r, x, k, regularization)
    fold = np.random.default_rng(seed).permutation(data.n_rounds) % n_folds
    out = np.empty((data.n_rounds, k))
    for f in range(n_folds):
        held = fold == f
        out[held] = _fit_predict(model, x[~held], a[~held], r[~held], x[held], k,
                                 regularization)
    return out


def _reward_model(data: LoggedBanditData, reward_model: RewardModel, regularization: float,
                  n_folds: int) -> np.ndarray:
    if isinstance(reward_model, str):
        if reward_model not in ("ridge", "logistic"):
            raise ValueError(f"reward_model must be 'ridge', 'logistic' or an (n, K) array, "
                             f"got {reward_model!r}")
        model: Literal["ridge", "logistic"] = "ridge" if reward_model == "ridge" else "logistic"
        return fit_reward_model(data, model, regularization=regularization, n_folds=n_folds)
    q = np.asarray(reward_model, dtype=np.float64)
    if q.shape != (data.n_rounds, data.n_actions):
        raise ValueError(
            f"a given reward model must have shape ({data.n_rounds}, {data.n_actions}), "
            f"found {q.shape}"
        )
    return q


# --------------------------------------------------------------------------------------------
# Estimators
# --------------------------------------------------------------------------------------------


def ips(data: LoggedBanditData, pi: np.ndarray, *,
        max_weight: float | None = None) -> PolicyValueEstimate:
    """Inverse propensity scoring: the mean of ``w_i r_i``.

    :param data: the log.
    :param pi: ``(n, K)`` target action probabilities on the logged contexts.
    :param max_weight: clip the importance weights at this value (biased, lower variance);
        ``None`` keeps them exact.
    :return: the estimate (``estimator="ips"``).
    """
    pi = _check_policy(data, pi)
    w = _weights(data, pi)
    if max_weight is not None:
        w = np.minimum(w, max_weight)
    return _mean_estimate("ips", w * data.rewards)


def snips(data: LoggedBanditData, pi: np.ndarray) -> PolicyValueEstimate:
    """Self-normalised IPS: ``sum w_i r_i / sum w_i``; bounded by the rewards' range, slightly
    biased, usually much lower variance than IPS.

    :param data: the log.
    :param pi: ``(n, K)`` target action probabilities.
    :return: the estimate (``estimator="snips"``), its error by the delta method.
    """
    pi = _check_policy(data, pi)
    w = _weights(data, pi)
    total = w.sum()
    if total <= 0:
        raise ValueError("the target policy gives probability 0 to every logged action")
    value = float((w * data.rewards).sum() / total)
    linearised = w * (data.rewards - value) / w.mean()
    n = data.n_rounds
    se = float(linearised.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return PolicyValueEstimate("snips", value, se, n)


def dm(data: LoggedBanditData, pi: np.ndarray, reward_model: RewardModel = "ridge", *,
       regularization: float = 1.0, n_folds: int = 1) -> PolicyValueEstimate:
    """Direct method: the mean over rounds of ``sum_a pi(a|x_i) q(x_i, a)``.

    :param data: the log.
    :param pi: ``(n, K)`` target action probabilities.
    :param reward_model: ``"ridge"`` / ``"logistic"`` (fitted on the log by
        :func:`fit_reward_model`) or a ready ``(n, K)`` prediction.
    :param regularization: L2 penalty of a fitted model.
    :param n_folds: cross-fitting folds of a fitted model.
    :return: the estimate (``estimator="dm"``); its error leaves out the model's own error.
    """
    pi = _check_policy(data, pi)
    q = _reward_model(data, reward_model, regularization, n_folds)
    return _mean_estimate("dm", (pi * q).sum(axis=1))


def dr(data: LoggedBanditData, pi: np.ndarray, reward_model: RewardModel = "ridge", *,
       regularization: float = 1.0, n_folds: int = 1) -> PolicyValueEstimate:
    """Doubly robust: DM plus the importance-weighted residual of the logged action.

    :param data: the log.
    :param pi: ``(n, K)`` target action probabilities.
    :param reward_model: as for :func:`dm`.
    :param regularization: L2 penalty of a fitted model.
    :param n_folds: cross-fitting folds of a fitted model.
    :return: the estimate (``estimator="dr"``).
    """
    pi = _check_policy(data, pi)
    q = _reward_model(data, reward_model, regularization, n_folds)
    rows = np.arange(data.n_rounds)
    residual = data.rewards - q[rows, data.actions]
    return _mean_estimate("dr", (pi * q).sum(axis=1) + _weights(data, pi) * residual)


ESTIMATORS: tuple[str, ...] = ("ips", "snips", "dm", "dr")


def estimate_policy_value(
    data: LoggedBanditData,
    pi: np.ndarray,
    estimators: Sequence[str] = ("ips", "snips", "dm", "dr"),
    reward_model: RewardModel = "ridge",
    *,
    regularization: float = 1.0,
    n_folds: int = 1,
) -> dict[str, PolicyValueEstimate]:
    """Run several estimators on one log, fitting the reward model once.

    :param data: the log.
    :param pi: ``(n, K)`` target action probabilities.
    :param estimators: names among ``ips``, ``snips``, ``dm``, ``dr``.
    :param reward_model: as for :func:`dm`.
    :param regularization: L2 penalty of a fitted model.
    :param n_folds: cross-fitting folds of a fitted model.
    :return: estimator name -> estimate.
    """
    unknown = [e for e in estimators if e not in ESTIMATORS]
    if unknown:
        raise ValueError(f"unknown estimators {unknown}; choose among {list(ESTIMATORS)}")
    q = None
    if {"dm", "dr"} & set(estimators):
        q = _reward_model(data, reward_model, regularization, n_folds)
    out: dict[str, PolicyValueEstimate] = {}
    for name in estimators:
        if name == "ips":
            out[name] = ips(data, pi)
        elif name == "snips":
            out[name] = snips(data, pi)
        elif name == "dm":
            assert q is not None
            out[name] = dm(data, pi, q)
        else:
            assert q is not None
            out[name] = dr(data, pi, q)
    return out


def true_value(data: LoggedBanditData, pi: np.ndarray) -> float:
    """The target policy's exact expected reward per round on the logged contexts,
    ``mean_i sum_a pi(a|x_i) E[r | x_i, a]`` (simulated logs only).

    :param data: a log with ``expected_rewards``.
    :param pi: ``(n, K)`` target action probabilities.
    :raises ValueError: when the log has no expected rewards (real data).
    """
    if data.expected_rewards is None:
        raise ValueError("true_value needs a simulated log (expected_rewards is missing)")
    pi = _check_policy(data, pi)
    return float((pi * data.expected_rewards).sum(axis=1).mean())
