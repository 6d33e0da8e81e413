"""PPO with action masking (sb3-contrib's ``MaskablePPO``) for the dispatching network.

The env is ``JobShopEnv`` on random Taillard-style instances, sizes drawn from ``min_size`` to
``max_size`` at every reset and padded to ``max_size``; the reward is the decrease of L2D's
makespan lower bound (so an episode's return is ``initial_lower_bound - makespan``),
normalised by a running estimate of the return's spread (``VecNormalize``), undiscounted.

Every ``eval_every`` timesteps the greedy network is scored on fixed validation instances
(as in CP-guided imitation, makespan over the best of three static rules) and a checkpoint is
written: the SB3 model (``model_<t>.zip`` with its reward statistics ``vecnormalize_<t>.npz``,
what ``resume`` reads, without unpickling anything: :mod:`decisiongym.agents.jobshop.
ppo_checkpoint`) and the standalone network (``network_<t>.pt``). The best-scoring network is
returned.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import torch

from decisiongym.agents.jobshop.network import DispatchNetwork, NetworkConfig
from decisiongym.agents.jobshop.ppo_checkpoint import read_resumable, write_resumable
from decisiongym.agents.jobshop.sb3_policy import DispatchActorCriticPolicy
from decisiongym.agents.jobshop.training import (
    TrainingLog,
    check_outputs,
    instance_generator,
    training_metadata,
)
from decisiongym.agents.jobshop.validation import ValidationSet
from decisiongym.agents.threads import single_torch_thread


@dataclass
class PPOConfig:
    """Every hyper-parameter of :func:`train_ppo`.

    :param seed: seeds torch, the envs and the validation instances (``seed + 1``).
    :param timesteps: environment steps (dispatching decisions) in total.
    :param scheme: schedule-generation scheme of the rule learned.
    :param min_size: smallest ``(jobs, machines)`` drawn.
    :param max_size: largest ``(jobs, machines)`` drawn (and the padded shape).
    :param n_envs: parallel envs (in one process).
    :param n_steps: steps per env per rollout.
    :param batch_size: PPO minibatch.
    :param n_epochs: PPO epochs per rollout.
    :param lr: Adam's learning rate.
    :param gae_lambda: GAE's lambda.
    :param ent_coef: entropy bonus.
    :param clip_range: PPO's clip.
    :param eval_every: timesteps between validation scores and checkpoints.
    :param eval_instances: validation instances.
    :param network: network sizes.
    :param init: a standalone checkpoint to start from (e.g. CP-guided imitation's).
    :param resume: a ``model_<t>.zip`` written by a previous run's checkpoints (read with
        :func:`~decisiongym.agents.jobshop.ppo_checkpoint.read_resumable`).
    :param checkpoint_dir: where checkpoints go.
    :param log_dir: TensorBoard log folder.
    :param out: where to write the best network at the end.
    """

    seed: int = 0
    timesteps: int = 200_000
    scheme: str = "non-delay"
    min_size: tuple[int, int] = (6, 6)
    max_size: tuple[int, int] = (20, 15)
    n_envs: int = 4
    n_steps: int = 256
    batch_size: int = 256
    n_epochs: int = 4
    lr: float = 3e-4
    gae_lambda: float = 0.95
    ent_coef: float = 0.01
    clip_range: float = 0.2
    eval_every: int = 20_000
    eval_instances: int = 16
    network: NetworkConfig = field(default_factory=NetworkConfig)
    init: str | None = None
    resume: str | None = None
    checkpoint_dir: str | None = None
    log_dir: str | None = None
    out: str | None = None


def make_vec_env(config: PPOConfig) -> Any:
    """The training envs: ``n_envs`` ``JobShopEnv``s on random instances, reward-normalised."""
    from stable_baselines3.common.env_util import make_vec_env as sb3_make_vec_env
    from stable_baselines3.common.vec_env import VecNormalize

    from decisiongym.envs.jobshop.env import JobShopEnv

    generator = instance_generator(config.min_size, config.max_size)

    def make() -> JobShopEnv:
        return JobShopEnv(generator, scheme=config.scheme, reward="lb-decrease",
                          max_jobs=config.max_size[0], max_machines=config.max_size[1],
                          invalid_action="raise")

    envs = sb3_make_vec_env(make, n_envs=config.n_envs, seed=config.seed)
    return VecNormalize(envs, norm_obs=False, norm_reward=True, gamma=1.0)


def train_ppo(
    config: PPOConfig | None = None,
    on_progress: Callable[[int, dict[str, float]], None] | None = None,
) -> tuple[DispatchNetwork, TrainingLog]:
    """Train with MaskablePPO (module docstring); return the best network and the log.

    :param config: hyper-parameters.
    :param on_progress: called with ``(timesteps so far, statistics)`` after every rollout.
    """
    config = config or PPOConfig()
    check_outputs(config.out, config.checkpoint_dir)
    with single_torch_thread():
        return _train(config, on_progress)


def _train(
    cfg: PPOConfig, on_progress: Callable[[int, dict[str, float]], None] | None,
) -> tuple[DispatchNetwork, TrainingLog]:
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.callbacks import BaseCallback

    t0 = time.perf_counter()
    torch.manual_seed(cfg.seed)
    generator = instance_generator(cfg.min_size, cfg.max_size)
    validation = ValidationSet.draw(generator, cfg.eval_instances, cfg.seed + 1,
                                    cfg.scheme)
    envs = make_vec_env(cfg)
    network_config = NetworkConfig(**{**asdict(cfg.network), "scheme": cfg.scheme})
    if cfg.resume is not None:
        model = read_resumable(cfg.resume, envs, network_config, cfg.clip_range,
                               seed=cfg.seed, tensorboard_log=cfg.log_dir)
    else:
        # the sizes as a plain dict, so that the archive holds them as JSON, not as a pickle
        model = MaskablePPO(
            DispatchActorCriticPolicy, envs, learning_rate=cfg.lr, n_steps=cfg.n_steps,
            batch_size=cfg.batch_size, n_epochs=cfg.n_epochs, gamma=1.0,
            gae_lambda=cfg.gae_lambda, ent_coef=cfg.ent_coef,
            clip_range=cfg.clip_range, seed=cfg.seed, tensorboard_log=cfg.log_dir,
            policy_kwargs={"network_config": asdict(network_config)}, verbose=0)
    policy = cast(DispatchActorCriticPolicy, model.policy)
    if cfg.init is not None and cfg.resume is None:
        policy.load_network(DispatchNetwork.load(cfg.init))
    log = TrainingLog()
    best = _Best(policy.to_network(), validation.score(policy.to_network()))
    log.scores.append((int(model.num_timesteps), best.score))

    class Progress(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.next_eval = model.num_timesteps + cfg.eval_every

        def _on_step(self) -> bool:
            return True

        def _on_rollout_end(self) -> None:
            stats: dict[str, float] = {}
            logged = self.model.logger.name_to_value
            if "train/loss" in logged:
                stats["loss"] = float(logged["train/loss"])
                log.losses.append(stats["loss"])
            if self.num_timesteps >= self.next_eval:
                self.next_eval += cfg.eval_every
                network = policy.to_network()
                score = validation.score(network)
                log.scores.append((int(self.num_timesteps), score))
                stats["score"] = score
                self.logger.record("eval/makespan_over_best_rule", score)
                _checkpoint(model, envs, network, cfg, int(self.num_timesteps), score)
                best.offer(network, score)
            if on_progress is not None:
                on_progress(int(self.num_timesteps), stats)

    model.learn(total_timesteps=cfg.timesteps, callback=Progress(),
                reset_num_timesteps=cfg.resume is None, tb_log_name="ppo")
    network = policy.to_network()
    score = validation.score(network)
    log.scores.append((int(model.num_timesteps), score))
    _checkpoint(model, envs, network, cfg, int(model.num_timesteps), score)
    best.offer(network, score)
    network.load_state_dict(best.state)
    network.eval()
    log.wall_s = time.perf_counter() - t0
    if cfg.out is not None:
        network.save(cfg.out, training_metadata("ppo", cfg, log, best.score))
    return network, log


class _Best:
    """The best-scoring weights seen so far."""

    def __init__(self, network: DispatchNetwork, score: float) -> None:
        self.state = copy.deepcopy(network.state_dict())
        self.score = score

    def offer(self, network: DispatchNetwork, score: float) -> None:
        if score < self.score:
            self.state, self.score = copy.deepcopy(network.state_dict()), score


def _checkpoint(model: Any, envs: Any, network: DispatchNetwork, config: PPOConfig,
                timesteps: int, score: float) -> None:
    if config.checkpoint_dir is None:
        return
    folder = Path(config.checkpoint_dir)
    write_resumable(model, envs, folder, timesteps)
    network.save(folder / f"network_{timesteps:09d}.pt", {"timesteps": timesteps,
                                                            "score": score})

