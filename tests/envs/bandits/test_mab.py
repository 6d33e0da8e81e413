"""Tests of the multi-armed bandits: the API checkers, BanditBench's 16 settings, the oracle in
``info``, seeding, truncation, reward statistics and the registered ids."""

from __future__ import annotations

import itertools
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import decisiongym  # noqa: F401  (registers the ids)
from decisiongym.envs.bandits.ids import FAMILY
from decisiongym.envs.bandits.mab import (
    FIXED_MEANS_NOISE,
    MAB_CONFIGS,
    MABConfig,
    MultiArmedBanditEnv,
)
from decisiongym.envs.core.errors import InputError, InvalidActionError

PUBLISHED = {  # difficulty -> (horizon, Bernoulli gap, Gaussian sigma), BanditBench's values
    "easy": (300, 0.5, 1.0),
    "hard": (1000, 0.2, 3.0),
}


def play(env: MultiArmedBanditEnv, actions: list[int], seed: int) -> list[tuple]:
    obs, info = env.reset(seed=seed)
    steps: list[tuple] = [(obs.tolist(), info["best_arm"], info["expected_rewards"].tolist())]
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        steps.append((obs.tolist(), reward, terminated, truncated, info["regret"],
                      info["expected_rewards"].tolist()))
    return steps


@pytest.mark.parametrize("config", ["bernoulli-easy-k5-video", "gaussian-hard-k20-clothes"])
def test_gymnasium_and_sb3_checkers_pass_without_warnings(config: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(MultiArmedBanditEnv(config), skip_render_check=True)
        sb3_check_env(MultiArmedBanditEnv(config))


def test_the_16_banditbench_configs_have_the_published_parameters() -> None:
    expected_names = {
        f"{dist}-{difficulty}-k{k}-{domain}"
        for dist, difficulty, k, domain in itertools.product(
            ("bernoulli", "gaussian"), ("easy", "hard"), (5, 20), ("video", "clothes"))
    }
    assert set(MAB_CONFIGS) == expected_names
    for name, config in MAB_CONFIGS.items():
        dist, difficulty, k, domain = name.split("-")
        horizon, gap, sigma = PUBLISHED[difficulty]
        env = MultiArmedBanditEnv(name)
        env.reset(seed=0)
        assert config.name == name
        assert (env.horizon, env.n_arms, env.config.domain) == (horizon, int(k[1:]), domain)
        assert env.action_space == gym.spaces.Discrete(int(k[1:]))
        if dist == "bernoulli":
            assert config.gap == gap and config.sigma is None
            best = 0.5 + gap / 2
            assert np.isclose(env.means.max(), best)
            assert np.count_nonzero(np.isclose(env.means, best)) == 1
            assert np.allclose(np.delete(env.means, env.means.argmax()), 0.5 - gap / 2)
        else:
            assert config.sigma == sigma and config.gap is None
            assert config.reward_noise == sigma


def test_bernoulli_settings_match_banditbench_numbers() -> None:
    easy = MultiArmedBanditEnv("bernoulli-easy-k20-video")
    easy.reset(seed=3)
    assert sorted(set(np.round(easy.means, 12))) == [0.25, 0.75]
    hard = MultiArmedBanditEnv("bernoulli-hard-k5-clothes")
    hard.reset(seed=3)
    assert sorted(set(np.round(hard.means, 12))) == [0.4, 0.6]


def test_arm_names_follow_the_scenario() -> None:
    assert MultiArmedBanditEnv("bernoulli-easy-k5-video").arm_names[3] == "video 3"
    clothes = MultiArmedBanditEnv("gaussian-hard-k20-clothes")
    assert clothes.arm_names == tuple(f"item {arm}" for arm in range(20))


@pytest.mark.parametrize("config", ["bernoulli-easy-k5-video", "bernoulli-hard-k20-clothes"])
def test_bernoulli_regret_is_zero_for_the_best_arm_and_the_gap_otherwise(config: str) -> None:
    env = MultiArmedBanditEnv(config)
    obs, info = env.reset(seed=11)
    gap = env.config.gap
    assert obs.tolist() == [1.0]
    best = info["best_arm"]
    assert best == int(np.argmax(env.means))
    for arm in range(env.n_arms):
        obs, reward, terminated, truncated, info = env.step(arm)
        assert obs.tolist() == [1.0]
        assert reward in (0.0, 1.0)
        assert info["arm"] == arm and info["round"] == arm and info["best_arm"] == best
        assert np.array_equal(info["expected_rewards"], env.means)
        assert info["regret"] == pytest.approx(0.0 if arm == best else gap)


def test_gaussian_regret_is_the_distance_to_the_best_mean() -> None:
    env = MultiArmedBanditEnv("gaussian-easy-k5-video")
    env.reset(seed=2)
    means = env.means
    for arm in range(env.n_arms):
        info = env.step(arm)[4]
        assert info["regret"] == pytest.approx(means.max() - means[arm])
    assert info["best_arm"] == int(np.argmax(means))


def test_best_arm_index_is_redrawn_uniformly_at_each_reset() -> None:
    env = MultiArmedBanditEnv("bernoulli-easy-k5-video", instance="redraw")
    counts = np.bincount([env.reset(seed=seed)[1]["best_arm"] for seed in range(500)],
                         minlength=5)
    # 100 expected per arm; 60 is more than 4 standard deviations below
    assert counts.min() > 60, counts


def test_gaussian_means_are_redrawn_from_n0_sigma2() -> None:
    env = MultiArmedBanditEnv("gaussian-hard-k20-video", instance="redraw")
    means = np.concatenate([env.reset(seed=seed)[1]["expected_rewards"] for seed in range(200)])
    assert abs(means.mean()) < 0.2
    assert means.std() == pytest.approx(3.0, rel=0.05)


@pytest.mark.parametrize("instance", ["fixed", "redraw"])
def test_same_seed_same_trajectory_and_another_seed_differs(instance: str) -> None:
    actions = np.random.default_rng(0).integers(0, 5, 200).tolist()
    for config in ("bernoulli-hard-k5-video", "gaussian-easy-k5-clothes"):
        first = play(MultiArmedBanditEnv(config, instance=instance), actions, seed=42)
        assert first == play(MultiArmedBanditEnv(config, instance=instance), actions, seed=42)
        assert first != play(MultiArmedBanditEnv(config, instance=instance), actions, seed=43)


def test_truncated_exactly_at_the_horizon_and_never_terminated() -> None:
    env = MultiArmedBanditEnv("bernoulli-hard-k5-video", horizon=25)
    assert env.config.difficulty == "hard"  # a shorter run is still the published arms
    env.reset(seed=0)
    flags = [env.step(0)[2:4] for _ in range(25)]
    assert flags[:-1] == [(False, False)] * 24
    assert flags[-1] == (False, True)
    assert MultiArmedBanditEnv("gaussian-hard-k5-video").horizon == 1000


@pytest.mark.parametrize("config", ["bernoulli-easy-k5-video", "bernoulli-hard-k5-clothes"])
def test_empirical_mean_of_each_bernoulli_arm_matches_its_mean(config: str) -> None:
    pulls = 3000
    env = MultiArmedBanditEnv(config, horizon=pulls * 5)
    env.reset(seed=5)
    for arm in range(env.n_arms):
        mean = np.mean([env.step(arm)[1] for _ in range(pulls)])
        # standard error <= 0.5 / sqrt(3000) ~ 0.009: 0.04 is over 4 of them
        assert abs(mean - env.means[arm]) < 0.04, (arm, mean, env.means[arm])


def test_gaussian_rewards_spread_with_the_configured_noise() -> None:
    pulls = 4000
    for config, noise in (("gaussian-hard-k5-video", 3.0), ("gaussian-easy-k5-video", 1.0)):
        env = MultiArmedBanditEnv(config, horizon=pulls)
        env.reset(seed=9)
        rewards = np.array([env.step(1)[1] for _ in range(pulls)])
        assert rewards.std() == pytest.approx(noise, rel=0.05)
        assert abs(rewards.mean() - env.means[1]) < 4 * noise / np.sqrt(pulls)
    unit = MultiArmedBanditEnv("gaussian-hard-k5-video", horizon=pulls, noise=1.0)
    unit.reset(seed=9)
    assert np.std([unit.step(0)[1] for _ in range(pulls)]) == pytest.approx(1.0, rel=0.05)


def test_free_parameters_build_custom_bandits() -> None:
    fixed = MultiArmedBanditEnv(means=[0.1, 0.9, 0.3], horizon=50)
    assert (fixed.n_arms, fixed.horizon, fixed.config.difficulty) == (3, 50, None)
    assert fixed.config.name == "bernoulli-custom-k3-video"
    for seed in (0, 1):  # explicit means keep their order in every episode
        assert fixed.reset(seed=seed)[1]["expected_rewards"].tolist() == [0.1, 0.9, 0.3]
    assert fixed.step(0)[4]["regret"] == pytest.approx(0.8)

    gauss = MultiArmedBanditEnv(distribution="gaussian", n_arms=7, sigma=2.0, noise=0.5)
    assert (gauss.n_arms, gauss.config.sigma, gauss.config.reward_noise) == (7, 2.0, 0.5)
    gap = MultiArmedBanditEnv("bernoulli-easy-k20-video", gap=0.1, domain="clothes")
    gap.reset(seed=0)
    assert np.isclose(gap.means.max(), 0.55) and gap.arm_names[0] == "item 0"
    config = MABConfig("gaussian", 3, 10, means=(1.0, 2.0, 0.0))
    assert MultiArmedBanditEnv(config).config.reward_noise == 1.0


@pytest.mark.parametrize("kwargs, fault", [
    ({"config": "bernoulli-easy-k5-video", "distribution": "gaussian"}, "config=None"),
    ({"means": [0.2, 1.5]}, "[0, 1]"),
    ({"means": [0.2, 0.4], "gap": 0.3}, "not both"),
    ({"sigma": 1.0}, "Gaussian arms only"),
    ({"config": "gaussian-easy-k5-video", "gap": 0.2}, "Bernoulli arms only"),
    ({"n_arms": 1}, "n_arms"),
    ({"config": "bernoulli-medium-k5-video"}, "unknown config"),
    ({"domain": "books"}, "domain"),
])
def test_bad_parameters_raise_a_value_error_naming_the_fault(kwargs: dict, fault: str) -> None:
    with pytest.raises(ValueError, match=fault.replace("[", r"\[").replace("]", r"\]")):
        MultiArmedBanditEnv(**kwargs)


@pytest.mark.parametrize("action", [5, -1, 1.5, "two", None])
def test_an_invalid_action_raises(action: object) -> None:
    env = MultiArmedBanditEnv("bernoulli-easy-k5-video")
    env.reset(seed=0)
    with pytest.raises(InvalidActionError):
        env.step(action)


def test_the_16_tasks_are_registered_fixed_and_redrawn_with_their_config() -> None:
    mab_ids = [env for env in FAMILY.envs if env.id.startswith("decisiongym/MAB-")]
    assert len(mab_ids) == 32
    assert {entry.kwargs["config"] for entry in mab_ids} == set(MAB_CONFIGS)
    for entry in mab_ids:
        env_id, entry_point, name = entry.id, entry.entry_point, entry.kwargs["config"]
        instance = entry.kwargs["instance"]
        dist, difficulty, k, domain = name.split("-")
        suffix = "-v1" if instance == "fixed" else "-Redraw-v0"
        assert env_id == (f"decisiongym/MAB-{dist.capitalize()}-{difficulty.capitalize()}-"
                          f"K{k[1:]}-{domain.capitalize()}{suffix}")
        assert entry_point == "decisiongym.envs.bandits.mab:MultiArmedBanditEnv"
        assert entry.summary
        env = gym.make(env_id)
        unwrapped = env.unwrapped
        assert isinstance(unwrapped, MultiArmedBanditEnv)
        assert unwrapped.config == MAB_CONFIGS[name]
        assert unwrapped.instance == instance
        env.close()
    assert sum(entry.kwargs["instance"] == "fixed" for entry in mab_ids) == 16


def test_fixed_gaussian_means_keep_the_config_noise_unless_noise_is_given() -> None:
    hard = MultiArmedBanditEnv("gaussian-hard-k5-video", means=[0.0, 1.0, 2.0])
    assert (hard.config.noise, hard.config.reward_noise) == (3.0, 3.0)
    unit = MultiArmedBanditEnv("gaussian-hard-k5-video", means=[0.0, 1.0, 2.0], noise=1.0)
    assert unit.config.reward_noise == 1.0
    free = MultiArmedBanditEnv(distribution="gaussian", means=[0.0, 1.0])
    assert free.config.reward_noise == 1.0
    # a config built from means alone states the default noise instead of implying it
    assert MABConfig("gaussian", 2, 10, means=(0.0, 1.0)).noise == FIXED_MEANS_NOISE == 1.0
    pulls = 4000
    spread = MultiArmedBanditEnv("gaussian-hard-k5-video", horizon=pulls, means=[0.0, 5.0])
    spread.reset(seed=3)
    assert np.std([spread.step(1)[1] for _ in range(pulls)]) == pytest.approx(3.0, rel=0.05)


@pytest.mark.parametrize("kwargs, field", [
    ({"config": "bernoulli-easy-k5-video", "noise": 1.0}, "noise"),
    ({"config": "bernoulli-easy-k5-video", "means": [0.2, 0.4], "noise": 0.5}, "noise"),
    ({"config": "gaussian-easy-k5-video", "noise": 0.0}, "noise"),
    ({"config": "gaussian-easy-k5-video", "noise": float("inf")}, "noise"),
    ({"config": "gaussian-easy-k5-video", "means": [0.0, 1.0], "noise": -1.0}, "noise"),
    ({"config": "gaussian-easy-k5-video", "means": [0.0, 1.0], "sigma": 2.0}, "means"),
    ({"config": "gaussian-easy-k5-video", "means": [0.0, 1.0], "n_arms": 3}, "means"),
    ({"config": "gaussian-easy-k5-video", "sigma": float("nan")}, "sigma"),
    ({"config": "bernoulli-easy-k5-video", "sigma": 1.0}, "sigma"),
    ({"config": "gaussian-easy-k5-video", "gap": 0.2}, "gap"),
    ({"config": "bernoulli-easy-k5-video", "distribution": "gaussian"}, "distribution"),
    ({"config": "bernoulli-medium-k5-video"}, "config"),
])
def test_inconsistent_arms_raise_an_input_error_naming_the_argument(kwargs: dict,
                                                                     field: str) -> None:
    with pytest.raises(InputError) as caught:
        MultiArmedBanditEnv(**kwargs)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
