"""Tests of the simulated logged feedback: propensities of the logging policies, rewards,
seeding, and on-policy runs of another policy in the same world."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.envs.offline.synthetic_bandit_log import SyntheticLogger


def test_simulator_propensities_and_policies() -> None:
    uniform = SyntheticLogger(4, 3, logging_policy="uniform", seed=0).sample(2000)
    assert np.allclose(uniform.propensities, 0.25)
    assert np.bincount(uniform.actions, minlength=4).min() > 400
    greedy = SyntheticLogger(4, 3, logging_policy="softmax", beta=5.0, seed=0).sample(2000)
    rows = np.arange(2000)
    assert np.allclose(greedy.propensities,
                       greedy.logging_probabilities[rows, greedy.actions])
    # beta > 0 logs the better actions: the logged expected reward beats the per-round average.
    logged_mean = greedy.expected_rewards[rows, greedy.actions].mean()
    assert logged_mean > greedy.expected_rewards.mean() + 0.3


def test_simulator_rewards_and_seeding() -> None:
    a = SyntheticLogger(3, 2, reward="logistic", seed=9).sample(3000)
    b = SyntheticLogger(3, 2, reward="logistic", seed=9).sample(3000)
    c = SyntheticLogger(3, 2, reward="logistic", seed=10).sample(3000)
    assert np.array_equal(a.rewards, b.rewards) and np.array_equal(a.contexts, b.contexts)
    assert not np.array_equal(a.contexts, c.contexts)
    assert set(np.unique(a.rewards)) == {0.0, 1.0}
    mean = a.expected_rewards[np.arange(3000), a.actions]
    assert abs(a.rewards.mean() - mean.mean()) < 4 * np.sqrt(0.25 / 3000)
    linear = SyntheticLogger(3, 2, reward="linear", noise=0.0, seed=9).sample(50)
    assert np.allclose(linear.rewards, linear.expected_rewards[np.arange(50), linear.actions])


def test_a_given_policy_acts_in_the_same_world() -> None:
    world = SyntheticLogger(4, 3, reward="logistic", logging_policy="uniform", seed=5)
    twin = SyntheticLogger(4, 3, reward="logistic", logging_policy="uniform", seed=5)
    assert np.array_equal(world.theta, twin.theta)
    # Passing the logging policy itself draws the very same log as passing nothing.
    default = world.sample(300)
    explicit = twin.sample(300, policy=twin.logging_probabilities)
    assert np.array_equal(default.actions, explicit.actions)
    assert np.array_equal(default.rewards, explicit.rewards)

    def greedy(contexts: np.ndarray) -> np.ndarray:
        best = world.expected_rewards(contexts).argmax(axis=1)
        return np.eye(4)[best]

    run = world.sample(20_000, policy=greedy)
    rows = np.arange(20_000)
    assert np.array_equal(run.actions, run.expected_rewards.argmax(axis=1))
    assert np.array_equal(run.propensities, np.ones(20_000))
    value = run.expected_rewards.max(axis=1).mean()
    assert abs(run.rewards.mean() - value) < 4 * np.sqrt(0.25 / 20_000)
    assert run.expected_rewards[rows, run.actions].mean() > default.rewards.mean() + 0.1


def test_a_policy_of_the_wrong_shape_is_refused() -> None:
    world = SyntheticLogger(4, 3, seed=0)
    with pytest.raises(ValueError, match=r"shape \(10, 4\)"):
        world.sample(10, policy=lambda contexts: np.full((10, 3), 1 / 3))
