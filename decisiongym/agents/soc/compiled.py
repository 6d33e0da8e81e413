"""The SoC order policy's greedy choice as numba kernels, for the online scheduler.

A 500-job stream asks :class:`~decisiongym.agents.soc.policy.SoCPolicy` a few thousand times,
one observation at a time. In torch each call costs about a millisecond, mostly the overhead of
some sixty small operator calls, and the message passing is redone for every job in the system
although a commit changes one job's DAG state at a time. Here:

* a job's task embeddings (message passing over its DAG, step 1 of the policy) depend only on
  its ``job_tasks`` rows and its adjacency, so they are computed by :func:`_task_embeddings`
  once per distinct (rows, adjacency) pair and kept in a bounded cache;
* the job and global embeddings, the slot features and the scores (steps 2-4) are one kernel,
  :func:`_slot_logits`, over the occupied slots only.

Training keeps the torch module (it needs gradients); :class:`CompiledSoCPolicy` takes a copy
of its weights as plain arrays (:meth:`SoCPolicy.to_compiled
<decisiongym.agents.soc.policy.SoCPolicy.to_compiled>`), and the tests check that both give
the same logits and the same choices.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numba import njit

from decisiongym.agents.kernels import dense, mlp
from decisiongym.agents.soc.config import N_BASE_TASK_FEATURES, N_SLOT_FEATURES, PolicyConfig
from decisiongym.envs.soc.env import US_PER_MS

# torch layer names (without ".0.weight"...) of each small network, in kernel argument order
_TASK_LAYERS = ("node_input", "message", "aggregate")
_SLOT_LAYERS = ("job_summary", "global_summary", "score")


class CompiledSoCPolicy:
    """Greedy slot choice of an SoC order policy computed by numba (module docstring).

    :param config: the policy's sizes.
    :param weights: its weights as arrays, keyed as the torch module's ``state_dict`` names
        them (``"node_input.0.weight"``...); they are copied.
    :param cache_size: task embeddings kept before the cache is emptied (a 34-task job's take
        about 2 KB).
    """

    def __init__(self, config: PolicyConfig, weights: Mapping[str, np.ndarray],
                 cache_size: int = 4096) -> None:
        state = {k: np.ascontiguousarray(np.asarray(v).astype(np.float32))
                 for k, v in weights.items()}

        def layers(names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
            return tuple(state[f"{name}.{i}.{kind}"] for name in names
                         for i in (0, 2) for kind in ("weight", "bias"))

        self.task_weights = layers(_TASK_LAYERS)
        self.slot_weights = layers(_SLOT_LAYERS)
        self.config = config
        self.cache_size = cache_size
        self._cache: dict[bytes, np.ndarray] = {}

    def task_embeddings(self, job_tasks: np.ndarray, adjacency: np.ndarray) -> np.ndarray:
        """``(K, E)`` embeddings of one job's tasks (zero rows where ``valid`` is 0).

        :param job_tasks: ``(K, 6)`` the job's ``job_tasks`` rows.
        :param adjacency: ``(K, K)`` its ``job_adjacency``.
        """
        rows = np.ascontiguousarray(job_tasks, dtype=np.float32)
        edges = np.ascontiguousarray(adjacency, dtype=np.int8)
        key = rows.tobytes() + edges.tobytes()
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) >= self.cache_size:
                self._cache.clear()
            cached = _task_embeddings(rows, edges, self.config.message_rounds,
                                      *self.task_weights)
            self._cache[key] = cached
        return cached

    def logits(self, obs: Mapping[str, np.ndarray]) -> np.ndarray:
        """``(S,)`` float32 logits of one ``mode="task"`` observation, ``-inf`` on empty slots."""
        job_tasks = np.asarray(obs["job_tasks"], dtype=np.float32)
        adjacency = np.asarray(obs["job_adjacency"])
        n_jobs, n_tasks, _ = job_tasks.shape
        embeddings = np.zeros((n_jobs, n_tasks, self.config.embed_dim), np.float32)
        for j in range(n_jobs):
            if job_tasks[j, :, 0].any():
                embeddings[j] = self.task_embeddings(job_tasks[j], adjacency[j])
        return _slot_logits(
            np.ascontiguousarray(obs["tasks"], dtype=np.float32),
            np.ascontiguousarray(obs["estimated_finish"], dtype=np.float32),
            np.ascontiguousarray(obs["action_mask"], dtype=np.int8),
            np.ascontiguousarray(obs["ready_ref"], dtype=np.int64),
            np.ascontiguousarray(obs["jobs"], dtype=np.float32),
            np.ascontiguousarray(job_tasks[:, :, 0]), embeddings, *self.slot_weights)

    def act(self, obs: Mapping[str, np.ndarray]) -> int:
        """The most likely slot (the lowest on ties, as ``torch.argmax``).

        :raises ValueError: when no slot is occupied.
        """
        occupied = np.flatnonzero(np.asarray(obs["action_mask"]))
        if occupied.size == 0:
            raise ValueError("the observation has no occupied slot to choose")
        if occupied.size == 1:
            return int(occupied[0])
        return int(np.argmax(self.logits(obs)))


@njit(cache=True)
def _symlog(x):
    return np.sign(x) * np.log1p(np.abs(x))


@njit(cache=True)
def _time_scale(ms):
    return _symlog(np.float32(US_PER_MS) * ms)


@njit(cache=True)
def _task_embeddings(nodes, adjacency, rounds, w_in1, b_in1, w_in2, b_in2, w_msg1, b_msg1,
                     w_msg2, b_msg2, w_agg1, b_agg1, w_agg2, b_agg2):
    """Step 1 of the policy for one job: ``e = h0(x) + g(sum over successors of f(e))``."""
    n_tasks = nodes.shape[0]
    embed_dim = w_in2.shape[0]
    live = np.flatnonzero(nodes[:, 0] > 0)
    n_live = live.size
    x = np.empty((n_live, 6), np.float32)
    for i in range(n_live):
        row = nodes[live[i]]
        x[i, :4] = row[:4]
        x[i, 4] = _time_scale(row[4])
        x[i, 5] = _time_scale(row[5])
    # a task outside ``live`` has a zero embedding and no edges in a real DAG, so the rounds
    # run over the live tasks alone
    initial = mlp(x, w_in1, b_in1, w_in2, b_in2)
    embedding = initial.copy()
    successors = np.zeros((n_live, embed_dim), np.float32)
    for _ in range(rounds):
        message = mlp(embedding, w_msg1, b_msg1, w_msg2, b_msg2)
        successors[:] = 0.0
        for a in range(n_live):
            for b in range(n_live):
                if adjacency[live[a], live[b]]:
                    successors[a] += message[b]
        embedding = initial + mlp(successors, w_agg1, b_agg1, w_agg2, b_agg2)
    out = np.zeros((n_tasks, embed_dim), np.float32)
    for i in range(n_live):
        out[live[i]] = embedding[i] * nodes[live[i], 0]
    return out


@njit(cache=True)
def _least_mean_count(values):
    """Least and mean of the entries that are not negative (``-1`` marks "cannot run"), and
    their number; ``inf`` and 0 when there are none."""
    low, total, count = np.float32(np.inf), np.float32(0.0), 0
    for value in values:
        if value >= 0:
            low = min(low, value)
            total += value
            count += 1
    return low, total / max(count, 1), count


@njit(cache=True)
def _slot_logits(tasks, estimated_finish, mask, ref, jobs, node_valid, embeddings,
                 w_job1, b_job1, w_job2, b_job2, w_glob1, b_glob1, w_glob2, b_glob2,
                 w_score1, b_score1, w_score2, b_score2):
    """Steps 2-4 of the policy: job and global embeddings, slot features, scores."""
    n_jobs, _, embed_dim = embeddings.shape
    n_slots, n_pes = estimated_finish.shape
    one = np.float32(1.0)

    # jobs: the mean of their task embeddings with their own features, then the global mean
    x_job = np.empty((n_jobs, embed_dim + 4), np.float32)
    for j in range(n_jobs):
        count = max(node_valid[j].sum(), one)
        for d in range(embed_dim):
            x_job[j, d] = embeddings[j, :, d].sum() / count
        x_job[j, embed_dim] = jobs[j, 0]
        x_job[j, embed_dim + 1] = _time_scale(jobs[j, 1])
        x_job[j, embed_dim + 2] = jobs[j, 2]
        x_job[j, embed_dim + 3] = _time_scale(jobs[j, 3])
    job_embedding = mlp(x_job, w_job1, b_job1, w_job2, b_job2)
    job_mean = np.zeros((1, embed_dim), np.float32)
    for j in range(n_jobs):
        job_embedding[j] *= jobs[j, 0]
        job_mean[0] += job_embedding[j]
    job_mean /= max(jobs[:, 0].sum(), one)
    global_embedding = mlp(job_mean, w_glob1, b_glob1, w_glob2, b_glob2)[0]

    # slot features (policy.slot_features), for the occupied slots
    occupied = np.flatnonzero(mask > 0)
    n_occupied = occupied.size
    least_finish = np.empty(n_occupied, np.float32)
    mean_finish = np.empty(n_occupied, np.float32)
    least_cost = np.empty(n_occupied, np.float32)
    mean_cost = np.empty(n_occupied, np.float32)
    pe_share = np.empty(n_occupied, np.float32)
    best = np.float32(np.inf)
    for i in range(n_occupied):
        s = occupied[i]
        least_cost[i], mean_cost[i], _ = _least_mean_count(tasks[s, N_BASE_TASK_FEATURES:])
        least_finish[i], mean_finish[i], count = _least_mean_count(estimated_finish[s])
        pe_share[i] = np.float32(count) / max(n_pes, 1)
        best = min(best, least_finish[i])
    if not np.isfinite(best):
        best = np.float32(0.0)

    n_features = N_SLOT_FEATURES
    x_slot = np.empty((n_occupied, n_features + 3 * embed_dim), np.float32)
    for i in range(n_occupied):
        s = occupied[i]
        x = x_slot[i]
        x[0], x[1] = tasks[s, 0], tasks[s, 1]
        x[2] = _symlog(tasks[s, 3])
        x[3] = _time_scale(tasks[s, 2])
        for t in range(3):
            x[4 + t] = _time_scale(tasks[s, 4 + t])
        behind = least_finish[i] - best
        x[7] = _time_scale(least_cost[i])
        x[8] = _time_scale(mean_cost[i])
        x[9] = _time_scale(least_finish[i])
        x[10] = _time_scale(mean_finish[i])
        x[11] = _time_scale(behind)
        x[12] = one if behind <= 0 else np.float32(0.0)
        x[13] = pe_share[i]
        job, task = ref[s, 0], ref[s, 1]
        # a slot whose job is beyond the J oldest has no embedding: it scores on its features
        known = one if job >= 0 else np.float32(0.0)
        job, task = max(job, 0), max(task, 0)
        x[n_features:n_features + embed_dim] = embeddings[job, task] * known
        x[n_features + embed_dim:n_features + 2 * embed_dim] = job_embedding[job] * known
        x[n_features + 2 * embed_dim:] = global_embedding
    scores = dense(dense(x_slot, w_score1, b_score1, True), w_score2, b_score2, False)
    logits = np.full(n_slots, -np.inf, np.float32)
    for i in range(n_occupied):
        logits[occupied[i]] = scores[i, 0]
    return logits
