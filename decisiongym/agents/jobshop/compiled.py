"""The dispatching network's forward pass as a numba kernel, for inference.

A greedy episode on a 100x20 instance asks the network about 1,600 times, one observation at a
time; in torch each call costs about half a millisecond, mostly the overhead of some fifty small
operator calls. The same arithmetic written as one compiled loop nest costs a fraction of that.
It runs on one core, rollout after rollout (the benchmark's time-matched CP-SAT gets one worker
to match).
Training keeps the torch module (it needs gradients); :class:`CompiledNetwork` copies its
weights, and the tests check that both give the same logits.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from decisiongym.agents.jobshop.network import DispatchNetwork
from decisiongym.agents.kernels import dense, mlp
from decisiongym.envs.jobshop import sim

_VALID = sim.OP_FEATURES.index("valid")
_SCHEDULED = sim.OP_FEATURES.index("scheduled")
_READY = sim.OP_FEATURES.index("ready")
_LAYER_NORM_EPS = 1e-5

# (name in the torch state dict, without ".weight"/".bias") of each layer, in kernel order
_LAYERS = (
    "encoder.op_embed.0",
    "encoder.machine_embed.0", "encoder.machine_embed.2",
    "encoder.job_embed.0", "encoder.job_embed.2",
    "encoder.compete.0", "encoder.compete.2",
    "score.mlp.0", "score.mlp.2",
)


class CompiledNetwork:
    """Logits of a :class:`DispatchNetwork` computed by numba (module docstring).

    :param network: the torch network whose weights are copied (later changes to it are not
        seen: compile again after training).
    """

    def __init__(self, network: DispatchNetwork) -> None:
        state = {k: v.detach().cpu().numpy().astype(np.float32)
                 for k, v in network.state_dict().items()}
        # the first layer reads [operation features, machine features]: split it once so the
        # kernel can apply the machine half per machine instead of per operation
        n_op = len(sim.OP_FEATURES)
        w_op = state["encoder.op_embed.0.weight"]
        weights = [np.ascontiguousarray(w_op[:, :n_op]), np.ascontiguousarray(w_op[:, n_op:]),
                   state["encoder.op_embed.0.bias"]]
        for name in _LAYERS[1:]:
            weights += [np.ascontiguousarray(state[f"{name}.weight"]),
                        np.ascontiguousarray(state[f"{name}.bias"])]
        weights += [state["encoder.norm.weight"], state["encoder.norm.bias"]]
        self.weights = tuple(weights)
        self.config = network.config

    def logits(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """``(B, J)`` float32 logits of a batch of observations (``-inf`` on illegal jobs)."""
        return _batch_logits(
            np.ascontiguousarray(obs["operations"], dtype=np.float32),
            np.ascontiguousarray(obs["op_machine"], dtype=np.int64),
            np.ascontiguousarray(obs["machines"], dtype=np.float32),
            np.ascontiguousarray(obs["jobs"], dtype=np.float32),
            np.ascontiguousarray(obs["action_mask"], dtype=np.float32),
            *self.weights,
        )


@njit(cache=True)
def _batch_logits(ops, op_machine, machines, jobs, mask, *weights):
    out = np.empty(mask.shape, np.float32)
    for b in range(mask.shape[0]):
        out[b] = _logits(ops[b], op_machine[b], machines[b], jobs[b], mask[b], *weights)
    return out


@njit(cache=True)
def _logits(ops, op_machine, machines, jobs, mask,
            w_op_self, w_op_machine, b_op, w_m1, b_m1, w_m2, b_m2, w_j1, b_j1, w_j2, b_j2,
            w_c1, b_c1, w_c2, b_c2, w_s1, b_s1, w_s2, b_s2, gamma, beta):
    n_jobs, n_ops, n_op_features = ops.shape
    n_machines, n_machine_features = machines.shape
    op_dim = w_op_self.shape[0]
    embed_dim = w_m2.shape[0]
    one = np.float32(1.0)

    # operations: only the unscheduled ones feed anything (a scheduled one is neither pending
    # nor ready), and the machine half of the first layer is computed once per machine
    n_live = 0
    for j in range(n_jobs):
        for k in range(n_ops):
            if ops[j, k, _VALID] > 0 and ops[j, k, _SCHEDULED] == 0:
                n_live += 1
    live_features = np.empty((n_live, n_op_features), np.float32)
    live_job = np.empty(n_live, np.int64)
    live_machine = np.empty(n_live, np.int64)
    live_ready = np.empty(n_live, np.float32)
    i = 0
    for j in range(n_jobs):
        for k in range(n_ops):
            if ops[j, k, _VALID] > 0 and ops[j, k, _SCHEDULED] == 0:
                live_features[i] = ops[j, k]
                live_job[i] = j
                live_machine[i] = op_machine[j, k]
                live_ready[i] = ops[j, k, _READY]
                i += 1
    per_machine = dense(machines, w_op_machine, b_op, False)
    op = dense(live_features, w_op_self, np.zeros(op_dim, np.float32), False)
    for i in range(n_live):
        m = live_machine[i]
        for d in range(op_dim):
            op[i, d] = max(op[i, d] + per_machine[m, d], np.float32(0.0))

    machine_sum = np.zeros((n_machines, op_dim), np.float32)
    machine_count = np.zeros(n_machines, np.float32)
    next_op = np.zeros((n_jobs, op_dim), np.float32)
    chain = np.zeros((n_jobs, op_dim), np.float32)
    chain_count = np.zeros(n_jobs, np.float32)
    next_machine = np.zeros(n_jobs, np.int64)
    for i in range(n_live):
        j, m = live_job[i], live_machine[i]
        for d in range(op_dim):
            machine_sum[m, d] += op[i, d]
            chain[j, d] += op[i, d]
        machine_count[m] += one
        chain_count[j] += one
        if live_ready[i] > 0:
            for d in range(op_dim):
                next_op[j, d] += op[i, d] * live_ready[i]
            next_machine[j] = m

    x_machine = np.empty((n_machines, op_dim + n_machine_features), np.float32)
    for m in range(n_machines):
        x_machine[m, :op_dim] = machine_sum[m] / max(machine_count[m], one)
        x_machine[m, op_dim:] = machines[m]
    machine = mlp(x_machine, w_m1, b_m1, w_m2, b_m2)

    n_job_features = jobs.shape[1]
    at = n_job_features + 1
    x_job = np.empty((n_jobs, at + 2 * op_dim + embed_dim), np.float32)
    for j in range(n_jobs):
        x_job[j, :n_job_features] = jobs[j]
        x_job[j, n_job_features] = mask[j]
        x_job[j, at:at + op_dim] = next_op[j]
        x_job[j, at + op_dim:at + 2 * op_dim] = chain[j] / max(chain_count[j], one)
        x_job[j, at + 2 * op_dim:] = machine[next_machine[j]]
    job = mlp(x_job, w_j1, b_j1, w_j2, b_j2)

    # competition: the legal jobs' mean and the mean of each machine's queue
    legal_mean = np.zeros(embed_dim, np.float32)
    legal_count = np.float32(0.0)
    queue_sum = np.zeros((n_machines, embed_dim), np.float32)
    queue_count = np.zeros(n_machines, np.float32)
    for j in range(n_jobs):
        legal_mean += job[j] * mask[j]
        legal_count += mask[j]
        queue_sum[next_machine[j]] += job[j] * jobs[j, 0]
        queue_count[next_machine[j]] += jobs[j, 0]
    legal_mean /= max(legal_count, one)
    x_compete = np.empty((n_jobs, 3 * embed_dim), np.float32)
    for j in range(n_jobs):
        m = next_machine[j]
        x_compete[j, :embed_dim] = job[j]
        x_compete[j, embed_dim:2 * embed_dim] = legal_mean
        x_compete[j, 2 * embed_dim:] = queue_sum[m] / max(queue_count[m], one) * jobs[j, 0]
    h = job + mlp(x_compete, w_c1, b_c1, w_c2, b_c2)
    pooled = np.zeros(embed_dim, np.float32)
    pooled_count = np.float32(0.0)
    for j in range(n_jobs):
        centred = h[j] - h[j].mean()
        variance = (centred * centred).mean()
        h[j] = centred / np.sqrt(variance + np.float32(_LAYER_NORM_EPS)) * gamma + beta
        pooled += h[j] * jobs[j, 0]
        pooled_count += jobs[j, 0]
    pooled /= max(pooled_count, one)

    x_score = np.empty((n_jobs, 2 * embed_dim), np.float32)
    for j in range(n_jobs):
        x_score[j, :embed_dim] = h[j]
        x_score[j, embed_dim:] = pooled
    scores = mlp(x_score, w_s1, b_s1, w_s2, b_s2)
    logits = np.empty(n_jobs, np.float32)
    for j in range(n_jobs):
        logits[j] = scores[j, 0] if mask[j] > 0 else -np.inf
    return logits
