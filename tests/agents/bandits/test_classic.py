"""Context-free agents: regret on an easy Bernoulli bandit, determinism, batching, errors."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.agents.bandits import AGENTS, make_agent
from decisiongym.agents.bandits.classic import (
    UCB1,
    BetaThompson,
    EpsilonGreedy,
    GaussianThompson,
)

HORIZON = 2000
SEEDS = (0, 1, 2)
# The hyper-parameters each agent is tested with; epsilon-greedy needs its decay to be
# sublinear, and 0.5 bounds the standard deviation of a reward in [0, 1].
CONFIGS = {
    "epsilon-greedy": {"epsilon": 0.1, "decay": 0.01},
    "ucb1": {},
    "ts-beta": {},
    "ts": {},
    "ts-gaussian": {"noise_std": 0.5},
}


def bernoulli_instance(seed: int, horizon: int = HORIZON,
                       n_arms: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """BanditBench's easy Bernoulli task: one arm at 0.75, the others at 0.25 (gap 0.5)."""
    rng = np.random.default_rng(500 + seed)
    means = np.full(n_arms, 0.25)
    means[rng.integers(n_arms)] = 0.75
    return means, (rng.random((horizon, n_arms)) < means).astype(float)


def play(agent, means: np.ndarray, rewards: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Actions and per-round pseudo-regret of ``agent`` on a precomputed reward table."""
    arms = np.empty(len(rewards), dtype=np.int64)
    for t, row in enumerate(rewards):
        arms[t] = agent.act(None)
        agent.update(None, arms[t], row[arms[t]])
    return arms, means.max() - means[arms]


def test_every_classic_name_is_registered() -> None:
    assert set(CONFIGS) <= set(AGENTS)
    assert isinstance(make_agent("ts", n_arms=3), BetaThompson)
    assert isinstance(make_agent("ts-gaussian", n_arms=3), GaussianThompson)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_regret_is_small_and_sublinear_on_the_easy_bernoulli_bandit(name: str) -> None:
    # Uniform play loses 0.4 per round, 800 over the horizon; these agents lose < 60.
    first = second = 0.0
    totals = []
    for seed in SEEDS:
        means, rewards = bernoulli_instance(seed)
        _, regret = play(make_agent(name, n_arms=5, seed=seed, **CONFIGS[name]), means, rewards)
        totals.append(regret.sum())
        first += regret[: HORIZON // 2].sum()
        second += regret[HORIZON // 2:].sum()
    assert np.mean(totals) < 60.0, totals
    assert second < 0.5 * first, (first, second)


def test_constant_epsilon_keeps_paying_for_exploration() -> None:
    # Without decay each round explores with probability 0.1 and then misses the best arm with
    # probability 4/5 at a cost of 0.5: about 40 regret per 1000 rounds, forever.
    means, rewards = bernoulli_instance(0)
    _, regret = play(EpsilonGreedy(5, seed=0, epsilon=0.1), means, rewards)
    assert 25.0 < regret[HORIZON // 2:].sum() < 60.0


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_same_seed_same_actions_and_reset_reproduces(name: str) -> None:
    means, rewards = bernoulli_instance(1, horizon=300)
    agent = make_agent(name, n_arms=5, seed=7, **CONFIGS[name])
    first, _ = play(agent, means, rewards)
    twin, _ = play(make_agent(name, n_arms=5, seed=7, **CONFIGS[name]), means, rewards)
    agent.reset(7)
    again, _ = play(agent, means, rewards)
    np.testing.assert_array_equal(first, twin)
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("name", ["epsilon-greedy", "ts-beta", "ts-gaussian"])
def test_randomised_agents_depend_on_the_seed(name: str) -> None:
    means, rewards = bernoulli_instance(1, horizon=300)
    a, _ = play(make_agent(name, n_arms=5, seed=1, **CONFIGS[name]), means, rewards)
    b, _ = play(make_agent(name, n_arms=5, seed=2, **CONFIGS[name]), means, rewards)
    assert not np.array_equal(a, b)


def _trained(name: str, seed: int = 3):
    means, rewards = bernoulli_instance(2, horizon=200)
    agent = make_agent(name, n_arms=5, seed=seed, **CONFIGS[name])
    play(agent, means, rewards)
    return agent


@pytest.mark.parametrize("name", ["ucb1", "ts-beta", "ts-gaussian"])
def test_act_batch_matches_a_loop_of_act(name: str) -> None:
    # UCB1 is deterministic; the Thompson agents draw a batch in the order of single draws.
    batched, looped = _trained(name), _trained(name)
    contexts = [None] * 64
    np.testing.assert_array_equal(batched.act_batch(contexts),
                                  [looped.act(c) for c in contexts])


def test_epsilon_greedy_act_batch_explores_at_the_stated_rate() -> None:
    agent = EpsilonGreedy(5, seed=0, epsilon=0.3)
    agent.update_batch([None] * 5, np.arange(5), np.array([0.0, 0.0, 1.0, 0.0, 0.0]))
    arms = agent.act_batch([None] * 20_000)
    # Exploration picks the greedy arm 2 a fifth of the time too.
    off_greedy = np.mean(arms != 2)
    assert abs(off_greedy - 0.3 * 4 / 5) < 0.02


def test_epsilon_decays_as_documented() -> None:
    agent = EpsilonGreedy(3, seed=0, epsilon=0.2, decay=0.5)
    assert agent.current_epsilon() == pytest.approx(0.2)
    for _ in range(4):
        agent.update(None, 0, 1.0)
    assert agent.current_epsilon() == pytest.approx(0.2 / 3.0)


def test_update_batch_equals_a_loop_of_update() -> None:
    rng = np.random.default_rng(0)
    arms = rng.integers(4, size=100)
    rewards = rng.random(100)
    batched, looped = UCB1(4), UCB1(4)
    batched.update_batch([None] * 100, arms, rewards)
    for a, r in zip(arms, rewards):
        looped.update(None, a, r)
    np.testing.assert_array_equal(batched.counts, looped.counts)
    np.testing.assert_allclose(batched.sums, looped.sums)
    np.testing.assert_allclose(batched.indices(), looped.indices())


def test_ucb1_pulls_each_arm_once_then_follows_its_index() -> None:
    agent = UCB1(3, alpha=2.0)
    first = []
    for reward in (0.2, 0.9, 0.5):
        first.append(agent.act(None))
        agent.update(None, first[-1], reward)
    assert first == [0, 1, 2]
    expected = np.array([0.2, 0.9, 0.5]) + np.sqrt(2.0 * np.log(3) / 1)
    np.testing.assert_allclose(agent.indices(), expected)
    assert agent.act(None) == 1


def test_beta_thompson_turns_fractional_rewards_into_bernoulli_trials() -> None:
    agent = BetaThompson(2, seed=0)
    for _ in range(4000):
        agent.update(None, 0, 0.3)
    assert agent.sums[0] == np.round(agent.sums[0])  # whole successes only
    assert abs(agent.sums[0] / agent.counts[0] - 0.3) < 0.03


def test_gaussian_posterior_is_the_conjugate_update() -> None:
    agent = GaussianThompson(2, prior_mean=1.0, prior_std=2.0, noise_std=0.5)
    for reward in (2.0, 4.0):
        agent.update(None, 1, reward)
    mean, std = agent.posterior()
    precision = 1 / 4 + 2 / 0.25
    assert mean[1] == pytest.approx((1.0 / 4 + 6.0 / 0.25) / precision)
    assert std[1] == pytest.approx(precision**-0.5)
    assert (mean[0], std[0]) == pytest.approx((1.0, 2.0))


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("epsilon-greedy", {"epsilon": 1.5}),
        ("epsilon-greedy", {"decay": -1.0}),
        ("ucb1", {"alpha": -0.1}),
        ("ts-beta", {"prior_alpha": 0.0}),
        ("ts-gaussian", {"noise_std": 0.0}),
    ],
)
def test_bad_hyperparameters_raise(name: str, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        make_agent(name, n_arms=3, **kwargs)


def test_bad_arms_rewards_and_sizes_raise() -> None:
    with pytest.raises(ValueError, match="n_arms"):
        make_agent("ucb1", n_arms=0)
    with pytest.raises(ValueError, match="arm"):
        UCB1(3).update(None, 3, 1.0)
    with pytest.raises(ValueError, match="arms"):
        UCB1(3).update_batch([None], np.array([-1]), np.array([1.0]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        BetaThompson(3).update(None, 0, 2.0)
    with pytest.raises(ValueError, match="unknown bandit agent"):
        make_agent("no-such-agent", n_arms=3)
