"""Which legal jobs are real decisions.

Under the non-delay scheme every legal job's next operation can start now, at the earliest
time ``t`` any can. Dispatching a job occupies only its machine: jobs legal on other machines
stay legal and start at ``t`` whatever the order. So the order between jobs on different
machines does not change the schedule; the only choice is *which* job a machine takes when two
or more legal jobs want it (a *contested* machine). The learned rule therefore:

* dispatches an uncontested legal job (alone on its machine) without asking the network;
* asks the network only when every legal job is on a contested machine, and only among those.

This makes the imitation target well defined (on each contested machine, the job the target
schedule starts first; any of them is right) and skips most network calls. Under the
``"active"`` and ``"insertion"`` schemes the order matters, so every legal job is a decision.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from decisiongym.envs.jobshop import sim

_READY = sim.OP_FEATURES.index("ready")


def next_machines(obs: dict[str, np.ndarray]) -> np.ndarray:
    """Machine of each job's next operation, ``(..., J)`` (0 for a finished or padding job)."""
    ready = obs["operations"][..., _READY] > 0.5
    return np.where(ready, obs["op_machine"], 0).sum(-1)


def contested(obs: dict[str, np.ndarray], scheme: str) -> np.ndarray:
    """``(..., J)`` boolean: legal jobs that are real decisions (module docstring)."""
    return classify(obs, scheme)[2]


def free_choice(obs: dict[str, np.ndarray], scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """``(action, needs_network)``: see :func:`classify`."""
    action, needs, _ = classify(obs, scheme)
    return action, needs


def classify(obs: dict[str, np.ndarray],
             scheme: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(action, needs_network, contested)`` for one or a batch of observations, in one
    pass: the first uncontested legal job where there is one, else the first legal job with
    ``needs_network`` set; and the legal jobs that are real decisions (module docstring)."""
    mask = obs["action_mask"]
    batch_shape = mask.shape[:-1]
    n_jobs = mask.shape[-1]
    ops = obs["operations"].reshape(-1, n_jobs, *obs["operations"].shape[-2:])
    op_machine = obs["op_machine"].reshape(-1, n_jobs, obs["op_machine"].shape[-1])
    n_machines = obs["machines"].shape[-2]
    action, needs, decision = _classify_kernel(mask.reshape(-1, n_jobs), ops, op_machine,
                                               n_machines, scheme == "non-delay")
    return (action.reshape(batch_shape), needs.reshape(batch_shape),
            decision.reshape(mask.shape))


@njit(cache=True)
def _classify_kernel(mask, ops, op_machine, n_machines, non_delay):
    batch, n_jobs = mask.shape
    action = np.zeros(batch, np.int64)
    needs = np.zeros(batch, np.bool_)
    decision = np.zeros((batch, n_jobs), np.bool_)
    machine = np.zeros(n_jobs, np.int64)
    counts = np.zeros(n_machines, np.int64)
    for b in range(batch):
        counts[:] = 0
        first_legal = -1
        for j in range(n_jobs):
            machine[j] = 0
            if mask[b, j] == 0:
                continue
            if first_legal < 0:
                first_legal = j
            for k in range(ops.shape[2]):
                if ops[b, j, k, _READY] > 0.5:
                    machine[j] = op_machine[b, j, k]
                    break
            counts[machine[j]] += 1
        action[b] = max(first_legal, 0)
        n_decisions = 0
        first_free = -1
        for j in range(n_jobs):
            if mask[b, j] == 0:
                continue
            if not non_delay or counts[machine[j]] >= 2:
                decision[b, j] = True
                n_decisions += 1
            elif first_free < 0:
                first_free = j
        if first_free >= 0:
            action[b] = first_free
        else:
            needs[b] = n_decisions > 1
    return action, needs, decision
