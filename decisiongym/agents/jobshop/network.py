"""A size-agnostic dispatching network over ``JobShopEnv``'s observation.

The network reads the constraint model's two structures, not a fixed-size vector:

* **precedence**: each operation is embedded from its own features and its machine's; a job's
  chain of unscheduled operations is summarised by a masked mean, next to the embedding of the
  job's next operation (the one an action dispatches);
* **resources**: each machine gathers the embeddings of the unscheduled operations that need it
  (a message from operations to machines), and every job reads the machine its next operation
  needs (a message back);
* **competition**: each job reads the mean embedding of the jobs legal now and of the
  unfinished jobs queueing for the same machine, so a job's score depends on its rivals. (A
  self-attention block over jobs scored no better in trials and cost twice the time per
  decision on 100 jobs, where the network runs 2,000 times an episode.)

A job's logit is an MLP of its embedding and the mean over unfinished jobs; the value (used by
PPO) is an MLP of that mean. Every weight is shared across operations, jobs and machines and
every pooling is a mean, so one set of weights runs on 6x6 and on 100x20: the observation's
times are already divided by the instance's trivial lower bound and durations by its longest
operation. Padding (``valid == 0`` operations, jobs with no operation) is masked throughout.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from decisiongym.agents.checkpoints import (
    module_from_checkpoint,
    read_checkpoint,
    write_checkpoint,
)
from decisiongym.envs.core.errors import CheckpointError
from decisiongym.envs.jobshop import sim
from decisiongym.envs.jobshop.ids import SCHEME_NAMES

Observation = dict[str, torch.Tensor]

CHECKPOINT_FORMAT = "decisiongym-jobshop-dispatch"
CHECKPOINT_VERSION = 1

_OP = {name: i for i, name in enumerate(sim.OP_FEATURES)}
_JOB_INPUTS = len(sim.JOB_FEATURES) + 1  # + the action mask: legal jobs know they compete
_OP_INPUTS = len(sim.OP_FEATURES) + len(sim.MACHINE_FEATURES)


@dataclass(frozen=True)
class NetworkConfig:
    """Sizes of :class:`DispatchNetwork`.

    :param embed_dim: width of the job and machine embeddings.
    :param op_dim: width of the operation embeddings.
    :param hidden_dim: hidden width of the MLPs.
    :param scheme: schedule-generation scheme the network was trained for (a policy's actions
        only mean something under the scheme it saw).
    """

    embed_dim: int = 32
    op_dim: int = 16
    hidden_dim: int = 64
    scheme: str = "non-delay"

    def __post_init__(self) -> None:
        if self.scheme not in SCHEME_NAMES:
            raise ValueError(f"unknown scheme {self.scheme!r}; choose one of "
                             f"{', '.join(SCHEME_NAMES)}")


def mlp(n_in: int, hidden: int, n_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))


def _masked_mean(values: torch.Tensor, weights: torch.Tensor, dim: int) -> torch.Tensor:
    """Mean of ``values`` over ``dim`` weighted by 0/1 ``weights`` (0 where the weights are)."""
    total = (values * weights.unsqueeze(-1)).sum(dim)
    count = weights.sum(dim).clamp(min=1.0).unsqueeze(-1)
    return total / count


class DispatchEncoder(nn.Module):
    """Observation -> ``(job embeddings (B, J, d), pooled embedding (B, d))``.

    Operations get one narrow layer (``op_dim``): a 100x20 instance has 2,000 of them and the
    network runs at every decision, so the width goes where there are few tokens (jobs and
    machines).
    """

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        d, h, o = config.embed_dim, config.hidden_dim, config.op_dim
        self.op_embed = nn.Sequential(nn.Linear(_OP_INPUTS, o), nn.ReLU())
        self.machine_embed = mlp(o + len(sim.MACHINE_FEATURES), h, d)
        self.job_embed = mlp(_JOB_INPUTS + 2 * o + d, h, d)
        self.compete = mlp(3 * d, h, d)
        self.norm = nn.LayerNorm(d)

    def forward(self, obs: Observation) -> tuple[torch.Tensor, torch.Tensor]:
        ops = obs["operations"].float()
        op_machine = obs["op_machine"].long()
        machines = obs["machines"].float()
        jobs = obs["jobs"].float()
        mask = obs["action_mask"].float()
        batch, n_jobs, n_ops, _ = ops.shape
        n_machines = machines.shape[1]

        # operations, each with its machine's state
        flat_machine = op_machine.reshape(batch, n_jobs * n_ops)
        machine_of_op = torch.gather(
            machines, 1, flat_machine.unsqueeze(-1).expand(-1, -1, machines.shape[-1])
        ).reshape(batch, n_jobs, n_ops, -1)
        op = self.op_embed(torch.cat([ops, machine_of_op], dim=-1))
        pending = ops[..., _OP["valid"]] * (1.0 - ops[..., _OP["scheduled"]])

        # resources: operations -> machines (a scatter: no one-hot over 2,000 operations)
        index = flat_machine.unsqueeze(-1).expand(-1, -1, op.shape[-1])
        weights = pending.reshape(batch, -1)
        machine_sum = op.new_zeros(batch, n_machines, op.shape[-1]).scatter_add_(
            1, index, (op * pending.unsqueeze(-1)).reshape(batch, -1, op.shape[-1]))
        machine_count = weights.new_zeros(batch, n_machines).scatter_add_(1, flat_machine,
                                                                          weights)
        machine_mean = machine_sum / machine_count.clamp(min=1.0).unsqueeze(-1)
        machine = self.machine_embed(torch.cat([machine_mean, machines], dim=-1))

        # precedence: the next operation and the rest of the chain; machines -> jobs
        ready = ops[..., _OP["ready"]]
        next_op = (op * ready.unsqueeze(-1)).sum(2)
        chain = _masked_mean(op, pending, 2)
        next_machine = (op_machine * ready.long()).sum(2)
        machine_of_job = torch.gather(
            machine, 1, next_machine.unsqueeze(-1).expand(-1, -1, machine.shape[-1])
        )
        job = self.job_embed(torch.cat([jobs, mask.unsqueeze(-1), next_op, chain,
                                        machine_of_job], dim=-1))

        # competition: each job reads the mean of the legal jobs (its rivals now) and of the
        # unfinished jobs whose next operation needs the same machine (its rivals next)
        unfinished = jobs[..., 0]
        legal_mean = _masked_mean(job, mask, 1)
        queue = F.one_hot(next_machine, n_machines).float() * unfinished.unsqueeze(-1)
        queue_sum = torch.bmm(queue.transpose(1, 2), job)
        queue_mean = queue_sum / queue.sum(1).clamp(min=1.0).unsqueeze(-1)
        same_machine = torch.bmm(queue, queue_mean)
        job = self.norm(job + self.compete(torch.cat(
            [job, legal_mean.unsqueeze(1).expand_as(job), same_machine], dim=-1)))
        pooled = _masked_mean(job, unfinished, 1)
        return job, pooled


class ScoreHead(nn.Module):
    """``(job embeddings, pooled)`` -> one logit per job ``(B, J)``."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.mlp = mlp(2 * config.embed_dim, config.hidden_dim, 1)

    def forward(self, job: torch.Tensor, pooled: torch.Tensor) -> torch.Tensor:
        context = pooled.unsqueeze(1).expand_as(job)
        return self.mlp(torch.cat([job, context], dim=-1)).squeeze(-1)


class ValueHead(nn.Module):
    """Pooled embedding -> state value ``(B,)``."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.mlp = mlp(config.embed_dim, config.hidden_dim, 1)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.mlp(pooled).squeeze(-1)


class DispatchNetwork(nn.Module):
    """Encoder, score head and value head: the whole dispatching policy.

    ``forward(obs)`` returns ``(logits, value)``; illegal and padding jobs get ``-inf`` logits,
    so ``logits.argmax(-1)`` is the greedy legal job.
    """

    def __init__(self, config: NetworkConfig | None = None) -> None:
        super().__init__()
        self.config = config or NetworkConfig()
        self.encoder = DispatchEncoder(self.config)
        self.score = ScoreHead(self.config)
        self.value = ValueHead(self.config)
        self.metadata: dict[str, Any] = {}

    def forward(self, obs: Observation) -> tuple[torch.Tensor, torch.Tensor]:
        job, pooled = self.encoder(obs)
        logits = self.score(job, pooled)
        logits = logits.masked_fill(obs["action_mask"] == 0, float("-inf"))
        return logits, self.value(pooled)

    # -- checkpoints ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str], metadata: dict[str, Any] | None = None) -> None:
        """Write the weights, the config and ``metadata`` (plain values only, so the file loads
        with ``torch.load(..., weights_only=True)``)."""
        write_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, {
            "config": asdict(self.config),
            "state_dict": {k: v.detach().cpu() for k, v in self.state_dict().items()},
            "metadata": metadata or {},
        })

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> DispatchNetwork:
        """Read a checkpoint written by :meth:`save` (the shipped one when ``path`` is None)."""
        path = path if path is not None else default_checkpoint()
        what = "job-shop dispatching"
        content = read_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, what)
        network = module_from_checkpoint(content, cls, NetworkConfig, path, what)
        metadata = content.get("metadata", {})
        if not isinstance(metadata, dict):
            raise CheckpointError(path, f"its metadata is a {type(metadata).__name__}, "
                                        "expected a dict")
        network.metadata = dict(metadata)
        network.eval()
        return network


def default_checkpoint() -> Path:
    """The checkpoint shipped inside the package."""
    return Path(__file__).resolve().parent.parent.parent / "data" / "jobshop_dispatch.pt"


def to_tensors(obs: dict[str, np.ndarray], rows: np.ndarray | None = None) -> Observation:
    """Wrap numpy observation arrays (batched, or one env's) as tensors without copying, keeping
    only ``rows`` of the batch when given."""
    out = {}
    for key, value in obs.items():
        array = value if rows is None else value[rows]
        tensor = torch.from_numpy(np.ascontiguousarray(array))
        out[key] = tensor if array.ndim == _NDIM[key] else tensor.unsqueeze(0)
    return out


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


_NDIM = {"operations": 4, "op_machine": 3, "jobs": 3, "machines": 3, "action_mask": 2}
