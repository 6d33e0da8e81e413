"""Individually fair online classification with one-sided feedback and a panel of auditors.

After Bechavod & Roth, "Individually Fair Learning with One-Sided Feedback" (ICML 2023), which
builds on the auditor framework of Bechavod, Jung & Wu (2020): each round ``k`` people arrive,
the learner accepts or rejects each one at random with probabilities of its choosing, sees the
true label only of those it accepted, and a panel of auditors, each judging similarity by its
own metric, reports the pairs the learner's probabilities treat unfairly.

Regret is kept against two comparators: the unconstrained Bayes-optimal policy (which is
itself unfair to many pairs) and, as in the paper, the best policy the round's panel finds
fair, the solution of a linear program over the fairness constraints
(:func:`best_fair_policy`).
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from decisiongym.envs.core.errors import InvalidActionError

__all__ = [
    "OneSidedFairnessEnv",
    "RandomizedDecisions",
    "auditor_distances",
    "best_fair_policy",
    "panel_tolerances",
    "panel_violations",
]


class RandomizedDecisions(np.ndarray):
    """A 0/1 decision vector that carries the acceptance probabilities it was drawn from.

    Passing one to :meth:`OneSidedFairnessEnv.step` audits the probabilities instead of the
    decisions, so a randomised learner works through the plain Gymnasium ``step`` (and any
    runner or wrapper that passes the action object through unchanged).

    >>> d = RandomizedDecisions([1, 0], [0.7, 0.2])
    >>> d.tolist(), d.probabilities.tolist()
    ([1, 0], [0.7, 0.2])
    """

    probabilities: np.ndarray | None

    def __new__(cls, decisions: Any, probabilities: Any) -> RandomizedDecisions:
        obj = np.asarray(decisions, dtype=np.int8).view(cls)
        obj.probabilities = np.array(probabilities, dtype=np.float64, copy=True)
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self.probabilities = getattr(obj, "probabilities", None)


def auditor_distances(features: np.ndarray, metric_weights: np.ndarray) -> np.ndarray:
    """Every auditor's distance between every two individuals.

    Auditor ``j`` measures ``d_j(x, x') = sqrt(sum_f m_jf (x_f - x'_f)^2)``; a zero weight
    means the auditor ignores that feature.

    :param features: ``(k, dim)`` the round's individuals.
    :param metric_weights: ``(n, dim)`` non-negative weights ``m`` of ``n`` auditors.
    :return: ``(n, k, k)`` distances.
    """
    diff = features[:, None, :] - features[None, :, :]
    return np.sqrt(np.einsum("jf,abf->jab", metric_weights, diff * diff))


def panel_violations(
    features: np.ndarray,
    probabilities: np.ndarray,
    metric_weights: np.ndarray,
    alpha: float,
    quorum: int = 1,
) -> np.ndarray:
    """The pairs a panel reports: ``|p_i - p_j| > d_a(x_i, x_j) + alpha`` for at least
    ``quorum`` of its auditors ``a``.

    :param features: ``(k, dim)`` the round's individuals.
    :param probabilities: ``(k,)`` acceptance probabilities the learner deployed.
    :param metric_weights: ``(n, dim)`` the panel's metric weights (see
        :func:`auditor_distances`).
    :param alpha: slack of the fairness constraint.
    :param quorum: how many auditors must object for a pair to be reported (1 to ``n``).
    :return: ``(m, 2)`` int64 pairs ``(favoured, other)`` with ``p_favoured >= p_other``,
        sorted by (smaller index, larger index).
    """
    p = np.asarray(probabilities, dtype=np.float64)
    gap = np.abs(p[:, None] - p[None, :])
    objections = (gap[None] > auditor_distances(features, metric_weights) + alpha).sum(axis=0)
    i, j = np.nonzero(np.triu(objections >= quorum, k=1))
    favoured_first = p[i] >= p[j]
    pairs = np.column_stack([np.where(favoured_first, i, j), np.where(favoured_first, j, i)])
    return pairs.astype(np.int64).reshape(-1, 2)


def panel_tolerances(
    features: np.ndarray, metric_weights: np.ndarray, alpha: float, quorum: int = 1
) -> np.ndarray:
    """The largest gap in acceptance probability the panel lets each pair have.

    Auditor ``a`` objects to a pair when the gap exceeds ``d_a + alpha``, so fewer than
    ``quorum`` auditors object exactly when the gap is at most ``d_(quorum) + alpha``, with
    ``d_(quorum)`` the ``quorum``-th smallest of the panel's distances for that pair. The
    panel reports no pair of ``p`` if and only if ``|p_i - p_j| <= tolerance[i, j]`` for all
    pairs (:func:`panel_violations` applies the same rule).

    :param features: ``(k, dim)`` the round's individuals.
    :param metric_weights: ``(n, dim)`` the panel's metric weights.
    :param alpha: slack of the fairness constraint.
    :param quorum: how many auditors must object for a pair to be reported (1 to ``n``).
    :return: ``(k, k)`` symmetric tolerances, ``alpha`` on the diagonal.
    """
    distances = auditor_distances(features, metric_weights)
    return np.sort(distances, axis=0)[quorum - 1] + alpha


def best_fair_policy(values: np.ndarray, tolerances: np.ndarray) -> tuple[np.ndarray, float]:
    """Acceptance probabilities of greatest expected value among those no pair objects to.

    Solves the linear program

    ``max_p  sum_i v_i p_i   s.t.  p_i - p_j <= t_ij  and  p_j - p_i <= t_ij  (i < j),
    0 <= p_i <= 1``

    with HiGHS (``scipy.optimize.linprog``). When the unconstrained optimum (accept exactly
    those with ``v_i > 0``) is feasible, it is optimal and is returned without the solver. The
    feasible set always holds the constant policies, so the program is never infeasible; when
    the optimum is not unique, one optimal ``p`` is returned.

    :param values: ``(k,)`` expected value ``v_i`` of accepting each individual.
    :param tolerances: ``(k, k)`` symmetric largest allowed gaps ``t_ij >= 0``
        (:func:`panel_tolerances`).
    :return: the probabilities (``(k,)``, clipped into [0, 1]) and their value ``v . p``.
    :raises RuntimeError: if the solver reports a failure (it should never happen).
    """
    v = np.asarray(values, dtype=np.float64)
    bounds = np.asarray(tolerances, dtype=np.float64)
    unconstrained = (v > 0).astype(np.float64)
    # The unconstrained optimum, when no pair objects to it, is the answer: it skips the solver
    # in about a third of the rounds with default arguments.
    if (np.abs(unconstrained[:, None] - unconstrained[None, :]) <= bounds).all():
        return unconstrained, float(v @ unconstrained)
    from scipy.optimize import linprog

    k = v.shape[0]
    first, second = np.triu_indices(k, 1)
    m = first.size
    rows = np.arange(m)
    gaps = np.zeros((2 * m, k))
    gaps[rows, first], gaps[rows, second] = 1.0, -1.0
    gaps[m + rows, first], gaps[m + rows, second] = -1.0, 1.0
    bound = bounds[first, second]
    result = linprog(-v, A_ub=gaps, b_ub=np.concatenate([bound, bound]), bounds=(0.0, 1.0),
                     method="highs")
    if result.status != 0:
        raise RuntimeError(f"the fair-policy linear program failed: {result.message}")
    probabilities = np.clip(result.x, 0.0, 1.0)
    return probabilities, float(v @ probabilities)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class OneSidedFairnessEnv(gym.Env):
    """Accept or reject ``k`` arriving people per round, fairly, seeing labels of the accepted.

    ## Description
    At each reset the env draws the true weights ``w`` (uniform direction, norm ``signal``)
    and a pool of ``n_auditors`` auditors. Each round ``k`` people arrive with features
    ``x_i ~ U[-1, 1]^dim`` and hidden labels ``y_i ~ Bernoulli(sigmoid(w . x_i))``. The learner
    deploys acceptance probabilities ``p`` and decisions drawn from them. It then sees the
    labels of the accepted only (one-sided feedback), and a panel (``panel_size`` auditors drawn
    from the pool each round) reports every pair treated unfairly (see Fairness below).

    ## Action Space
    ``MultiBinary(k)``: 1 accepts individual ``i``. A plain 0/1 vector is a deterministic
    decision, so the audited probabilities are the decisions themselves. A randomised learner
    either passes a :class:`RandomizedDecisions` (the 0/1 vector it drew, carrying its
    probabilities) to :meth:`step`, or calls :meth:`step_with_probabilities` with its
    probabilities and, optionally, the decisions drawn from them (the env draws them from its
    own generator when none are given). All three return the same kind of tuple.

    ## Observation Space
    ``Box(-1, 1, (k, dim), float64)``, one row per person of the round:

    ==========  ===============================  ====  ===
    index       meaning                          min   max
    ==========  ===============================  ====  ===
    ``[i, f]``  feature ``f`` of person ``i``    -1    1
    ==========  ===============================  ====  ===

    ## Rewards
    ``sum_i a_i (2 y_i - 1)``: +1 for each accepted person with label 1, -1 for each accepted
    person with label 0, 0 for a rejection whatever the label (the net gain of the accepted;
    in [-k, k]). Accepting ``i`` is worth ``2 sigmoid(w . x_i) - 1`` in expectation, so the
    oracle accepts exactly those with ``P(y = 1) > 1/2``.

    ## Fairness
    Auditor ``j`` has a weighted Euclidean metric on a random subset of
    ``features_per_auditor`` features, ``d_j(x, x') = sqrt(sum_f m_jf (x_f - x'_f)^2)`` with
    ``m_jf ~ metric_scale * U(0.5, 1.5)`` on its subset and 0 elsewhere. It objects to a pair
    when ``|p_i - p_j| > d_j(x_i, x_j) + alpha``, judged on the deployed PROBABILITIES. The
    panel reports the pair when at least ``ceil(quorum * panel_size)`` of its members object,
    a quorum rule over auditors who may disagree (``quorum=1e-9``: any one auditor;
    ``quorum=1``: all of them). Constant policies (accept all, reject all, any fixed
    probability) are never reported.

    ## Comparators
    Two policies are scored each round, on the same people and the same panel:

    * the unconstrained oracle, ``p*_i = 1`` exactly when ``v_i = 2 P(y_i = 1) - 1 > 0``,
      worth ``V* = sum_i max(v_i, 0)``. It ignores the auditors, and its sharp 0/1
      decisions split similar people: with default arguments the panel reports about 1.9 of
      its 10 pairs a round (``oracle_violations``, mean of seeds 0-9 over 1000 rounds).
    * the best fair policy, the comparator of Bechavod & Roth: the probabilities of largest
      expected value that this round's panel reports no pair of, the linear program

      ``V_fair = max_p sum_i v_i p_i  s.t.  |p_i - p_j| <= t_ij for all i < j,
      0 <= p_i <= 1``,

      with ``t_ij = d_(r)(x_i, x_j) + alpha``, ``d_(r)`` the ``r``-th smallest of the panel's
      distances for the pair and ``r`` the number of objections that report it (a pair is
      reported exactly when ``|p_i - p_j| > t_ij``; see :func:`panel_tolerances`). Each
      ``|.| <= t`` is two linear inequalities; the program is solved exactly each round by
      :func:`best_fair_policy`. ``V_fair <= V*``: the gap is the price of fairness (about
      0.14 a round with default arguments, seeds 0-9). The paper's comparator is the best
      fixed policy of a class that is fair in every round; its probabilities in a round are
      feasible for that round's program, so the round-by-round ``V_fair`` is never below it
      and ``fair_regret`` bounds the paper's regret from above.

    ``regret`` is measured against the oracle and is never negative; ``fair_regret``
    against the fair policy, and is negative in a round where the learner gains more by
    being unfair than the constraints allow. ``regret - fair_regret = V* - V_fair``.

    ## Info
    After every step, about the round just played (``reset`` gives ``expected_rewards`` and
    ``oracle_decisions`` of the first round):

    ===========================  ==========================================================
    key                          meaning
    ===========================  ==========================================================
    ``labels``                   ``(k,)`` int64: ``y_i`` for the accepted, -1 for the rejected
    ``regret``                   oracle's expected reward minus the decisions' expected reward
    ``probability_regret``       the same for the probabilities (in expectation over the
                                 learner's own randomisation)
    ``fair_regret``              ``V_fair`` minus the decisions' expected reward (see
                                 Comparators; absent with ``fair_comparator=False``, as are
                                 the two keys below)
    ``fair_probability_regret``  ``V_fair`` minus the probabilities' expected reward
    ``fair_probabilities``       ``(k,)``: the best fair policy's probabilities
    ``violations``               number of pairs the panel reported
    ``reported_pairs``           tuple of ``(favoured, other)`` index pairs, ``p_favoured >=
                                 p_other`` (a tuple, as the count varies by round, so vector
                                 envs can batch it; ``np.asarray(...).reshape(-1, 2)`` gives
                                 the ``(m, 2)`` array of :func:`panel_violations`)
    ``panel``                    indices (into the pool) of this round's auditors
    ``decisions``                ``(k,)`` int8: what was played
    ``probabilities``            ``(k,)``: what was audited
    ``expected_rewards``         ``(k,)`` value of accepting each, ``2 sigmoid(w . x_i) - 1``
    ``oracle_decisions``         ``(k,)`` int8: 1 where ``P(y_i = 1) > 1/2``
    ``oracle_violations``        number of pairs the same panel reports for
                                 ``oracle_decisions`` (the oracle's own unfairness)
    ``round``                    index of the round just played, from 0
    ===========================  ==========================================================

    ## Starting State
    New ``w``, auditor pool and first round at each reset. ``reset(options=...)`` may fix
    ``"label_weights"`` ``(dim,)`` and ``"metric_weights"`` ``(n_auditors, dim)``. The world
    (features, labels, panels) comes from ``np_random`` and the env's own decision draws from a
    second generator seeded from it, so two learners run on the same seed meet the same people.

    ## Episode End
    Never terminates; truncated after ``horizon`` rounds.

    ## Arguments
    * ``k``: people per round (>= 2).
    * ``dim``: features per person.
    * ``n_auditors``: size of the auditor pool; ``panel_size`` (default all) sit each round.
    * ``quorum``: fraction of the panel whose objection reports a pair (default 0.5: half).
    * ``alpha``: fairness slack.
    * ``horizon``: rounds per episode.
    * ``signal``: norm of ``w`` (label predictability; 0 gives coin-flip labels).
    * ``metric_scale``: scale of the auditors' metric weights (larger is more permissive).
    * ``features_per_auditor``: features each auditor looks at (default ``max(1, dim // 2)``).
    * ``fair_comparator``: solve the best fair policy's linear program each round (about a
      millisecond); ``False`` leaves the ``fair_*`` keys out of ``info``.
    * ``seed``: seed of the first reset when it is given none.

    ## Example
    >>> from decisiongym.envs.bandits.fairness import OneSidedFairnessEnv
    >>> env = OneSidedFairnessEnv(k=4, dim=3, horizon=10)
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape
    (4, 3)
    >>> obs, reward, terminated, truncated, info = env.step(info["oracle_decisions"])
    >>> info["regret"]
    0.0
    >>> info["regret"] - info["fair_regret"] >= 0  # the price of fairness, V* - V_fair
    True
    >>> obs, reward, _, _, info = env.step_with_probabilities([0.5, 0.5, 0.5, 0.5])
    >>> info["violations"]
    0

    ## Version History
    * v0: initial version; the fair comparator (``fair_*`` keys) and ``oracle_violations``
      added to ``info`` later, with every other key and the random stream unchanged.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(
        self,
        k: int = 5,
        dim: int = 5,
        n_auditors: int = 3,
        alpha: float = 0.05,
        horizon: int = 1000,
        *,
        panel_size: int | None = None,
        quorum: float = 0.5,
        signal: float = 4.0,
        metric_scale: float = 1.0,
        features_per_auditor: int | None = None,
        fair_comparator: bool = True,
        seed: int | None = None,
    ) -> None:
        if k < 2:
            raise ValueError(f"k must be >= 2 (fairness compares pairs), got {k}")
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        if n_auditors < 1:
            raise ValueError(f"n_auditors must be >= 1, got {n_auditors}")
        panel = n_auditors if panel_size is None else int(panel_size)
        if not 1 <= panel <= n_auditors:
            raise ValueError(f"panel_size must lie in [1, n_auditors = {n_auditors}], got {panel}")
        if not 0.0 < quorum <= 1.0:
            raise ValueError(f"quorum must lie in (0, 1], got {quorum}")
        if alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {alpha}")
        if horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {horizon}")
        if signal < 0 or metric_scale <= 0:
            raise ValueError("signal must be >= 0 and metric_scale > 0")
        per_auditor = max(1, dim // 2) if features_per_auditor is None else features_per_auditor
        if not 1 <= per_auditor <= dim:
            raise ValueError(f"features_per_auditor must lie in [1, {dim}], got {per_auditor}")
        self.k = int(k)
        self.dim = int(dim)
        self.n_auditors = int(n_auditors)
        self.panel_size = panel
        self.quorum = float(quorum)
        # The small tolerance keeps e.g. quorum=2/3 of 3 at 2 despite rounding.
        self.required = max(1, math.ceil(self.quorum * self.panel_size - 1e-9))
        self.alpha = float(alpha)
        self.horizon = int(horizon)
        self.signal = float(signal)
        self.metric_scale = float(metric_scale)
        self.features_per_auditor = int(per_auditor)
        self.fair_comparator = bool(fair_comparator)
        self._first_seed = seed
        self._seeded = False
        self.action_space = spaces.MultiBinary(self.k)
        self.observation_space = spaces.Box(-1.0, 1.0, (self.k, self.dim), np.float64)
        self.label_weights = np.zeros(self.dim)
        self.metric_weights = np.zeros((self.n_auditors, self.dim))
        self._decision_rng = np.random.default_rng(0)
        self._round = 0
        self._features = np.zeros((self.k, self.dim))
        self._labels = np.zeros(self.k, dtype=np.int64)
        self._label_probs = np.full(self.k, 0.5)

    # -- the world -----------------------------------------------------------------------------
    def _draw_world(self, options: dict[str, Any]) -> None:
        rng = self.np_random
        direction = rng.normal(size=self.dim)
        direction /= max(float(np.linalg.norm(direction)), 1e-12)
        self.label_weights = self.signal * direction
        weights = np.zeros((self.n_auditors, self.dim))
        for j in range(self.n_auditors):
            subset = rng.choice(self.dim, size=self.features_per_auditor, replace=False)
            weights[j, subset] = self.metric_scale * rng.uniform(0.5, 1.5, subset.size)
        self.metric_weights = weights
        if "label_weights" in options:
            w = np.asarray(options["label_weights"], dtype=np.float64)
            if w.shape != (self.dim,):
                raise ValueError(f"label_weights must have shape ({self.dim},), found {w.shape}")
            self.label_weights = w.copy()
        if "metric_weights" in options:
            m = np.asarray(options["metric_weights"], dtype=np.float64)
            if m.shape != (self.n_auditors, self.dim) or (m < 0).any():
                raise ValueError(
                    f"metric_weights must be ({self.n_auditors}, {self.dim}) and >= 0"
                )
            self.metric_weights = m.copy()
        self._decision_rng = np.random.default_rng(int(rng.integers(2**63 - 1)))

    def _next_round(self) -> None:
        rng = self.np_random
        self._features = rng.uniform(-1.0, 1.0, (self.k, self.dim))
        self._label_probs = _sigmoid(self._features @ self.label_weights)
        self._labels = (rng.random(self.k) < self._label_probs).astype(np.int64)

    def _oracle_info(self) -> dict[str, Any]:
        return {
            "expected_rewards": 2.0 * self._label_probs - 1.0,
            "oracle_decisions": (self._label_probs > 0.5).astype(np.int8),
        }

    # -- Gymnasium API -------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if seed is None and not self._seeded:
            seed = self._first_seed
        self._seeded = True
        super().reset(seed=seed)
        self._draw_world(options or {})
        self._round = 0
        self._next_round()
        return self._features.copy(), self._oracle_info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        probabilities = getattr(action, "probabilities", None)
        if probabilities is not None:
            return self.step_with_probabilities(probabilities, np.asarray(action))
        decisions = self._decisions(action)
        return self._play(decisions, decisions.astype(np.float64))

    def step_with_probabilities(
        self, probabilities: Any, decisions: Any = None
    ) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Play a randomised round: audit ``probabilities``, act on ``decisions``.

        :param probabilities: ``(k,)`` acceptance probabilities in [0, 1].
        :param decisions: ``(k,)`` 0/1 decisions drawn from them; ``None`` lets the env draw.
        :return: as :meth:`step`.
        :raises InvalidActionError: for probabilities outside [0, 1], or a decision that its
            probability makes impossible (accepting at 0, rejecting at 1).
        """
        try:
            probs = np.asarray(probabilities, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidActionError(probabilities, "expected k probabilities") from None
        if probs.shape != (self.k,) or not np.isfinite(probs).all():
            raise InvalidActionError(probabilities, f"expected {self.k} finite probabilities")
        if (probs < 0).any() or (probs > 1).any():
            raise InvalidActionError(probabilities, "probabilities must lie in [0, 1]")
        if decisions is None:
            chosen = (self._decision_rng.random(self.k) < probs).astype(np.int8)
        else:
            chosen = self._decisions(decisions)
            impossible = ((chosen == 1) & (probs <= 0)) | ((chosen == 0) & (probs >= 1))
            if impossible.any():
                raise InvalidActionError(
                    decisions, f"decision of individual {int(np.argmax(impossible))} has "
                    "probability 0 under the given probabilities"
                )
        return self._play(chosen, probs)

    def _decisions(self, action: Any) -> np.ndarray:
        try:
            arr = np.asarray(action)
        except (TypeError, ValueError):
            raise InvalidActionError(action, "expected a 0/1 vector") from None
        if arr.shape != (self.k,) or not np.isin(arr, (0, 1)).all():
            raise InvalidActionError(action, f"expected a 0/1 vector of length {self.k}")
        return arr.astype(np.int8)

    def _play(
        self, decisions: np.ndarray, probs: np.ndarray
    ) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        value = 2.0 * self._label_probs - 1.0
        best = float(np.maximum(value, 0.0).sum())
        accepted = decisions == 1
        reward = float((2 * self._labels[accepted] - 1).sum())
        panel = np.sort(self.np_random.choice(self.n_auditors, self.panel_size, replace=False))
        judges = self.metric_weights[panel]
        pairs = panel_violations(self._features, probs, judges, self.alpha, self.required)
        oracle = self._oracle_info()
        oracle_pairs = panel_violations(self._features, oracle["oracle_decisions"], judges,
                                        self.alpha, self.required)
        info = {
            **oracle,
            "labels": np.where(accepted, self._labels, -1).astype(np.int64),
            "regret": best - float(value[accepted].sum()),
            "probability_regret": best - float(value @ probs),
            "violations": int(pairs.shape[0]),
            "reported_pairs": tuple((int(a), int(b)) for a, b in pairs),
            "panel": panel.astype(np.int64),
            "decisions": decisions.copy(),
            "probabilities": probs.copy(),
            "oracle_violations": int(oracle_pairs.shape[0]),
            "round": self._round,
        }
        if self.fair_comparator:
            tolerances = panel_tolerances(self._features, judges, self.alpha, self.required)
            fair, fair_value = best_fair_policy(value, tolerances)
            info["fair_regret"] = fair_value - float(value[accepted].sum())
            info["fair_probability_regret"] = fair_value - float(value @ probs)
            info["fair_probabilities"] = fair
        self._round += 1
        truncated = self._round >= self.horizon
        self._next_round()
        return self._features.copy(), reward, False, truncated, info

    @property
    def context(self) -> np.ndarray:
        """The ``(k, dim)`` features of the round about to be played."""
        return self._features.copy()
