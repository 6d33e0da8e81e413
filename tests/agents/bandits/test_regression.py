"""SquareCB and FastCB: the weighting rules, the oracles, regret with both backends."""

from __future__ import annotations

import numpy as np
import pytest
from toy_bandits import assert_seeded_reproducibly, play, quadratic_instance

from decisiongym.agents.bandits import make_agent
from decisiongym.agents.bandits.regression import (
    FastCB,
    LogisticOracle,
    MLPOracle,
    RidgeOracle,
    SquareCB,
    draw_arms,
    first_order_weighting,
    inverse_gap_weighting,
)

SEEDS = (0, 1, 2)


def linear_instance(seed: int, horizon: int = 2000, n_arms: int = 4,
                    dim: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contexts ``x = (1, z)``, ``z`` uniform in the unit ball; Bernoulli rewards of mean
    ``0.5 + 0.5 u_a.z`` with unit ``u_a``."""
    rng = np.random.default_rng(1000 + seed)
    u = rng.standard_normal((n_arms, dim - 1))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    z = rng.standard_normal((horizon, dim - 1))
    z *= rng.random((horizon, 1)) ** (1 / (dim - 1)) / np.linalg.norm(z, axis=1, keepdims=True)
    means = 0.5 + 0.5 * z @ u.T
    rewards = (rng.random((horizon, n_arms)) < means).astype(float)
    return np.hstack([np.ones((horizon, 1)), z]), means, rewards


# --- weighting rules ------------------------------------------------------------------------


def test_inverse_gap_weighting_follows_equation_one() -> None:
    probs = inverse_gap_weighting(np.array([0.2, 0.9, 0.5]), gamma=10.0)
    expected_others = [1 / (3 + 10 * 0.7), 1 / (3 + 10 * 0.4)]
    np.testing.assert_allclose(probs[[0, 2]], expected_others)
    assert probs[1] == pytest.approx(1 - sum(expected_others))
    np.testing.assert_allclose(inverse_gap_weighting(np.array([0.2, 0.9, 0.5]), 0.0),
                               np.full(3, 1 / 3))


def test_first_order_weighting_follows_equation_two() -> None:
    # Predicted rewards 0.2, 0.9, 0.5 are losses 0.8, 0.1, 0.5; the leader is arm 1.
    probs = first_order_weighting(np.array([0.2, 0.9, 0.5]), gamma=10.0)
    expected_others = [0.1 / (3 * 0.1 + 10 * 0.7), 0.1 / (3 * 0.1 + 10 * 0.4)]
    np.testing.assert_allclose(probs[[0, 2]], expected_others)
    assert probs[1] == pytest.approx(1 - sum(expected_others))
    # It explores less than (1) when the leader's loss is small, and not at all at zero loss.
    assert probs[1] > inverse_gap_weighting(np.array([0.2, 0.9, 0.5]), 10.0)[1]
    np.testing.assert_allclose(first_order_weighting(np.array([0.3, 1.0, 1.0]), 5.0),
                               [0.0, 1.0, 0.0])


@pytest.mark.parametrize("weighting", [inverse_gap_weighting, first_order_weighting])
def test_weightings_are_distributions_favouring_the_leader(weighting) -> None:
    predictions = np.random.default_rng(0).random((500, 6))
    probs = weighting(predictions, 25.0)
    assert probs.shape == (500, 6)
    assert (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_array_equal(probs.argmax(axis=1), predictions.argmax(axis=1))


def test_draw_arms_samples_the_distribution() -> None:
    probs = np.array([0.1, 0.6, 0.0, 0.3])
    rng = np.random.default_rng(0)
    arms = draw_arms(np.tile(probs, (100_000, 1)), rng.random(100_000))
    np.testing.assert_allclose(np.bincount(arms, minlength=4) / 100_000, probs, atol=0.005)


# --- oracles -------------------------------------------------------------------------------


def test_ridge_oracle_is_the_closed_form_ridge_fit() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 3))
    y = rng.standard_normal(300)
    oracle = RidgeOracle(n_arms=2, dim=3, ridge=2.0)
    for xi, yi in zip(x, y):
        oracle.update(xi, 1, yi)
    expected = np.linalg.solve(2.0 * np.eye(3) + x.T @ x, x.T @ y)
    np.testing.assert_allclose(oracle.theta[1], expected, atol=1e-10)
    np.testing.assert_allclose(oracle.predict(x[:5])[:, 1], x[:5] @ expected, atol=1e-10)
    np.testing.assert_array_equal(oracle.theta[0], 0.0)


def test_logistic_oracle_recovers_logistic_weights() -> None:
    rng = np.random.default_rng(0)
    w = np.array([1.5, -1.0, 0.5])
    x = rng.standard_normal((6000, 3))
    y = (rng.random(6000) < 1 / (1 + np.exp(-x @ w))).astype(float)
    oracle = LogisticOracle(n_arms=1, dim=3)
    for xi, yi in zip(x, y):
        oracle.update(xi, 0, yi)
    np.testing.assert_allclose(oracle.w[0], w, atol=0.2)


def test_mlp_oracle_fits_a_nonlinear_function(one_torch_thread: None) -> None:
    rng = np.random.default_rng(0)
    oracle = MLPOracle(n_arms=2, dim=2, seed=0, lr=1e-2)
    x = rng.uniform(-1, 1, (3000, 2))
    y = x[:, 0] * x[:, 1]
    for xi, yi in zip(x, y):
        oracle.update(xi, 1, yi, rng)
    test = rng.uniform(-1, 1, (200, 2))
    error = oracle.predict(test)[:, 1] - test[:, 0] * test[:, 1]
    assert np.sqrt(np.mean(error**2)) < 0.1  # the target's own spread is 0.33


# --- agents --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["squarecb", "fastcb"])
def test_regret_is_small_and_sublinear_on_a_linear_bandit(name: str) -> None:
    # Uniform play loses about 446 over 2000 rounds; these lose < 120 on average. Inverse gap
    # weighting keeps exploring at a rate ~ K / gamma_t ~ 1 / sqrt(t), so regret grows like
    # sqrt(T) (second half / first half = 0.41 for sqrt(T) exactly): we ask for < 0.6.
    first = second = 0.0
    totals = []
    for seed in SEEDS:
        contexts, means, rewards = linear_instance(seed)
        _, regret = play(make_agent(name, n_arms=4, dim=5, seed=seed), contexts, means, rewards)
        totals.append(regret.sum())
        first += regret[:1000].sum()
        second += regret[1000:].sum()
    assert np.mean(totals) < 120.0, totals
    assert second < 0.6 * first, (first, second)


@pytest.mark.parametrize("name", ["squarecb-nn", "fastcb-nn"])
def test_neural_backends_learn_a_quadratic_bandit(name: str, one_torch_thread: None) -> None:
    # Uniform play loses about 386 over 1500 rounds and LinUCB about 190 (a linear model
    # cannot rank these arms); the MLP backends lose < 150, less and less as they learn.
    first = second = 0.0
    totals = []
    for seed in (0, 1):
        contexts, means, rewards = quadratic_instance(seed)
        _, regret = play(make_agent(name, n_arms=4, dim=4, seed=seed), contexts, means, rewards)
        totals.append(regret.sum())
        first += regret[:750].sum()
        second += regret[750:].sum()
    assert np.mean(totals) < 150.0, totals
    assert second < 0.6 * first, (first, second)


@pytest.mark.parametrize("name", ["squarecb", "fastcb", "squarecb-nn", "fastcb-nn"])
def test_same_seed_same_actions_and_reset_reproduces(name: str,
                                                     one_torch_thread: None) -> None:
    assert_seeded_reproducibly(name, seed=3, instance_seed=0, horizon=150)


@pytest.mark.parametrize("cls", [SquareCB, FastCB])
def test_act_batch_matches_a_loop_of_act(cls) -> None:
    contexts, means, rewards = linear_instance(0, horizon=300)
    batched, looped = cls(4, 5, seed=1), cls(4, 5, seed=1)
    for agent in (batched, looped):
        play(agent, contexts[:200], means[:200], rewards[:200])
    np.testing.assert_array_equal(batched.act_batch(contexts[200:]),
                                  [looped.act(x) for x in contexts[200:]])


def test_action_probabilities_follow_the_schedule() -> None:
    agent = SquareCB(3, 2, gamma_scale=4.0, gamma_exponent=0.5)
    for _ in range(8):
        agent.update(np.array([1.0, 0.0]), 2, 1.0)
    assert agent.gamma() == pytest.approx(4.0 * 3.0)
    x = np.array([1.0, 0.0])
    np.testing.assert_allclose(agent.action_probabilities(x),
                               inverse_gap_weighting(agent.predict(x)[0], 12.0))
    assert agent.action_probabilities(x).argmax() == 2


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("squarecb", {"gamma_scale": 0.0}),
        ("squarecb", {"gamma_exponent": 1.5}),
        ("squarecb", {"ridge": 0.0}),
        ("fastcb", {"ridge": -1.0}),
        ("squarecb-nn", {"lr": 0.0}),
        ("fastcb-nn", {"hidden": (0,)}),
        ("fastcb-nn", {"batch_size": 0}),
    ],
)
def test_bad_hyperparameters_raise(name: str, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        make_agent(name, n_arms=3, dim=2, **kwargs)


def test_bad_contexts_arms_and_rewards_raise() -> None:
    with pytest.raises(ValueError, match="features"):
        SquareCB(3, 2).act(np.zeros(4))
    with pytest.raises(ValueError, match="arm"):
        SquareCB(3, 2).update(np.zeros(2), 5, 0.0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        FastCB(3, 2).update(np.zeros(2), 0, 1.5)
    with pytest.raises(ValueError, match="loss"):
        MLPOracle(2, 2, seed=0, loss="hinge")
