"""Every registered ``decisiongym/`` id, made with its default arguments, passes Gymnasium's and
SB3's environment checkers, reseeds to the same observation, steps in a subprocess vector env,
and offers its action mask to MaskablePPO unaided; the PettingZoo variant passes PettingZoo's
parallel API test.

The ids come from ``gymnasium.registry`` itself, so an id cannot be registered without passing.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import decisiongym  # noqa: F401  (registers the ids)

IDS = sorted(env_id for env_id in gym.registry if env_id.startswith("decisiongym/"))

# Advice about space design (infinite bounds, non-flat arrays read as images) that SB3 and
# Gymnasium give to every Dict observation of this shape; the findings that count are the rest.
BENIGN_WARNINGS = (
    "maximum value is infinity",
    "unconventional shape",
    "is an image but",
    "minimal resolution for an image",
    "Treating image space as channels-last",
)


def unexpected(caught: list[warnings.WarningMessage]) -> list[str]:
    messages = [str(w.message) for w in caught
                if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    return [m for m in messages if not any(b in m for b in BENIGN_WARNINGS)]


def assert_same(first: Any, second: Any, where: str = "obs") -> None:
    """Equal nested dicts / tuples / arrays, key for key and element for element."""
    if isinstance(first, Mapping):
        assert isinstance(second, Mapping) and set(first) == set(second), where
        for key in first:
            assert_same(first[key], second[key], f"{where}[{key!r}]")
    elif isinstance(first, (tuple, list)):
        assert isinstance(second, (tuple, list)) and len(first) == len(second), where
        for i, (a, b) in enumerate(zip(first, second)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        np.testing.assert_array_equal(np.asarray(first), np.asarray(second), err_msg=where)


def test_the_registry_holds_every_family() -> None:
    assert any(i.startswith("decisiongym/JobShop") for i in IDS)
    assert any(i.startswith("decisiongym/SoC") for i in IDS)
    assert any("Bandit" in i or i.startswith("decisiongym/MAB") for i in IDS)
    assert any(i.startswith("decisiongym/Memory") for i in IDS)


@pytest.mark.parametrize("env_id", IDS)
def test_checkers_pass_with_default_arguments(env_id: str) -> None:
    from gymnasium.utils.env_checker import check_env as gym_check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        env = gym.make(env_id)
        gym_check_env(env.unwrapped)
        env.close()
        env = gym.make(env_id)
        sb3_check_env(env, warn=True)
        env.close()
    assert unexpected(caught) == []


@pytest.mark.parametrize("env_id", IDS)
def test_reset_with_a_seed_repeats_the_observation(env_id: str) -> None:
    env = gym.make(env_id)
    for seed in (0, 7):
        first, _ = env.reset(seed=seed)
        env.step(env.action_space.sample())
        again, _ = env.reset(seed=seed)
        assert_same(first, again)
    other = gym.make(env_id)
    assert_same(other.reset(seed=7)[0], again)
    env.close()
    other.close()


@pytest.mark.parametrize("env_id", IDS)
def test_async_vector_env_resets_and_steps(env_id: str) -> None:
    envs = gym.make_vec(env_id, num_envs=2, vectorization_mode="async")
    try:
        obs, _ = envs.reset(seed=0)
        assert envs.observation_space.contains(obs)
        envs.action_space.seed(0)
        obs, reward, terminated, truncated, _ = envs.step(envs.action_space.sample())
        assert envs.observation_space.contains(obs)
        assert np.shape(reward) == np.shape(terminated) == np.shape(truncated) == (2,)
    except BaseException:
        envs.close(terminate=True)  # a worker may still owe a reply: do not wait for it
        raise
    envs.close()


@pytest.mark.parametrize("env_id", IDS)
def test_maskable_ppo_reads_the_action_mask_unaided(env_id: str) -> None:
    from sb3_contrib.common.maskable.utils import get_action_masks, is_masking_supported
    from stable_baselines3.common.vec_env import DummyVecEnv

    env = gym.make(env_id)
    if not hasattr(env.unwrapped, "action_masks"):
        pytest.skip("no action mask: every action is always legal")
    vec = DummyVecEnv([lambda: gym.make(env_id)])
    assert is_masking_supported(vec)
    obs = vec.reset()
    masks = get_action_masks(vec)
    assert masks.shape == (1, env.action_space.n) and masks.any()
    if isinstance(obs, dict) and "action_mask" in obs:
        np.testing.assert_array_equal(masks, obs["action_mask"].astype(bool))
    vec.close()
    env.close()


def test_pettingzoo_parallel_api_passes_with_default_arguments() -> None:
    from pettingzoo.test import parallel_api_test

    from decisiongym.envs.soc.parallel import parallel_env

    parallel_api_test(parallel_env(), num_cycles=100)
