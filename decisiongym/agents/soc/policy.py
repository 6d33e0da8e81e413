"""A DeepSoCS-style order policy for streaming task DAGs on a heterogeneous SoC.

DeepSoCS (Sung et al., Electronics 9(6):936, 2020) follows Decima (Mao et al., SIGCOMM '19):
a graph neural network embeds every task of every job in the system, each job and the set of
jobs; a policy scores the ready tasks from those embeddings and real-time task features; the
chosen task goes to the PE of earliest estimated finish. :class:`SoCPolicy` is that network for
the ``mode="task"`` observation of :class:`~decisiongym.envs.soc.env.SoCSchedulingEnv`:

1. node embedding, Decima's eq. (1) with a fixed number of rounds instead of a topological
   sweep: ``e_v = h_0(x_v) + g(sum_{u in succ(v)} f(e_u))``, repeated ``message_rounds`` times
   over each job's padded DAG (``job_tasks``, ``job_adjacency``), so information flows from a
   task's descendants up to it;
2. job embedding: ``y_j = m(mean_v e_v, x_j)`` over the job's tasks and its ``jobs`` row;
3. global embedding: ``z = n(mean_j y_j)`` over the jobs in the system;
4. one score per ready slot ``q([s_k, e_k, y_job(k), z])`` where ``s_k`` are the slot's
   real-time features (:func:`slot_features`) and ``e_k``, ``y_job(k)`` are gathered through
   ``ready_ref``; a softmax over the occupied slots (``action_mask``) gives ``pi(k | obs)``.

Every weight is shared across tasks, jobs and slots, so one network runs on any number of jobs,
tasks per job and slots (and any platform: the per-PE columns enter only through minima and
means).

The shipped weights (``decisiongym/data/soc_policy.pt``) come from
:func:`decisiongym.agents.soc.training.train` with its default
:class:`~decisiongym.agents.soc.training.TrainConfig`; ``decisiongym train soc`` reruns it.
:func:`learned_scheduler` / :func:`simulate_learned` run the policy as an online scheduler of
:mod:`decisiongym.baselines.soc.online`'s kind (the ``learned`` scheduler), through its compiled
copy (:mod:`decisiongym.agents.soc.compiled`: the same choices, about 15x faster).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from importlib import resources

import numpy as np
import torch
from torch import nn

from decisiongym.agents.checkpoints import (
    module_from_checkpoint,
    read_checkpoint,
    write_checkpoint,
)
from decisiongym.agents.soc.compiled import CompiledSoCPolicy
from decisiongym.agents.soc.config import (
    N_BASE_TASK_FEATURES,
    N_SLOT_FEATURES,
    OBS_KEYS,
    PolicyConfig,
)
from decisiongym.envs.soc.env import US_PER_MS, SoCSchedulingEnv
from decisiongym.envs.soc.metrics import SimulationResult
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.simulator import SoCSimulator
from decisiongym.envs.soc.workload import Workload

SHIPPED_CHECKPOINT = "soc_policy.pt"
"""File name of the trained weights under ``decisiongym/data``."""
CHECKPOINT_FORMAT = "decisiongym-soc-policy"
CHECKPOINT_VERSION = 1

Observation = Mapping[str, np.ndarray]
Batch = dict[str, torch.Tensor]


def symlog(x: torch.Tensor) -> torch.Tensor:
    """``sign(x) log(1 + |x|)``."""
    return torch.sign(x) * torch.log1p(x.abs())


def time_scale(ms: torch.Tensor) -> torch.Tensor:
    """Times (ms) on a log scale in µs: the choices hinge on µs differences, while ages reach
    seconds under overload."""
    return symlog(US_PER_MS * ms)


def mlp(n_in: int, hidden: int, n_out: int) -> nn.Sequential:
    """A one-hidden-layer ReLU network."""
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))


def slot_features(tasks: torch.Tensor, estimated_finish: torch.Tensor,
                  occupied: torch.Tensor) -> torch.Tensor:
    """Real-time features of each slot, independent of the number of PEs and PE types.

    The observation's first 7 ``tasks`` columns, then: least and mean cost over the PE types
    that can run the task, least and mean estimated finish over the PEs that can run it, the
    least estimated finish minus the smallest such value among the occupied slots, whether it
    is that smallest value (the task ETF would commit next), and the fraction of PEs that can
    run it. Flags and counts stay as they are; times go through :func:`time_scale`.

    :param tasks: ``(B, S, 7 + T)`` the observation's ``tasks``.
    :param estimated_finish: ``(B, S, P)``, ``-1`` where a PE cannot run the task.
    :param occupied: ``(B, S)`` bool, slots holding a task.
    :returns: ``(B, S, N_SLOT_FEATURES)``.
    """
    cost = tasks[..., N_BASE_TASK_FEATURES:]
    can_type = cost >= 0
    n_types = can_type.sum(-1).clamp(min=1)
    min_cost = torch.where(can_type, cost, torch.full_like(cost, torch.inf)).amin(-1)
    mean_cost = torch.where(can_type, cost, 0.0).sum(-1) / n_types
    can_pe = estimated_finish >= 0
    n_pes = can_pe.sum(-1).clamp(min=1)
    min_ef = torch.where(can_pe, estimated_finish, torch.inf).amin(-1)
    mean_ef = torch.where(can_pe, estimated_finish, 0.0).sum(-1) / n_pes
    min_ef = torch.where(occupied, min_ef, 0.0)
    min_cost = torch.where(occupied, min_cost, 0.0)
    best = torch.where(occupied, min_ef, torch.inf).amin(-1, keepdim=True)
    best = torch.where(torch.isfinite(best), best, 0.0)
    behind_best = torch.where(occupied, min_ef - best, 0.0)
    is_best = (occupied & (behind_best <= 0)).float()
    pe_share = can_pe.sum(-1) / max(estimated_finish.shape[-1], 1)
    times = torch.stack([min_cost, mean_cost, min_ef, mean_ef, behind_best], dim=-1)
    base = tasks[..., :N_BASE_TASK_FEATURES]
    return torch.cat([base[..., :2], symlog(base[..., 3:4]), time_scale(base[..., 2:3]),
                      time_scale(base[..., 4:]), time_scale(times), is_best.unsqueeze(-1),
                      pe_share.unsqueeze(-1)], dim=-1)


def to_batch(observations: Observation | Sequence[Observation]) -> Batch:
    """Stack one observation or a sequence of them into tensors with a leading batch axis.

    :param observations: ``mode="task"`` observations of one env configuration.
    """
    many = [observations] if isinstance(observations, Mapping) else list(observations)
    return {key: torch.as_tensor(np.stack([o[key] for o in many])) for key in OBS_KEYS}


class SoCPolicy(nn.Module):
    """Graph-embedding order policy over ready-task slots (module docstring).

    :param config: network sizes.
    """

    def __init__(self, config: PolicyConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or PolicyConfig()
        e, h = config.embed_dim, config.hidden_dim
        self.node_input = mlp(config.node_features, h, e)
        self.message = mlp(e, h, e)
        self.aggregate = mlp(e, h, e)
        self.job_summary = mlp(e + config.job_features, h, e)
        self.global_summary = mlp(e, h, e)
        self.score = mlp(N_SLOT_FEATURES + 3 * e, h, 1)

    # -- the network -----------------------------------------------------------------------
    def embed(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Task, job and global embeddings.

        :param batch: from :func:`to_batch`.
        :returns: ``(B, J, K, E)`` tasks, ``(B, J, E)`` jobs, ``(B, E)`` global.
        """
        nodes = batch["job_tasks"].float()
        node_valid = nodes[..., :1]
        adjacency = batch["job_adjacency"].float()
        node_input = torch.cat([nodes[..., :4], time_scale(nodes[..., 4:])], -1)
        initial = self.node_input(node_input) * node_valid
        embedding = initial
        for _ in range(self.config.message_rounds):
            # [j, u, v] = 1 for u -> v, so A @ f(e) sums f over each task's successors
            from_successors = adjacency @ self.message(embedding)
            embedding = (initial + self.aggregate(from_successors)) * node_valid
        jobs = batch["jobs"].float()
        job_valid = jobs[..., :1]
        task_mean = embedding.sum(-2) / node_valid.sum(-2).clamp(min=1.0)
        job_input = torch.cat([jobs[..., :1], time_scale(jobs[..., 1:2]), jobs[..., 2:3],
                               time_scale(jobs[..., 3:])], -1)
        job_embedding = self.job_summary(torch.cat([task_mean, job_input], -1)) * job_valid
        job_mean = job_embedding.sum(-2) / job_valid.sum(-2).clamp(min=1.0)
        return embedding, job_embedding, self.global_summary(job_mean)

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Masked slot logits and the global embedding.

        :param batch: from :func:`to_batch`.
        :returns: ``(B, S)`` logits, ``-inf`` on empty slots; ``(B, E)`` global embedding.
        """
        tasks_embedding, job_embedding, global_embedding = self.embed(batch)
        mask = batch["action_mask"].bool()
        ref = batch["ready_ref"].long()
        # a slot whose job is beyond the J oldest has no embedding: it scores on its features
        known = (ref[..., 0] >= 0) & mask
        job_index = ref[..., 0].clamp(min=0)
        task_index = ref[..., 1].clamp(min=0)
        rows = torch.arange(ref.shape[0]).unsqueeze(1)
        task_part = tasks_embedding[rows, job_index, task_index] * known.unsqueeze(-1)
        job_part = job_embedding[rows, job_index] * known.unsqueeze(-1)
        global_part = global_embedding.unsqueeze(1).expand(-1, ref.shape[1], -1)
        features = slot_features(batch["tasks"].float(), batch["estimated_finish"].float(),
                                 mask)
        scores = self.score(torch.cat([features, task_part, job_part, global_part], -1))
        logits = scores.squeeze(-1).masked_fill(~mask, -torch.inf)
        return logits, global_embedding

    def distribution(self, batch: Batch) -> torch.distributions.Categorical:
        """``pi(. | obs)`` over the slots."""
        logits, _ = self(batch)
        return torch.distributions.Categorical(logits=logits)

    # -- SB3-style verbs -------------------------------------------------------------------
    @torch.no_grad()
    def act(self, obs: Observation, deterministic: bool = True) -> int:
        """The slot to commit next.

        :param obs: one ``mode="task"`` observation.
        :param deterministic: the most likely slot, else a sample of ``pi``.
        """
        mask = np.asarray(obs["action_mask"])
        occupied = np.flatnonzero(mask)
        if occupied.size == 0:
            raise ValueError("the observation has no occupied slot to choose")
        if occupied.size == 1:
            return int(occupied[0])
        logits, _ = self(to_batch(obs))
        if deterministic:
            return int(torch.argmax(logits[0]))
        return int(torch.distributions.Categorical(logits=logits[0]).sample())

    def predict(self, obs: Observation, deterministic: bool = True) -> tuple[np.ndarray, None]:
        """SB3's ``predict``: ``(action, None)`` for one observation.

        :param obs: one ``mode="task"`` observation.
        :param deterministic: the most likely slot, else a sample.
        """
        return np.asarray(self.act(obs, deterministic)), None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the config and weights (plain tensors and numbers, loadable with
        ``torch.load(..., weights_only=True)``); an interrupted write leaves ``path`` as it was.

        :param path: the file to write.
        """
        state = {name: tensor.detach().clone() for name, tensor in self.state_dict().items()}
        write_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION,
                         {"config": asdict(self.config), "state_dict": state})

    def to_compiled(self, cache_size: int = 4096) -> CompiledSoCPolicy:
        """A numba copy of the current weights for fast greedy choices (later changes to this
        module are not seen: compile again after training).

        :param cache_size: task embeddings the copy keeps (see :class:`CompiledSoCPolicy`).
        """
        weights = {name: tensor.detach().cpu().numpy()
                   for name, tensor in self.state_dict().items()}
        return CompiledSoCPolicy(self.config, weights, cache_size=cache_size)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> SoCPolicy:
        """Read a policy written by :meth:`save`.

        :param path: the file; ``None`` for the shipped weights.
        :raises FileNotFoundError: when there is no such file.
        :raises CheckpointError: when the file is not an SoC policy checkpoint of this version.
        """
        if path is None:
            with resources.as_file(resources.files("decisiongym") / "data" /
                                   SHIPPED_CHECKPOINT) as shipped:
                return cls.load(shipped)
        content = read_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, "SoC policy")
        policy = module_from_checkpoint(content, cls, PolicyConfig, path, "SoC policy")
        policy.eval()
        return policy


# -- the learned online scheduler ----------------------------------------------------------------
def run_policy(policy: SoCPolicy | CompiledSoCPolicy, simulator: SoCSimulator,
               max_ready: int = 32, max_jobs_in_system: int = 8,
               name: str = "learned") -> SimulationResult:
    """Schedule a simulator's whole workload: at each decision point the policy orders the
    ready tasks one at a time, each to its earliest-finish PE (the env's ``mode="task"``).
    The greedy choices are computed by the compiled copy of the policy
    (:mod:`decisiongym.agents.soc.compiled`), which chooses as the torch module does.

    :param policy: the order policy (its greedy choice is used).
    :param simulator: the stream to schedule; it is reset first.
    :param max_ready: slots shown to the policy at once.
    :param max_jobs_in_system: jobs whose DAGs the policy sees.
    :param name: scheduler name recorded in the result.
    """
    # the env over the caller's simulator, so its warm-up and horizon settings hold
    env = SoCSchedulingEnv(platform=simulator.platform,
                           mix=list(simulator.workload.applications), mode="task",
                           max_ready=max_ready, max_jobs_in_system=max_jobs_in_system,
                           invalid_action="raise")
    chooser = policy if isinstance(policy, CompiledSoCPolicy) else policy.to_compiled()
    done = env.attach(simulator)
    obs = env.observation()
    while not done:
        obs, _, done, _, _ = env.step(chooser.act(obs))
    return simulator.result(name)


def learned_scheduler(
    checkpoint: str | os.PathLike[str] | None = None,
) -> Callable[[SoCSimulator], SimulationResult]:
    """The learned policy as an online scheduler: a function driving a :class:`SoCSimulator`
    like :func:`decisiongym.baselines.soc.online.heft_rt`.

    :param checkpoint: a file written by :meth:`SoCPolicy.save`; ``None`` for the shipped one.
    """
    policy = SoCPolicy.load(checkpoint).to_compiled()

    def schedule(simulator: SoCSimulator) -> SimulationResult:
        return run_policy(policy, simulator)

    return schedule


def simulate_learned(
    platform: Platform,
    workload: Workload,
    checkpoint: str | os.PathLike[str] | None = None,
    warmup_jobs: int = 0,
    *,
    warmup_us: float = 0.0,
    horizon_us: float | None = None,
) -> SimulationResult:
    """Simulate a workload under the learned scheduler (as
    :func:`decisiongym.baselines.soc.online.simulate` does for the heuristics).

    :param platform: the PEs and links.
    :param workload: the jobs.
    :param checkpoint: a file written by :meth:`SoCPolicy.save`; ``None`` for the shipped one.
    :param warmup_jobs: leading jobs left out of the metrics.
    :param warmup_us: jobs arriving before this time are left out of the metrics.
    :param horizon_us: stop at this time; ``None`` runs until every job has finished.
    """
    simulator = SoCSimulator(platform, workload, warmup_jobs=warmup_jobs, warmup_us=warmup_us,
                             horizon_us=horizon_us)
    return learned_scheduler(checkpoint)(simulator)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable weights."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)

