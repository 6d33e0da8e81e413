"""Tests of the semi-bandit learners on the one-sided fairness env: their accuracy regret against
the accept-all and coin-flip baselines, their violations with and without the auditors'
penalty, and the mechanics of the loss estimates and the oracle."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from decisiongym.agents.bandits import AGENTS, make_agent
from decisiongym.agents.bandits.semibandit import (
    ContextSemiBanditFTPL,
    Exp2SemiBandit,
    FairnessTrace,
    SemiBanditAgent,
    run_fairness_episode,
    weighted_logistic_regression,
)
from decisiongym.envs.bandits.fairness import OneSidedFairnessEnv, RandomizedDecisions

HORIZON = 1500
SEEDS = (0, 1)
LEARNERS = ("exp2", "ftpl-semibandit")


def fresh_env() -> OneSidedFairnessEnv:
    return OneSidedFairnessEnv(k=5, dim=5, n_auditors=3, alpha=0.05, horizon=HORIZON)


@cache
def learner_trace(name: str, seed: int, fairness_penalty: float | None = None) -> FairnessTrace:
    kwargs = {} if fairness_penalty is None else {"fairness_penalty": fairness_penalty}
    agent = make_agent(name, n_arms=5, dim=5, seed=seed, **kwargs)
    assert isinstance(agent, SemiBanditAgent)
    return run_fairness_episode(fresh_env(), agent, seed=seed)


@cache
def baseline_trace(kind: str, seed: int) -> FairnessTrace:
    """``accept-all``, ``coin-flip`` (accept each with probability 1/2) or the sharp
    ``oracle`` (accept exactly when P(y = 1) > 1/2)."""
    env = fresh_env()
    obs, _ = env.reset(seed=seed)
    regret, violations = np.zeros(HORIZON), np.zeros(HORIZON)
    for t in range(HORIZON):
        if kind == "accept-all":
            step = env.step(np.ones(5, dtype=np.int8))
        elif kind == "coin-flip":
            step = env.step_with_probabilities(np.full(5, 0.5))
        else:
            step = env.step((obs @ env.label_weights > 0).astype(np.int8))
        obs, info = step[0], step[4]
        regret[t], violations[t] = info["regret"], info["violations"]
    return FairnessTrace(regret, regret, violations, np.zeros(HORIZON))


# -- regret ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LEARNERS)
def test_regret_is_a_small_fraction_of_the_baselines_and_flattens(name: str) -> None:
    for seed in SEEDS:
        trace = learner_trace(name, seed)
        accept_all = baseline_trace("accept-all", seed).regret.sum()
        coin_flip = baseline_trace("coin-flip", seed).regret.sum()
        # Both baselines pay about 1.5 per round of five people, linearly in T.
        assert accept_all > 1.2 * HORIZON and coin_flip > 1.2 * HORIZON
        # Stated bound: under 35 % of either baseline after T = 1500 (measured 14-28 %).
        assert trace.regret.sum() < 0.35 * min(accept_all, coin_flip)
        # Sublinear shape: the last quarter's rate is at most 3/4 of the first quarter's
        # (measured 0.43-0.66).
        quarters = trace.quarter_means("regret")
        assert quarters[3] < 0.75 * quarters[0], quarters


# -- fairness --------------------------------------------------------------------------------

# Stated levels: violations per round (of the 10 pairs among 5 people) in the last quarter.
VIOLATION_LEVEL = {"exp2": 0.6, "ftpl-semibandit": 1.0}
# Share of the penalty-free learner's last-quarter violations the penalised one may keep.
PENALTY_GAIN = {"exp2": 0.5, "ftpl-semibandit": 0.85}


@pytest.mark.parametrize("name", LEARNERS)
def test_auditor_penalty_keeps_violations_low(name: str) -> None:
    fair = np.array([learner_trace(name, s).quarter_means("violations")[3] for s in SEEDS])
    free = np.array([learner_trace(name, s, 0.0).quarter_means("violations")[3]
                     for s in SEEDS])
    sharp = np.array([baseline_trace("oracle", s).violations.mean() for s in SEEDS])
    assert np.all(fair < VIOLATION_LEVEL[name]), fair
    assert fair.sum() < PENALTY_GAIN[name] * free.sum(), (fair, free)
    assert fair.sum() < 0.6 * sharp.sum(), (fair, sharp)
    # Constant policies are never reported: the accept-all baseline has no violations.
    assert baseline_trace("accept-all", SEEDS[0]).violations.sum() == 0


# -- mechanics -------------------------------------------------------------------------------


def test_registered_names_build_the_learners() -> None:
    assert AGENTS["exp2"] is Exp2SemiBandit
    assert AGENTS["ftpl-semibandit"] is ContextSemiBanditFTPL
    agent = make_agent("ftpl-semibandit", n_arms=4, dim=3, seed=2, n_leaders=3)
    assert isinstance(agent, ContextSemiBanditFTPL)
    assert (agent.n_arms, agent.dim, agent.n_leaders) == (4, 3, 3)


@pytest.mark.parametrize("name", LEARNERS)
def test_act_draws_from_floored_probabilities_reproducibly(name: str) -> None:
    agent = make_agent(name, n_arms=5, dim=3, seed=4, exploration=0.1)
    context = np.random.default_rng(0).uniform(-1, 1, (5, 3))
    action = agent.act(context)
    assert isinstance(action, RandomizedDecisions)
    assert action.shape == (5,) and set(action.tolist()) <= {0, 1}
    probs = agent.last_probabilities
    assert np.array_equal(action.probabilities, probs)
    assert np.all(probs >= 0.1 - 1e-12) and np.all(probs <= 1.0)
    draws = np.array([make_agent(name, n_arms=5, dim=3, seed=4, exploration=0.1).act(context)
                      for _ in range(3)])
    assert np.array_equal(draws, np.tile(action, (3, 1)))
    agent.reset()
    assert np.array_equal(agent.act(context), action)


def test_update_needs_the_labels_of_the_accepted() -> None:
    agent = Exp2SemiBandit(n_arms=3, dim=2, seed=0)
    context = np.zeros((3, 2))
    action = agent.act(context)
    with pytest.raises(ValueError, match="info"):
        agent.update(context, action, 0.0)
    hidden = np.full(3, -1)
    with pytest.raises(ValueError, match="revealed"):
        agent.update(context, RandomizedDecisions([1, 0, 0], [0.5, 0.5, 0.5]), 0.0,
                     {"labels": hidden})


def test_exp2_loss_estimates_and_fairness_penalty() -> None:
    agent = Exp2SemiBandit(n_arms=2, dim=1, seed=0, n_policies=50)
    context = np.array([[0.8], [-0.8]])
    h = agent._decisions(context)
    # Person 0 accepted with probability 0.25 and found good: estimated loss -1 / 0.25.
    agent.update(context, RandomizedDecisions([1, 0], [0.25, 0.5]), 1.0,
                 {"labels": np.array([1, -1]), "reported_pairs": np.array([[0, 1]])})
    assert np.allclose(agent.loss, -4.0 * h[0])
    assert np.allclose(agent.fairness_loss, h[0] - h[1])
    # Accept-all splits no pair, so its fairness loss stays 0; reject-all's too.
    assert agent.fairness_loss[-2] == 0 and agent.fairness_loss[-1] == 0
    q = agent.policy_weights()
    assert q.sum() == pytest.approx(1.0)
    assert q[np.argmin(agent.loss + 2.0 * agent.fairness_loss)] == q.max()


def test_ftpl_stores_importance_weighted_examples_and_pair_penalties() -> None:
    agent = ContextSemiBanditFTPL(n_arms=3, dim=2, seed=0, fairness_penalty=3.0)
    context = np.array([[0.5, 0.5], [0.4, 0.5], [-0.5, 0.1]])
    agent.act(context)
    agent.update(context, RandomizedDecisions([1, 1, 0], [0.5, 0.25, 0.2]), 0.0,
                 {"labels": np.array([1, 0, -1]), "reported_pairs": np.array([[0, 1]])})
    n = agent._size
    assert n == 4
    assert np.array_equal(agent._targets[:n], [1.0, 0.0, 0.0, 1.0])
    assert np.array_equal(agent._weights[:n], [2.0, 4.0, 3.0, 3.0])
    assert np.array_equal(agent._x[2], [1.0, 0.5, 0.5])  # the favoured one, target 0


def test_weighted_logistic_regression_recovers_weights_and_survives_separable_data() -> None:
    rng = np.random.default_rng(0)
    x = np.hstack([np.ones((5000, 1)), rng.uniform(-1, 1, (5000, 3))])
    theta = np.array([0.5, 2.0, -1.0, 0.0])
    y = (rng.random(5000) < 1 / (1 + np.exp(-x @ theta))).astype(float)
    fit = weighted_logistic_regression(x, y, np.ones(5000), regularization=1e-3)
    assert np.allclose(fit, theta, atol=0.2)
    # Doubling every weight is the same as repeating every example.
    doubled = weighted_logistic_regression(x, y, np.full(5000, 2.0), regularization=2e-3)
    assert np.allclose(doubled, fit, atol=1e-6)
    separable = (x[:, 1] > 0).astype(float)
    fit = weighted_logistic_regression(x, separable, np.ones(5000), regularization=1.0)
    assert np.all(np.isfinite(fit)) and fit[1] > 5 * np.abs(fit[2:]).max()
