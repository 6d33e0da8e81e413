"""Tests of the simulated logged feedback: propensities of the logging policies, rewards and
seeding."""

from __future__ import annotations

import numpy as np

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

