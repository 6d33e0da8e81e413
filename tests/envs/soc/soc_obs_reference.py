"""A plain NumPy twin of ``SoCSchedulingEnv``'s observation, written from the env's class
docstring and the simulator's public methods.

It shares no code with the numba kernels of ``decisiongym/envs/soc/observation.py`` and keeps
no state between calls: every array is rebuilt from scratch, one task and one job at a time.
Clarity wins over speed throughout. Its arithmetic is the documented one, so agreement with
the kernels is expected to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from decisiongym.envs.soc.env import SoCSchedulingEnv
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform

US_PER_MS = 1000.0


@dataclass
class AppFeatures:
    """Static features of one application's tasks (µs where a time)."""

    cost: np.ndarray  # (n_tasks, n_pes), inf where a PE cannot run the task
    mean_cost: np.ndarray  # over the PEs that can run the task
    upward_rank: np.ndarray  # longest path of mean costs to an exit task
    successors: np.ndarray  # out-degree
    type_cost: np.ndarray  # (n_tasks, n_types), -1 where the type cannot run the task
    adjacency: np.ndarray  # (max_tasks, max_tasks) int8


@dataclass
class ReferenceView:
    """What the env should show now."""

    observation: dict[str, np.ndarray]
    slot_tasks: np.ndarray  # simulator task id in each slot, -1 where empty
    legal: np.ndarray  # (max_ready, n_pes)
    finish_us: np.ndarray  # (max_ready, n_pes) EF, inf where impossible or empty
    jobs_in_system: int
    latency_ms: float  # summed time in system of the jobs arrived so far


def app_features(graph: TaskGraph, platform: Platform, max_tasks: int) -> AppFeatures:
    cost = graph.cost_on(platform)
    mean = np.array([row[np.isfinite(row)].mean() for row in cost])
    children: list[list[int]] = [[] for _ in range(graph.n_tasks)]
    for u, v in graph.edges.tolist():
        children[u].append(v)
    ranks: dict[int, float] = {}

    def upward(task: int) -> float:
        if task not in ranks:
            below = [upward(c) for c in children[task]]
            ranks[task] = mean[task] + max(below) if below else mean[task]
        return ranks[task]

    rank = np.array([upward(task) for task in range(graph.n_tasks)])
    type_cost = np.full((graph.n_tasks, platform.n_types), -1.0)
    for k in range(platform.n_types):
        first_pe = int(np.flatnonzero(platform.pe_type == k)[0])
        runs = np.isfinite(cost[:, first_pe])
        type_cost[runs, k] = cost[runs, first_pe]
    adjacency = np.zeros((max_tasks, max_tasks), np.int8)
    for u, v in graph.edges.tolist():
        adjacency[u, v] = 1
    return AppFeatures(cost, mean, rank,
                       np.array([len(c) for c in children], dtype=np.float64), type_cost,
                       adjacency)


def reference_view(env: SoCSchedulingEnv) -> ReferenceView:
    """Everything the env shows, recomputed from its simulator's public state."""
    sim = env.simulator
    workload = sim.workload
    platform = env.platform
    n_pes, max_ready, max_jobs = env.n_pes, env.max_ready, env.max_jobs_in_system
    features = [app_features(g, platform, env.max_tasks) for g in workload.applications]
    now = sim.now
    pe_of, _, true_finish = sim.committed()
    finished = sim.finished_mask()

    def feature(task_id: int) -> tuple[AppFeatures, int]:
        job, task = sim.task_of(task_id)
        return features[int(workload.job_app[job])], task

    def status(task_id: int) -> str:
        if finished[task_id]:
            return "done"
        if pe_of[task_id] >= 0:
            return "committed"
        return "ready" if sim.is_ready(task_id) else "blocked"

    states = [status(r) for r in range(workload.n_rows)]

    def state(task_id: int) -> str:
        return states[task_id]

    def job_rows(job: int) -> range:
        return range(int(workload.job_first[job]), int(workload.job_first[job + 1]))

    def unscheduled_us(job: int) -> float:
        costs = [feature(r)[0].mean_cost[feature(r)[1]] for r in job_rows(job)
                 if state(r) in ("ready", "blocked")]
        return float(np.sum(np.array(costs, dtype=np.float64)))

    idle = np.zeros(n_pes, dtype=bool)
    idle[sim.idle_pes()] = True
    free = sim.estimated_free()

    def can_run(task_id: int) -> np.ndarray:
        app, task = feature(task_id)
        return np.isfinite(app.cost[task])

    # slots: the ready list, and in "task-pe" mode the tasks an idle PE can run first
    ready = sim.ready_tasks().tolist()
    if env.mode == "task-pe":
        ready = ([r for r in ready if (can_run(r) & idle).any()]
                 + [r for r in ready if not (can_run(r) & idle).any()])
    slots = ready[:max_ready]

    obs = {key: np.zeros(space.shape or (), space.dtype or np.float32)
           for key, space in env.observation_space.spaces.items()}
    obs["estimated_finish"][:] = -1.0
    obs["ready_ref"][:] = -1
    slot_tasks = np.full(max_ready, -1, dtype=np.int64)
    legal = np.zeros((max_ready, n_pes), dtype=bool)
    finish_us = np.full((max_ready, n_pes), np.inf)

    unfinished = sim.unfinished_jobs().tolist()
    shown = unfinished[:max_jobs]
    for slot, r in enumerate(slots):
        slot_tasks[slot] = r
        app, task = feature(r)
        job, local = sim.task_of(r)
        earliest_data = np.inf
        for q in range(n_pes):
            if not np.isfinite(app.cost[task, q]):
                continue
            data_ready = sim.data_ready(r, q)
            earliest_data = min(earliest_data, data_ready)
            finish_us[slot, q] = max(now, free[q], data_ready) + app.cost[task, q]
            obs["estimated_finish"][slot, q] = (finish_us[slot, q] - now) / US_PER_MS
            legal[slot, q] = idle[q]
        row = obs["tasks"][slot]
        row[0] = 1.0
        row[1] = legal[slot].any()
        row[2] = (now - workload.arrival[job]) / US_PER_MS
        row[3] = app.successors[task]
        row[4] = app.upward_rank[task] / US_PER_MS
        row[5] = unscheduled_us(job) / US_PER_MS
        row[6] = max(earliest_data - now, 0.0) / US_PER_MS
        for k, cost in enumerate(app.type_cost[task]):
            row[7 + k] = cost / US_PER_MS if cost > 0 else cost
        if job in shown:
            obs["ready_ref"][slot] = (shown.index(job), local)
    if env.mode == "task-pe":
        obs["action_mask"][:] = legal.reshape(-1)
    else:
        obs["action_mask"][: len(slots)] = 1

    for q in range(n_pes):
        obs["pes"][q, 0] = not idle[q]
        obs["pes"][q, 1] = (free[q] - now) / US_PER_MS
        obs["pes"][q, 2] = sum(1 for r in range(workload.n_rows)
                               if states[r] == "committed" and pe_of[r] == q)
        obs["pes"][q, 3 + platform.pe_type[q]] = 1.0

    for i, job in enumerate(shown):
        rows = job_rows(job)
        app = features[int(workload.job_app[job])]
        left = sum(1 for r in rows if state(r) != "done")
        obs["jobs"][i] = (1.0, (now - workload.arrival[job]) / US_PER_MS, left / len(rows),
                          unscheduled_us(job) / US_PER_MS)
        for task, r in enumerate(rows):
            obs["job_tasks"][i, task] = (1.0, state(r) == "ready", state(r) == "committed",
                                         state(r) == "done", app.mean_cost[task] / US_PER_MS,
                                         app.upward_rank[task] / US_PER_MS)
        obs["job_adjacency"][i] = app.adjacency

    arrived = sim.arrived_jobs
    # a job completes when its last task finishes; one still in the system counts until now
    end = np.array([max(true_finish[r] if state(r) == "done" else now for r in job_rows(j))
                    for j in range(arrived)])
    latency_us = float(np.sum(end - workload.arrival[:arrived]))
    return ReferenceView(obs, slot_tasks, legal, finish_us, len(unfinished),
                         latency_us / US_PER_MS)
