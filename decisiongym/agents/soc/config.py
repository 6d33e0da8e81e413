"""What the SoC order policy and its compiled copy agree on: the network's sizes and the
observation columns it reads.

:mod:`decisiongym.agents.soc.policy` (the torch module) and
:mod:`decisiongym.agents.soc.compiled` (its numba copy) both import this module and neither
imports the other for it, so the compiled copy needs no torch class to run.
"""

from __future__ import annotations

from dataclasses import dataclass

from decisiongym.envs.soc.env import TASK_FEATURES

N_BASE_TASK_FEATURES = len(TASK_FEATURES)
"""Columns of the observation's ``tasks`` before the per-PE-type costs."""
N_SLOT_FEATURES = N_BASE_TASK_FEATURES + 7
"""Columns of :func:`decisiongym.agents.soc.policy.slot_features`."""
OBS_KEYS = ("tasks", "estimated_finish", "jobs", "job_tasks", "job_adjacency", "ready_ref",
            "action_mask")
"""Observation entries the policy reads."""

MAX_MESSAGE_ROUNDS = 256
"""Most rounds of aggregation: every decision runs them all, and rounds beyond a DAG's depth
add nothing (DS3's applications are at most a few tens of tasks deep)."""


@dataclass
class PolicyConfig:
    """Sizes of :class:`~decisiongym.agents.soc.policy.SoCPolicy` (saved with its weights).

    :param node_features: columns of ``job_tasks``.
    :param job_features: columns of ``jobs``.
    :param embed_dim: width of the task, job and global embeddings.
    :param hidden_dim: width of the hidden layer of every small MLP.
    :param message_rounds: rounds of aggregation from successors.
    """

    node_features: int = 6
    job_features: int = 4
    embed_dim: int = 16
    hidden_dim: int = 32
    message_rounds: int = 4

    def __post_init__(self) -> None:
        if not 0 <= self.message_rounds <= MAX_MESSAGE_ROUNDS:
            raise ValueError(f"message_rounds must be in [0, {MAX_MESSAGE_ROUNDS}], got "
                             f"{self.message_rounds}")
