"""Training of :class:`~decisiongym.agents.soc.policy.SoCPolicy`: imitation of ETF, then
REINFORCE with a learned value baseline on :class:`~decisiongym.envs.soc.env.SoCSchedulingEnv`
in ``mode="task"``.

Phase 1, imitation. The expert is DS3's ETF (earliest task first), written as an order policy:
at each step it picks the occupied slot whose task has the least estimated finish over the PEs
that can run it, ``argmin_k min_q EF(k, q)``, the lower slot on ties. The env then commits that
task to its earliest-finish PE, which is ETF's (task, PE) pair, and re-estimates every ``EF``,
so following the expert reproduces the simulator's built-in ``"etf"`` rule decision by
decision (the tests check it). HEFT_RT is not imitated: it plans ahead over tasks that are not
ready yet, which this action space (one ready task at a time, PE by earliest finish) cannot
express, and ETF has the lower latency on DS3's mix. Only decisions with two or more occupied
slots are kept (the others teach nothing); the loss is the cross-entropy of the expert's slot.

Phase 2, policy gradient (REINFORCE with baseline, Williams 1992; Decima's training signal):

* (1) reward ``r_t``: the env's, minus the job latency accrued during step ``t`` (ms);
* (2) return ``G_t = sum_{t' >= t} r_t'`` (undiscounted: its sum over an episode is minus the
  total latency, the objective), divided by a running scale so the step size does not depend
  on the load;
* (3) baseline ``V(s_t)``: a small network over the policy's global embedding (not
  back-propagated into the policy) and the episode's progress ``t / T``;
* (4) loss ``-log pi(a_t | s_t) (G_t - V(s_t)) - beta H(pi(. | s_t)) + (G_t - V(s_t))^2``,
  averaged over the episode's decisions with two or more occupied slots.

The greedy policy is scored on fixed validation episodes after imitation and every
``eval_every`` policy-gradient episodes; the best scoring weights are returned, so the second
phase never ships a policy worse (on those episodes) than the first.

Reproducing the shipped weights (``decisiongym/data/soc_policy.pt``)::

    decisiongym train soc --out decisiongym/data/soc_policy.pt

runs :func:`train` with the default :class:`TrainConfig` (seed 0). Training pins torch to one
thread so that the result does not depend on the core count; a rerun writes the shipped file's
weights tensor for tensor, in 75 to 90 s on a 2-core machine (37 KB).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from decisiongym.agents.soc.config import OBS_KEYS, PolicyConfig
from decisiongym.agents.soc.policy import Batch, Observation, SoCPolicy, mlp
from decisiongym.agents.threads import single_torch_thread
from decisiongym.envs.core.files import check_output_file, check_output_folder
from decisiongym.envs.soc.env import SoCSchedulingEnv


@dataclass
class TrainConfig:
    """Every hyper-parameter of :func:`train`; the defaults made the shipped weights.

    :param seed: seeds torch and every episode's workload.
    :param platform: built-in platform name or file.
    :param mix: application mix (``"ds3"``: DS3's six applications and probabilities).
    :param rate_jobs_per_ms: injection rate of the training episodes (ETF saturates DS3's mix
        on the default platform near 30 jobs/ms).
    :param n_jobs: jobs per training episode.
    :param noise: execution-time noise model.
    :param sigma: its relative standard deviation.
    :param max_ready: slots of the env.
    :param max_jobs_in_system: jobs whose DAGs are observed.
    :param embed_dim: see :class:`~decisiongym.agents.soc.config.PolicyConfig`.
    :param hidden_dim: see :class:`~decisiongym.agents.soc.config.PolicyConfig`.
    :param message_rounds: see :class:`~decisiongym.agents.soc.config.PolicyConfig`.
    :param imitation_episodes: expert episodes whose decisions form the imitation data.
    :param imitation_epochs: passes over that data.
    :param batch_size: imitation minibatch size.
    :param imitation_lr: Adam step size of the imitation phase.
    :param pg_episodes: sampled episodes of the policy-gradient phase (one update each).
    :param pg_lr: Adam step size of the policy in that phase.
    :param value_lr: Adam step size of the baseline.
    :param entropy_coef: ``beta`` of the entropy bonus.
    :param return_scale_decay: decay of the running scale of the returns.
    :param eval_episodes: validation episodes scoring the greedy policy.
    :param eval_every: policy-gradient episodes between validations.
    :param out: where to write the returned policy (None: not written).
    :param resume: start from these weights and skip the imitation phase.
    :param checkpoint_dir: if set, the policy after imitation and at each validation is saved
        there.
    :param log_dir: TensorBoard log folder (used only when ``tensorboard`` is installed).
    """

    seed: int = 0
    platform: str = "default"
    mix: str = "ds3"
    rate_jobs_per_ms: float = 20.0
    n_jobs: int = 40
    noise: str = "gaussian"
    sigma: float = 0.3
    max_ready: int = 32
    max_jobs_in_system: int = 8
    embed_dim: int = 16
    hidden_dim: int = 32
    message_rounds: int = 4
    imitation_episodes: int = 80
    imitation_epochs: int = 6
    batch_size: int = 256
    imitation_lr: float = 2e-3
    pg_episodes: int = 40
    pg_lr: float = 1e-4
    value_lr: float = 1e-3
    entropy_coef: float = 1e-3
    return_scale_decay: float = 0.9
    eval_episodes: int = 3
    eval_every: int = 10
    out: str | None = None
    resume: str | None = None
    checkpoint_dir: str | None = None
    log_dir: str | None = None
    history: dict[str, list[float]] = field(default_factory=dict, repr=False, compare=False)
    """Filled by :func:`train`: ``imitation_loss`` per epoch, ``eval_latency_us`` per
    validation, ``episode_return`` per policy-gradient episode."""


def make_env(config: TrainConfig) -> SoCSchedulingEnv:
    """The ``mode="task"`` env of a training run."""
    return SoCSchedulingEnv(
        platform=config.platform, mix=config.mix, rate_jobs_per_ms=config.rate_jobs_per_ms,
        n_jobs=config.n_jobs, noise=config.noise, sigma=config.sigma, mode="task",
        max_ready=config.max_ready, max_jobs_in_system=config.max_jobs_in_system,
        invalid_action="raise")


def etf_slot(env: SoCSchedulingEnv) -> int:
    """The expert's slot: the task of least estimated finish over its PEs, lowest slot on ties
    (ETF's choice; module docstring)."""
    return int(np.argmin(env.estimated_finish_us().min(axis=1)))


class DecisionBuffer:
    """Observations of decisions with two or more occupied slots, and the chosen slots.

    Each job's adjacency matrix is stored once per distinct graph, since jobs repeat the same
    few applications and the matrices are most of an observation's bytes.
    """

    def __init__(self) -> None:
        self.columns: dict[str, list[np.ndarray]] = {k: [] for k in OBS_KEYS
                                                     if k != "job_adjacency"}
        self.graph_ids: list[np.ndarray] = []
        self.graphs: list[np.ndarray] = []
        self._graph_index: dict[bytes, int] = {}
        self.actions: list[int] = []

    def __len__(self) -> int:
        return len(self.actions)

    def add(self, obs: Observation, action: int) -> None:
        """Store one decision.

        :param obs: a ``mode="task"`` observation.
        :param action: the slot chosen.
        """
        for key, column in self.columns.items():
            column.append(obs[key])
        ids = np.empty(obs["job_adjacency"].shape[0], dtype=np.int64)
        for j, matrix in enumerate(obs["job_adjacency"]):
            key = matrix.tobytes()
            if key not in self._graph_index:
                self._graph_index[key] = len(self.graphs)
                self.graphs.append(matrix.copy())
            ids[j] = self._graph_index[key]
        self.graph_ids.append(ids)
        self.actions.append(int(action))

    def batch(self, index: Sequence[int] | np.ndarray) -> tuple[Batch, torch.Tensor]:
        """Tensors of the decisions ``index`` and their actions."""
        index = np.asarray(index)
        out = {key: torch.as_tensor(np.stack([column[i] for i in index]))
               for key, column in self.columns.items()}
        graphs = np.stack(self.graphs)
        out["job_adjacency"] = torch.as_tensor(
            graphs[np.stack([self.graph_ids[i] for i in index])])
        return out, torch.as_tensor(np.asarray(self.actions)[index])


def collect_expert(env: SoCSchedulingEnv, seeds: Sequence[int],
                   buffer: DecisionBuffer | None = None) -> DecisionBuffer:
    """Roll out the ETF expert on one episode per seed and keep its informative decisions.

    :param env: a ``mode="task"`` env.
    :param seeds: workload seeds.
    :param buffer: appended to (a new one by default).
    """
    buffer = DecisionBuffer() if buffer is None else buffer
    for seed in seeds:
        obs, _ = env.reset(seed=int(seed))
        done = False
        while not done:
            action = etf_slot(env)
            if obs["action_mask"].sum() > 1:
                buffer.add(obs, action)
            obs, _, done, _, _ = env.step(action)
    return buffer


def imitation_epochs(policy: SoCPolicy, buffer: DecisionBuffer, epochs: int, batch_size: int,
                     lr: float, generator: torch.Generator) -> Iterator[float]:
    """Cross-entropy training on the expert's slots; yields each epoch's mean loss.

    :param policy: trained in place.
    :param buffer: the expert's decisions.
    :param epochs: passes over the data.
    :param batch_size: minibatch size.
    :param lr: Adam step size.
    :param generator: shuffles the data.
    """
    optimizer = torch.optim.Adam(policy.parameters(), lr=lr)
    for _ in range(epochs):
        order = torch.randperm(len(buffer), generator=generator).numpy()
        total, count = 0.0, 0
        for start in range(0, len(order), batch_size):
            batch, target = buffer.batch(order[start:start + batch_size])
            logits, _ = policy(batch)
            loss = F.cross_entropy(logits, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(target)
            count += len(target)
        yield total / max(count, 1)


@dataclass
class Episode:
    """A sampled episode: its informative decisions and every step's reward.

    :param decisions: observations and sampled slots of steps with two or more choices.
    :param steps: the step index of each of those decisions.
    :param rewards: the reward of every step.
    :param info: the env's final ``info``.
    """

    decisions: DecisionBuffer
    steps: list[int]
    rewards: list[float]
    info: dict[str, Any]


def sample_episode(env: SoCSchedulingEnv, policy: SoCPolicy, seed: int) -> Episode:
    """Roll out ``pi`` (sampled) for one episode.

    :param env: a ``mode="task"`` env.
    :param policy: the acting policy.
    :param seed: workload seed (actions are sampled from torch's global generator).
    """
    decisions, steps, rewards = DecisionBuffer(), list[int](), list[float]()
    obs, info = env.reset(seed=int(seed))
    done = False
    while not done:
        action = policy.act(obs, deterministic=False)
        if obs["action_mask"].sum() > 1:
            decisions.add(obs, action)
            steps.append(len(rewards))
        obs, reward, done, _, info = env.step(action)
        rewards.append(float(reward))
    return Episode(decisions, steps, rewards, info)


class ValueBaseline(nn.Module):
    """``V(s_t)`` from the policy's global embedding and the episode's progress (eq. 3).

    :param embed_dim: width of the global embedding.
    :param hidden_dim: hidden width.
    """

    def __init__(self, embed_dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.net = mlp(embed_dim + 1, hidden_dim, 1)

    def forward(self, global_embedding: torch.Tensor, progress: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([global_embedding, progress.unsqueeze(-1)], -1)).squeeze(-1)


def reinforce_update(policy: SoCPolicy, baseline: ValueBaseline, episode: Episode,
                     return_scale: float, entropy_coef: float,
                     policy_optimizer: torch.optim.Optimizer,
                     value_optimizer: torch.optim.Optimizer) -> dict[str, float]:
    """One REINFORCE-with-baseline update from one episode (module docstring, eqs. 1-4).

    :param policy: updated in place.
    :param baseline: updated in place.
    :param episode: from :func:`sample_episode`.
    :param return_scale: divides the returns.
    :param entropy_coef: ``beta``.
    :param policy_optimizer: over the policy's weights.
    :param value_optimizer: over the baseline's weights.
    """
    if not episode.steps:
        return {"policy_loss": 0.0, "value_loss": 0.0, "entropy": 0.0}
    # (1)-(2): reward-to-go of every step, read at the decisions
    rewards = np.asarray(episode.rewards)
    to_go = np.cumsum(rewards[::-1])[::-1]
    steps = np.asarray(episode.steps)
    returns = torch.as_tensor(to_go[steps] / return_scale, dtype=torch.float32)
    progress = torch.as_tensor(steps / len(rewards), dtype=torch.float32)
    batch, actions = episode.decisions.batch(np.arange(len(steps)))
    logits, global_embedding = policy(batch)
    pi = torch.distributions.Categorical(logits=logits)
    # (3): the baseline reads the embedding but does not train it
    value = baseline(global_embedding.detach(), progress)
    advantage = (returns - value).detach()
    # (4)
    policy_loss = -(pi.log_prob(actions) * advantage).mean()
    entropy = pi.entropy().mean()
    value_loss = F.mse_loss(value, returns)
    policy_optimizer.zero_grad()
    value_optimizer.zero_grad()
    (policy_loss - entropy_coef * entropy + value_loss).backward()
    policy_optimizer.step()
    value_optimizer.step()
    return {"policy_loss": float(policy_loss.detach()), "value_loss": float(value_loss.detach()),
            "entropy": float(entropy.detach())}


def greedy_latency(env: SoCSchedulingEnv, policy: SoCPolicy, seeds: Sequence[int]) -> float:
    """Mean job latency (µs) of the greedy policy over one episode per seed."""
    latencies = []
    for seed in seeds:
        obs, info = env.reset(seed=int(seed))
        done = False
        while not done:
            obs, _, done, _, info = env.step(policy.act(obs))
        latencies.append(info["latency_mean_us"])
    return float(np.mean(latencies))


def _summary_writer(log_dir: str | None) -> Any:
    if log_dir is None:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(log_dir)


def train(config: TrainConfig | None = None, progress: bool = True) -> SoCPolicy:
    """Train a policy: ETF imitation, then REINFORCE with a learned baseline (module
    docstring); write it to ``config.out`` when set.

    :param config: hyper-parameters; the default reproduces the shipped weights.
    :param progress: show a rich progress bar.
    :returns: the best policy on the validation episodes.
    :raises OutputPathError: before any training, when ``config.out`` is a folder,
        ``config.checkpoint_dir`` a file, or a parent of either a file.
    """
    from rich.progress import Progress

    config = config or TrainConfig()
    if config.out is not None:
        check_output_file(config.out)
    if config.checkpoint_dir is not None:
        check_output_folder(config.checkpoint_dir)
    with single_torch_thread(), Progress(disable=not progress, transient=False) as bar:
        return _train(config, bar)


def _train(config: TrainConfig, bar: Any) -> SoCPolicy:
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    seeds = np.random.default_rng(config.seed).choice(
        2**31 - 1, config.imitation_episodes + config.pg_episodes + config.eval_episodes,
        replace=False)
    expert_seeds = seeds[:config.imitation_episodes]
    pg_seeds = seeds[config.imitation_episodes:config.imitation_episodes + config.pg_episodes]
    eval_seeds = [int(s) for s in seeds[config.imitation_episodes + config.pg_episodes:]]
    env = make_env(config)
    writer = _summary_writer(config.log_dir)
    history = config.history
    history.clear()

    def checkpoint(policy: SoCPolicy, name: str) -> None:
        if config.checkpoint_dir is not None:
            policy.save(Path(config.checkpoint_dir) / f"{name}.pt")

    if config.resume is not None:
        policy = SoCPolicy.load(config.resume)
    else:
        policy = SoCPolicy(PolicyConfig(embed_dim=config.embed_dim,
                                        hidden_dim=config.hidden_dim,
                                        message_rounds=config.message_rounds))
        if config.imitation_episodes > 0:
            task = bar.add_task("ETF rollouts", total=len(expert_seeds))
            buffer = DecisionBuffer()
            for seed in expert_seeds:
                collect_expert(env, [int(seed)], buffer)
                bar.advance(task)
            task = bar.add_task(f"imitation ({len(buffer)} decisions)",
                                total=config.imitation_epochs)
            policy.train()
            for epoch, loss in enumerate(imitation_epochs(
                    policy, buffer, config.imitation_epochs, config.batch_size,
                    config.imitation_lr, generator)):
                history.setdefault("imitation_loss", []).append(loss)
                if writer is not None:
                    writer.add_scalar("imitation/loss", loss, epoch)
                bar.advance(task)
            del buffer
    policy.eval()
    checkpoint(policy, "imitation")
    best = greedy_latency(env, policy, eval_seeds)
    best_state = copy.deepcopy(policy.state_dict())
    history.setdefault("eval_latency_us", []).append(best)

    if config.pg_episodes > 0:
        baseline = ValueBaseline(policy.config.embed_dim, policy.config.hidden_dim)
        policy_optimizer = torch.optim.Adam(policy.parameters(), lr=config.pg_lr)
        value_optimizer = torch.optim.Adam(baseline.parameters(), lr=config.value_lr)
        scale = 0.0
        task = bar.add_task("policy gradient", total=len(pg_seeds))
        for i, seed in enumerate(pg_seeds, start=1):
            episode = sample_episode(env, policy, int(seed))
            returns = np.cumsum(np.asarray(episode.rewards)[::-1])
            spread = float(np.std(returns)) or 1.0
            scale = spread if scale == 0.0 else (config.return_scale_decay * scale
                                                 + (1 - config.return_scale_decay) * spread)
            stats = reinforce_update(policy, baseline, episode, scale, config.entropy_coef,
                                     policy_optimizer, value_optimizer)
            history.setdefault("episode_return", []).append(float(np.sum(episode.rewards)))
            if writer is not None:
                writer.add_scalar("pg/return", sum(episode.rewards), i)
                writer.add_scalar("pg/latency_mean_us", episode.info["latency_mean_us"], i)
                for name, value in stats.items():
                    writer.add_scalar(f"pg/{name}", value, i)
            if i % config.eval_every == 0 or i == len(pg_seeds):
                latency = greedy_latency(env, policy, eval_seeds)
                history["eval_latency_us"].append(latency)
                if writer is not None:
                    writer.add_scalar("eval/latency_mean_us", latency, i)
                checkpoint(policy, f"pg_{i:05d}")
                if latency < best:
                    best, best_state = latency, copy.deepcopy(policy.state_dict())
            bar.advance(task)
    policy.load_state_dict(best_state)
    policy.eval()
    if writer is not None:
        writer.close()
    if config.out is not None:
        policy.save(config.out)
    return policy


def config_dict(config: TrainConfig) -> dict[str, Any]:
    """The hyper-parameters of a config, without its history."""
    values = asdict(config)
    values.pop("history")
    return values


def default_out() -> str:
    """Path of the shipped weights in this checkout."""
    return os.fspath(Path(__file__).resolve().parent.parent / "data" / "soc_policy.pt")
