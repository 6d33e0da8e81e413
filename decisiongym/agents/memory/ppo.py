"""MaskablePPO (sb3-contrib) on the mapping env: the model-free comparison for the planner.

The policy is SB3's MLP actor-critic on the env's observation, trained on programs drawn from
the env's generator, the illegal windows masked by ``action_masks()``. The reward is the env's
(microseconds saved), divided by the all-slow time so that programs of every size weigh alike;
undiscounted, so an episode's return is the fraction of the run time saved.

The weights are saved as plain tensors by :mod:`decisiongym.agents.checkpoints` (no SB3 zip,
nothing unpickled on loading); :func:`ppo_mapping` maps a program with the deterministic policy.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from decisiongym.agents.checkpoints import read_checkpoint, write_checkpoint
from decisiongym.agents.threads import single_torch_thread
from decisiongym.envs.core.errors import CheckpointError, InputError
from decisiongym.envs.memory.hardware import Hardware, hardware_preset
from decisiongym.envs.memory.mapping import Mapping
from decisiongym.envs.memory.mapping_env import MemoryMappingEnv
from decisiongym.envs.memory.program import Program
from decisiongym.envs.memory.program_generator import SyntheticProgramGenerator

CHECKPOINT_FORMAT = "decisiongym-memory-ppo"
CHECKPOINT_VERSION = 1


@dataclass
class MappingPPOConfig:
    """Every setting of :func:`train_ppo_mapper`.

    :param seed: seeds the envs' programs and the policy.
    :param timesteps: env steps (buffer decisions) in total.
    :param shape: the generator's program shape.
    :param n_layers: layers of the drawn programs.
    :param capacity: fast capacity as a fraction of the peak live bytes.
    :param hardware: the chip preset.
    :param mode: the env's mode.
    :param order: the env's visit order.
    :param n_steps: steps per rollout.
    :param batch_size: PPO minibatch.
    :param lr: Adam's step size.
    :param hidden: width of the policy's two hidden layers.
    """

    seed: int = 0
    timesteps: int = 20_000
    shape: str = "layers"
    n_layers: int = 8
    capacity: float = 0.5
    hardware: str = "tpu-like"
    mode: str = "full"
    order: str = "benefit"
    n_steps: int = 512
    batch_size: int = 128
    lr: float = 3e-4
    hidden: int = 64

    def __post_init__(self) -> None:
        for name in ("timesteps", "n_layers", "n_steps", "batch_size", "hidden"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"must be an integer >= 1, got {value!r}", field=name)


class _TimeFraction(gym.RewardWrapper):
    """The env's reward over the all-slow time of the episode's program."""

    def __init__(self, env: MemoryMappingEnv) -> None:
        super().__init__(env)
        self.mapping_env = env

    def reward(self, reward: Any) -> float:
        slow = self.mapping_env.time_all_slow
        return float(reward) / slow if slow > 0 else 0.0

    def action_masks(self) -> np.ndarray:
        """The wrapped env's legal actions."""
        return self.mapping_env.action_masks()


def make_env(config: MappingPPOConfig) -> gym.Env:
    """A training env of the config (programs drawn at every reset)."""
    env = MemoryMappingEnv(generator=SyntheticProgramGenerator(shape=config.shape,
                                                               n_layers=config.n_layers),
                           hardware=config.hardware, capacity=config.capacity,
                           mode=config.mode, order=config.order)
    return _TimeFraction(env)


def _model(config: MappingPPOConfig, env: gym.Env) -> Any:
    from sb3_contrib import MaskablePPO

    return MaskablePPO("MlpPolicy", env, learning_rate=config.lr, n_steps=config.n_steps,
                       batch_size=config.batch_size, gamma=1.0, seed=config.seed, verbose=0,
                       policy_kwargs={"net_arch": [config.hidden, config.hidden]})


def train_ppo_mapper(config: MappingPPOConfig | None = None) -> Any:
    """Train MaskablePPO on the mapping env (module docstring); return the SB3 model."""
    config = config or MappingPPOConfig()
    with single_torch_thread():
        env = make_env(config)
        env.reset(seed=config.seed)
        model = _model(config, env)
        model.learn(total_timesteps=config.timesteps)
    return model


def save_ppo_mapper(model: Any, config: MappingPPOConfig,
                    path: str | os.PathLike[str]) -> None:
    """Write the policy's weights and the config (plain tensors and numbers)."""
    state = {k: v.detach().clone() for k, v in model.policy.state_dict().items()}
    write_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION,
                     {"config": asdict(config), "state_dict": state})


def load_ppo_mapper(path: str | os.PathLike[str]) -> tuple[Any, MappingPPOConfig]:
    """Read what :func:`save_ppo_mapper` wrote: ``(model, config)``.

    :raises CheckpointError: when the file is not a mapping PPO checkpoint of this version or
        its weights do not fit its config.
    """
    content = read_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, "mapping PPO")
    try:
        config = MappingPPOConfig(**content["config"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(path, f"its config describes no mapping PPO: {exc}") from None
    model = _model(config, make_env(config))
    try:
        model.policy.load_state_dict(content["state_dict"])
    except RuntimeError as exc:
        raise CheckpointError(path, "its weights do not fit the policy its config describes"
                              ) from exc
    return model, config


def ppo_mapping(model: Any, program: Program, hardware: str | Hardware = "tpu-like",
                mode: str = "full", order: str = "benefit") -> Mapping:
    """Map ``program`` with the deterministic policy (each buffer its most likely legal action).

    :param model: a trained MaskablePPO on an env of the same mode.
    :param program: the scheduled program.
    :param hardware: the chip (its fast capacity as given) or a preset name.
    :param mode: the env's mode the model was trained in.
    :param order: the visit order.
    """
    chip = hardware_preset(hardware) if isinstance(hardware, str) else hardware
    env = MemoryMappingEnv(program=program, hardware=chip, capacity=chip.fast_capacity,
                           mode=mode, order=order, invalid_action="raise")
    obs, info = env.reset(seed=0)
    done = False
    with single_torch_thread(), torch.no_grad():
        while not done:
            action, _ = model.predict(obs, action_masks=env.action_masks(), deterministic=True)
            obs, _, done, _, info = env.step(int(action))
    mapping: Mapping = info["mapping"]
    return mapping
