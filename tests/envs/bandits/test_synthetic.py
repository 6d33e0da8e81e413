"""Tests of the synthetic contextual bandits: the API checkers, the reward formulas against the
oracle in ``info``, the noise, seeding, truncation and the registered ids."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import decisiongym  # noqa: F401  (registers the ids)
from decisiongym.envs.bandits.synthetic import (
    REWARD_FUNCTIONS,
    SyntheticContextualBanditEnv,
    unit_sphere,
)
from decisiongym.envs.core.errors import InvalidActionError

REWARDS = ("linear", "quadratic", "cosine")


def formula(reward: str, z: np.ndarray) -> np.ndarray:
    """The expected rewards written out independently of the module's table."""
    return {"linear": z, "quadratic": 10 * z * z, "cosine": np.cos(3 * z)}[reward]


@pytest.mark.parametrize("per_arm", [False, True])
@pytest.mark.parametrize("reward", REWARDS)
def test_gymnasium_and_sb3_checkers_pass_without_warnings(reward: str, per_arm: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(SyntheticContextualBanditEnv(reward, per_arm_context=per_arm),
                  skip_render_check=True)
        sb3_check_env(SyntheticContextualBanditEnv(reward, per_arm_context=per_arm))


@pytest.mark.parametrize("reward", REWARDS)
def test_expected_rewards_follow_the_formula_for_the_context_shown(reward: str) -> None:
    env = SyntheticContextualBanditEnv(reward, dim=6, n_arms=5, noise=0.0, horizon=100)
    x, info = env.reset(seed=4)
    theta = env.theta
    assert theta.shape == (5, 6)
    assert np.allclose(np.linalg.norm(theta, axis=1), 1.0)
    assert np.allclose(info["expected_rewards"], formula(reward, theta @ x))
    rng = np.random.default_rng(0)
    for _ in range(50):
        arm = int(rng.integers(5))
        expected = formula(reward, theta @ x)
        x_next, reward_paid, _, _, info = env.step(arm)
        assert np.allclose(info["expected_rewards"], expected)
        assert info["best_arm"] == int(np.argmax(expected))
        assert info["regret"] == pytest.approx(expected.max() - expected[arm])
        assert reward_paid == pytest.approx(expected[arm])  # noise=0 pays the mean exactly
        assert np.linalg.norm(x_next) == pytest.approx(1.0)
        x = x_next
    assert np.array_equal(env.theta, theta)  # the parameters last the whole episode


def test_reward_ranges_are_the_documented_ones() -> None:
    z = np.linspace(-1, 1, 201)
    assert REWARD_FUNCTIONS["quadratic"](z).min() == 0.0
    assert REWARD_FUNCTIONS["quadratic"](z).max() == pytest.approx(10.0)
    assert np.allclose(REWARD_FUNCTIONS["cosine"](z), np.cos(3 * z))
    assert np.array_equal(REWARD_FUNCTIONS["linear"](z), z)


@pytest.mark.parametrize("reward", REWARDS)
def test_per_arm_contexts_share_one_theta(reward: str) -> None:
    env = SyntheticContextualBanditEnv(reward, dim=4, n_arms=3, noise=0.0,
                                       per_arm_context=True)
    obs, info = env.reset(seed=8)
    assert obs.shape == (12,) and env.theta.shape == (4,)
    contexts = obs.reshape(3, 4)
    assert np.allclose(np.linalg.norm(contexts, axis=1), 1.0)
    assert np.allclose(info["expected_rewards"], formula(reward, contexts @ env.theta))
    _, paid, _, _, info = env.step(2)
    assert paid == pytest.approx(formula(reward, contexts[2] @ env.theta))


def test_noise_is_gaussian_with_the_configured_standard_deviation() -> None:
    env = SyntheticContextualBanditEnv("cosine", noise=0.5, horizon=4000)
    env.reset(seed=1)
    residuals = np.empty(4000)
    for i in range(4000):
        _, paid, _, _, info = env.step(0)
        residuals[i] = paid - info["expected_rewards"][0]
    assert residuals.std() == pytest.approx(0.5, rel=0.05)
    assert abs(residuals.mean()) < 4 * 0.5 / np.sqrt(4000)


def test_unit_sphere_points_are_unit_and_isotropic() -> None:
    points = unit_sphere(np.random.default_rng(0), 20000, 3)
    assert points.shape == (20000, 3)
    assert np.allclose(np.linalg.norm(points, axis=1), 1.0)
    assert np.abs(points.mean(axis=0)).max() < 0.03
    # uniform on the sphere of R^3: each coordinate has variance 1/3
    assert np.allclose(points.var(axis=0), 1 / 3, atol=0.02)


def test_same_seed_same_trajectory_and_another_seed_differs() -> None:
    actions = np.random.default_rng(0).integers(0, 4, 100)

    def play(seed: int) -> list:
        env = SyntheticContextualBanditEnv("quadratic")
        obs, _ = env.reset(seed=seed)
        trace = [obs.tolist()]
        for action in actions:
            obs, paid, _, _, info = env.step(int(action))
            trace.append((obs.tolist(), paid, info["expected_rewards"].tolist()))
        return trace

    assert play(3) == play(3)
    assert play(3) != play(4)


def test_truncated_exactly_at_the_horizon() -> None:
    env = SyntheticContextualBanditEnv(horizon=30)
    env.reset(seed=0)
    flags = [env.step(1)[2:4] for _ in range(30)]
    assert flags[:-1] == [(False, False)] * 29 and flags[-1] == (False, True)
    assert SyntheticContextualBanditEnv().horizon == 2000


@pytest.mark.parametrize("kwargs, fault", [
    ({"reward": "cubic"}, "reward"),
    ({"noise": -0.1}, "noise"),
    ({"dim": 0}, "dim"),
    ({"n_arms": 1}, "n_arms"),
])
def test_bad_parameters_raise(kwargs: dict, fault: str) -> None:
    with pytest.raises(ValueError, match=fault):
        SyntheticContextualBanditEnv(**kwargs)


@pytest.mark.parametrize("action", [4, -1, 0.5])
def test_an_invalid_action_raises(action: object) -> None:
    env = SyntheticContextualBanditEnv()
    env.reset(seed=0)
    with pytest.raises(InvalidActionError):
        env.step(action)


@pytest.mark.parametrize("reward", REWARDS)
def test_ids_are_registered(reward: str) -> None:
    env = gym.make(f"decisiongym/ContextualBandit-{reward.capitalize()}-v0")
    unwrapped = env.unwrapped
    assert isinstance(unwrapped, SyntheticContextualBanditEnv)
    assert (unwrapped.reward_type, unwrapped.n_arms, unwrapped.context_dim) == (reward, 4, 10)
    obs, info = env.reset(seed=0)
    assert np.allclose(info["expected_rewards"], formula(reward, unwrapped.theta @ obs))
    env.close()
