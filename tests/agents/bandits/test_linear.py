"""LinUCB and LinTS: regret on a linear bandit, exact rank-one algebra, batching, speed."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.agents.bandits import make_agent
from decisiongym.agents.bandits.linear import (
    LinTS,
    LinUCB,
    lints_scores,
    linucb_scores,
    reference_lints_scores,
    reference_linucb_scores,
)
from decisiongym.bench.bandits import linucb_speed
from decisiongym.envs.bandits.mab import MultiArmedBanditEnv

HORIZON = 2000
SEEDS = (0, 1, 2)


def linear_instance(seed: int, horizon: int = HORIZON, n_arms: int = 4,
                    dim: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contexts ``x = (1, z)``, ``z`` uniform in the unit ball; Bernoulli rewards of mean
    ``0.5 + 0.5 u_a.z`` with unit ``u_a``, so every mean lies in [0, 1] and is linear in x."""
    rng = np.random.default_rng(1000 + seed)
    u = rng.standard_normal((n_arms, dim - 1))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    z = rng.standard_normal((horizon, dim - 1))
    z *= rng.random((horizon, 1)) ** (1 / (dim - 1)) / np.linalg.norm(z, axis=1, keepdims=True)
    contexts = np.hstack([np.ones((horizon, 1)), z])
    means = 0.5 + 0.5 * z @ u.T
    rewards = (rng.random((horizon, n_arms)) < means).astype(float)
    return contexts, means, rewards


def play(agent, contexts: np.ndarray, means: np.ndarray,
         rewards: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    arms = np.empty(len(contexts), dtype=np.int64)
    for t, x in enumerate(contexts):
        arms[t] = agent.act(x)
        agent.update(x, arms[t], rewards[t, arms[t]])
    return arms, means.max(axis=1) - means[np.arange(len(arms)), arms]


@pytest.mark.parametrize("name", ["linucb", "lints"])
def test_regret_is_small_and_sublinear_on_a_linear_bandit(name: str) -> None:
    # Uniform play loses about 446 over the horizon here; both agents lose < 120 on average,
    # and the second half of the run costs less than half of the first.
    first = second = 0.0
    totals = []
    for seed in SEEDS:
        contexts, means, rewards = linear_instance(seed)
        uniform = (means.max(axis=1) - means.mean(axis=1)).sum()
        assert uniform > 400.0
        _, regret = play(make_agent(name, n_arms=4, dim=5, seed=seed), contexts, means, rewards)
        totals.append(regret.sum())
        first += regret[: HORIZON // 2].sum()
        second += regret[HORIZON // 2:].sum()
    assert np.mean(totals) < 120.0, totals
    assert second < 0.5 * first, (first, second)


def _random_updates(agent, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    contexts = rng.standard_normal((n, agent.dim))
    arms = rng.integers(agent.n_arms, size=n)
    rewards = rng.standard_normal(n)
    for x, a, r in zip(contexts, arms, rewards):
        agent.update(x, a, r)
    return contexts, arms, rewards


@pytest.mark.parametrize("cls", [LinUCB, LinTS])
def test_sherman_morrison_inverse_equals_a_fresh_inverse(cls) -> None:
    agent = cls(n_arms=3, dim=20, ridge=0.5)
    contexts, arms, rewards = _random_updates(agent, 3000)
    for a in range(3):
        mine = arms == a
        design = 0.5 * np.eye(20) + contexts[mine].T @ contexts[mine]
        target = contexts[mine].T @ rewards[mine]
        np.testing.assert_allclose(agent.a_inv[a], np.linalg.inv(design), rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(agent.theta[a], np.linalg.solve(design, target), atol=1e-9)
        if cls is LinTS:
            np.testing.assert_allclose(agent.chol[a] @ agent.chol[a].T, design, rtol=1e-9)
            assert np.allclose(agent.chol[a], np.tril(agent.chol[a]))


def test_kernels_agree_with_their_numpy_twins() -> None:
    ucb, ts = LinUCB(4, 6, alpha=0.7), LinTS(4, 6, v=0.3)
    _random_updates(ucb, 200)
    _random_updates(ts, 200)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(6)
    noise = rng.standard_normal((4, 6))
    out = np.empty(4)
    linucb_scores(ucb.a_inv, ucb.theta, x, 0.7, out)
    np.testing.assert_allclose(out, reference_linucb_scores(ucb.a_inv, ucb.theta, x, 0.7))
    lints_scores(ts.chol, ts.theta, x, 0.3, noise, out)
    np.testing.assert_allclose(out, reference_lints_scores(ts.chol, ts.theta, x, 0.3, noise))


def test_lints_draws_have_the_posterior_spread() -> None:
    # A draw of theta~_a.x has variance v^2 x^T A_a^{-1} x.
    agent = LinTS(2, 4, seed=0, v=0.8)
    _random_updates(agent, 50)
    x = np.array([0.5, -1.0, 0.2, 1.5])
    draws = np.array([agent.sample_scores(x) for _ in range(20_000)])
    expected = 0.8**2 * np.einsum("i,aij,j->a", x, agent.a_inv, x)
    np.testing.assert_allclose(draws.var(axis=0), expected, rtol=0.05)
    np.testing.assert_allclose(draws.mean(axis=0), agent.theta @ x,
                               atol=4 * np.sqrt(expected.max() / 20_000))


def test_linucb_picks_the_upper_confidence_bound() -> None:
    agent = LinUCB(3, 2, alpha=1.0)
    agent.update(np.array([1.0, 0.0]), 0, 1.0)
    x = np.array([1.0, 0.0])
    # Arm 0: theta.x = 1/2, bonus sqrt(1/2); arms 1 and 2: 0 + 1, so arm 0 wins (1.207 > 1).
    np.testing.assert_allclose(agent.scores(x), [0.5 + np.sqrt(0.5), 1.0, 1.0])
    assert agent.act(x) == 0
    assert LinUCB(3, 2, alpha=5.0).act(x) == 0  # ties go to the lowest index
    agent.alpha = 3.0
    assert agent.act(x) == 1


@pytest.mark.parametrize("name", ["linucb", "lints"])
def test_same_seed_same_actions_and_reset_reproduces(name: str) -> None:
    contexts, means, rewards = linear_instance(0, horizon=300)
    agent = make_agent(name, n_arms=4, dim=5, seed=5)
    first, _ = play(agent, contexts, means, rewards)
    twin, _ = play(make_agent(name, n_arms=4, dim=5, seed=5), contexts, means, rewards)
    agent.reset(5)
    again, _ = play(agent, contexts, means, rewards)
    np.testing.assert_array_equal(first, twin)
    np.testing.assert_array_equal(first, again)
    if name == "lints":
        other, _ = play(make_agent(name, n_arms=4, dim=5, seed=6), contexts, means, rewards)
        assert not np.array_equal(first, other)


@pytest.mark.parametrize("name", ["linucb", "lints"])
def test_batches_match_loops(name: str) -> None:
    contexts, means, rewards = linear_instance(1, horizon=400)
    arms = np.random.default_rng(0).integers(4, size=400)
    batched = make_agent(name, n_arms=4, dim=5, seed=2)
    looped = make_agent(name, n_arms=4, dim=5, seed=2)
    observed = rewards[np.arange(400), arms]
    batched.update_batch(contexts, arms, observed)
    for x, a, r in zip(contexts, arms, observed):
        looped.update(x, a, r)
    np.testing.assert_allclose(batched.a_inv, looped.a_inv, atol=1e-12)
    np.testing.assert_allclose(batched.theta, looped.theta, atol=1e-12)
    np.testing.assert_array_equal(batched.act_batch(contexts[:100]),
                                  [looped.act(x) for x in contexts[:100]])


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("linucb", {"alpha": -1.0}), ("linucb", {"ridge": 0.0}), ("lints", {"v": -0.5}),
     ("lints", {"ridge": -1.0})],
)
def test_bad_hyperparameters_raise(name: str, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        make_agent(name, n_arms=3, dim=2, **kwargs)


@pytest.mark.parametrize("name", ["linucb", "lints"])
def test_bad_contexts_and_arms_raise(name: str) -> None:
    agent = make_agent(name, n_arms=3, dim=2)
    with pytest.raises(ValueError, match="context"):
        agent.act(np.zeros(3))
    with pytest.raises(ValueError, match="arm"):
        agent.update(np.zeros(2), 3, 1.0)
    with pytest.raises(ValueError, match="contexts"):
        agent.act_batch(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="batch length"):
        agent.update_batch(np.zeros((4, 2)), np.zeros(3, dtype=int), np.zeros(4))


def test_online_loop_beats_ten_thousand_decisions_per_second_and_mabwiser() -> None:
    result = linucb_speed.measure_linucb_speed(rounds=5000, peer_rounds=200)
    assert (result["n_arms"], result["dim"]) == (10, 20)
    assert result["ours"] > 10_000, result
    if result["mabwiser"] is not None:
        assert result["ratio"] == pytest.approx(result["ours"] / result["mabwiser"])
        assert result["ratio"] > 1.0


def test_speed_report_without_mabwiser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linucb_speed, "_mabwiser_version", lambda: None)
    result = linucb_speed.measure_linucb_speed(n_arms=3, dim=4, rounds=200)
    assert result["mabwiser"] is None and result["ratio"] is None
    assert result["ours"] > 0
    with pytest.raises(ValueError):
        linucb_speed.measure_linucb_speed(rounds=0)


@pytest.mark.parametrize("name", ["linucb", "lints"])
def test_on_a_multi_armed_bandit_theta_is_each_arm_shrunk_mean(name: str) -> None:
    env = MultiArmedBanditEnv("gaussian-easy-k5-video", horizon=40)
    context, _ = env.reset(seed=0)
    assert context.tolist() == [1.0]  # an intercept, not a zero vector
    agent = make_agent(name, n_arms=env.n_arms, dim=1, seed=0, ridge=2.0)
    sums, pulls = np.zeros(env.n_arms), np.zeros(env.n_arms)
    for t in range(40):
        arm = t % env.n_arms
        next_context, reward, _, _, _ = env.step(arm)
        agent.update(context, arm, reward)
        sums[arm] += reward
        pulls[arm] += 1
        context = next_context
    np.testing.assert_allclose(agent.theta[:, 0], sums / (2.0 + pulls), rtol=1e-12)
