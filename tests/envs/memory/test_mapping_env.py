"""MemoryMappingEnv: checkers, return equal to the validated saving, masks, seeds, errors."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from memory_hand_example import CHIP, hand_program
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from decisiongym.envs.core.errors import InputError, InvalidActionError
from decisiongym.envs.memory.mapping import validate_mapping
from decisiongym.envs.memory.mapping_env import MemoryMappingEnv
from decisiongym.envs.memory.program_generator import SyntheticProgramGenerator

ENTRY_POINT = "decisiongym.envs.memory.mapping_env:MemoryMappingEnv"


def test_default_arguments_pass_both_checkers() -> None:
    check_env(MemoryMappingEnv(), skip_render_check=True)
    sb3_check_env(MemoryMappingEnv(), warn=True)


def test_registered_id_makes_the_env() -> None:
    import decisiongym  # noqa: F401  (registers the family's ids)

    assert gym.registry["decisiongym/MemoryMapping-v0"].entry_point == ENTRY_POINT
    env = gym.make("decisiongym/MemoryMapping-v0")
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)


def play(env: MemoryMappingEnv, seed: int, rng: np.random.Generator) -> tuple[float, dict]:
    obs, info = env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        legal = np.flatnonzero(env.action_masks())
        obs, reward, done, _, info = env.step(int(rng.choice(legal)))
        assert env.observation_space.contains(obs)
        total += reward
    return total, info


@pytest.mark.parametrize("mode", ["basic", "full"])
@pytest.mark.parametrize("shape", ["layers", "decode"])
@pytest.mark.parametrize("order", ["benefit", "first-use"])
def test_return_is_the_saving_the_validator_recomputes(mode: str, shape: str,
                                                        order: str) -> None:
    env = MemoryMappingEnv(generator=SyntheticProgramGenerator(shape=shape, n_layers=6),
                           mode=mode, order=order, capacity=0.4)
    for seed in range(3):
        total, info = play(env, seed, np.random.default_rng(seed))
        validated = validate_mapping(env.program, env.hardware, info["mapping"])
        assert validated == pytest.approx(info["validated_time_us"], rel=1e-12)
        assert total == pytest.approx(info["time_all_slow_us"] - validated, rel=1e-9, abs=1e-9)


def test_action_space_per_mode() -> None:
    assert MemoryMappingEnv(mode="basic").action_space.n == 2
    assert MemoryMappingEnv(mode="full").action_space.n == 6


def test_same_seed_same_episode() -> None:
    env = MemoryMappingEnv()
    first = env.reset(seed=5)[0]
    names = env.program.buffer_names
    again = env.reset(seed=5)[0]
    assert np.array_equal(first, again) and env.program.buffer_names == names
    sizes = env.program.buffer_size.tolist()
    env.reset(seed=6)
    assert env.program.buffer_size.tolist() != sizes


def test_no_window_is_legal_when_nothing_fits() -> None:
    # 400 bytes of fast memory hold none of the hand program's buffers (the smallest is 500).
    env = MemoryMappingEnv(program=hand_program(), hardware=CHIP, capacity=400)
    env.reset(seed=0)
    for _ in range(4):
        assert env.action_masks().tolist() == [True] + [False] * 5
        env.step(0)


def test_illegal_action_goes_to_slow_memory_or_raises() -> None:
    env = MemoryMappingEnv(program=hand_program(), hardware=CHIP, capacity=400,
                           invalid_action_penalty=1.0)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(3)
    assert reward == -1.0 and info["invalid_action"]
    assert (info["mapping"].fast_start == -1).all()
    strict = MemoryMappingEnv(program=hand_program(), hardware=CHIP, capacity=400,
                              invalid_action="raise")
    strict.reset(seed=0)
    with pytest.raises(InvalidActionError):
        strict.step(1)


def test_bad_arguments_name_their_field() -> None:
    with pytest.raises(InputError, match="mode"):
        MemoryMappingEnv(mode="partial")
    with pytest.raises(InputError, match="order"):
        MemoryMappingEnv(order="random")
    with pytest.raises(InputError, match="hardware"):
        MemoryMappingEnv(hardware="npu")
