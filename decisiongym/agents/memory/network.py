"""The planner's policy/value network: the mapping env's observation in, a prior over the env's
actions and the value of the state out.

The input is the env's observation of the current buffer and the program state
(:class:`~decisiongym.envs.memory.mapping_env.MemoryMappingEnv`'s manual lists its columns).
The policy head scores every action; illegal ones are masked to ``-inf`` before the softmax.
The value head estimates the time still to be saved from the state, as a fraction of the
all-slow time (0 at the end of an episode).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from importlib import resources

import numpy as np
import torch
from torch import nn

from decisiongym.agents.checkpoints import (
    module_from_checkpoint,
    read_checkpoint,
    write_checkpoint,
)
from decisiongym.agents.memory.search_state import SearchState

CHECKPOINT_FORMAT = "decisiongym-memory-planner"
CHECKPOINT_VERSION = 1
SHIPPED_CHECKPOINT = ("memory", "planner.pt")
"""The shipped weights, under ``decisiongym/data``."""


@dataclass
class NetworkConfig:
    """Sizes of :class:`PlannerNetwork` (saved with its weights).

    :param observation_size: length of the env's observation (38 in ``mode="full"``, 22 in
        ``mode="basic"``).
    :param n_actions: the env's actions (6 in ``mode="full"``, 2 in ``mode="basic"``).
    :param hidden: width of the two hidden layers.
    """

    observation_size: int = 38
    n_actions: int = 6
    hidden: int = 128

    def __post_init__(self) -> None:
        for name in ("observation_size", "n_actions", "hidden"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


class PlannerNetwork(nn.Module):
    """A two-layer trunk with a policy head and a value head (module docstring).

    :param config: the sizes.
    """

    def __init__(self, config: NetworkConfig | None = None) -> None:
        super().__init__()
        self.config = config or NetworkConfig()
        c = self.config
        self.trunk = nn.Sequential(nn.Linear(c.observation_size, c.hidden), nn.ReLU(),
                                   nn.Linear(c.hidden, c.hidden), nn.ReLU())
        self.policy_head = nn.Linear(c.hidden, c.n_actions)
        self.value_head = nn.Linear(c.hidden, 1)

    def forward(self, observation: torch.Tensor, mask: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(masked logits, value)`` for a batch.

        :param observation: ``(batch, observation_size)``.
        :param mask: ``(batch, n_actions)``, true where legal.
        """
        hidden = self.trunk(observation)
        logits = self.policy_head(hidden).masked_fill(~mask, -torch.inf)
        return logits, self.value_head(hidden).squeeze(-1)

    @torch.no_grad()
    def evaluate(self, state: SearchState) -> tuple[np.ndarray, float]:
        """The search's evaluator: the prior over the actions and the value of ``state``."""
        observation = torch.from_numpy(state.observation()).unsqueeze(0)
        mask = torch.from_numpy(state.legal_mask()).unsqueeze(0)
        logits, value = self(observation, mask)
        prior = torch.softmax(logits[0], -1).numpy().astype(np.float64)
        return prior, float(value[0])

    def fits(self, observation_size: int, n_actions: int) -> bool:
        """Whether the network reads this observation size and scores this many actions."""
        return (self.config.observation_size, self.config.n_actions) == (observation_size,
                                                                         n_actions)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the sizes and weights (plain tensors and numbers, loadable with
        ``torch.load(..., weights_only=True)``); an interrupted write leaves ``path`` as it was.

        :param path: the file to write.
        """
        state = {name: tensor.detach().clone() for name, tensor in self.state_dict().items()}
        write_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION,
                         {"config": asdict(self.config), "state_dict": state})

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> PlannerNetwork:
        """Read a network written by :meth:`save`.

        :param path: the file; ``None`` for the shipped weights.
        :raises FileNotFoundError: when there is no such file (or no shipped weights).
        :raises CheckpointError: when the file is not a planner checkpoint of this version.
        """
        if path is None:
            shipped = resources.files("decisiongym") / "data"
            for part in SHIPPED_CHECKPOINT:
                shipped = shipped / part
            with resources.as_file(shipped) as file:
                return cls.load(file)
        content = read_checkpoint(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION,
                                  "memory planner")
        network = module_from_checkpoint(content, cls, NetworkConfig, path, "memory planner")
        network.eval()
        return network
