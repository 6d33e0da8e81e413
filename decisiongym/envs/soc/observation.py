"""The observation of :class:`~decisiongym.envs.soc.env.SoCSchedulingEnv`, written in place by
numba kernels.

The env's class docstring defines every array; this module only computes them. The arrays
live as long as the env: :class:`ObservationWriter` owns them, binds them to the simulator of
each episode and rewrites, at every decision, only what can have changed:

* the slots that are filled now, and those that were filled before and are empty now;
* the dynamic columns of every job shown (age, tasks left, task states), and the static ones
  (task costs, ranks, adjacency) of a row only when another job moves into it;
* the first three columns of ``pes`` (the type one-hot is written once per episode).

Two cursors keep the per-decision work proportional to what is in flight rather than to the
whole stream: the oldest job not yet finished, and the oldest commit not yet finished. Jobs
and commits before them have finished for good, as a simulator only moves forward between two
bindings (:meth:`ObservationWriter.bind`; the env binds at every episode).

Every number is computed with the same arithmetic, in the same order, as the plain NumPy
definition (sums included: :func:`pairwise_sum` is NumPy's own summation order), so the
arrays and the rewards agree with a straightforward computation to the last bit.

Bookkeeping arrays
------------------
``slot_rows``        ``(max_ready,)`` simulator row in each slot, -1 where empty
``legal``            ``(max_ready, P)`` the ``"task-pe"`` rule: filled slot, idle PE that can
                     run the task
``finish``           ``(max_ready, P)`` ``EF`` in µs, ``inf`` where the PE cannot run the task
                     or the slot is empty
``cursor``           ``OPEN_JOB`` (oldest unfinished job), ``OPEN_COMMIT`` (index in the commit
                     order of the oldest unfinished commit), ``FILLED_SLOTS`` (slots filled at
                     the last write), ``JOBS_IN_SYSTEM``, ``STAMP`` (writes so far)
``shown_jobs``       ``(J,)`` job in each row of ``jobs``, -1 where empty
``job_position``     ``(n_jobs,)`` row of each job in ``jobs``, -1 where not shown
``job_unscheduled``  ``(n_jobs,)`` mean cost of each job's uncommitted tasks, µs, valid where
                     ``job_stamp`` equals the current ``STAMP``
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from numba import njit

from decisiongym.envs.soc import sim as kernel
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.simulator import SoCSimulator

US_PER_MS = 1000.0

OPEN_JOB, OPEN_COMMIT, FILLED_SLOTS, JOBS_IN_SYSTEM, STAMP = 0, 1, 2, 3, 4
N_CURSORS = 5

NOT_ADVANCED = -1
"""What :func:`commit_and_observe` reports when a legal action is left and time stood still."""

# first column of the per-PE-type costs in ``tasks`` and of the type one-hot in ``pes``
TASK_TYPE_COLUMN = 7
PE_TYPE_COLUMN = 3

# NumPy sums float64 blocks of this many values with eight running partial sums
_PAIRWISE_BLOCK = 128


class AppTables:
    """Per-application static features, stacked app-task by app-task as the simulator numbers
    them (``app_first[a] + task``), with one adjacency matrix per application.

    :param mean_cost: mean cost over the PEs that can run each app-task, µs.
    :param upward_rank: longest path of mean costs to an exit task, µs.
    :param successors: out-degree of each app-task.
    :param type_cost: ``(n_app_tasks, n_types)`` mean cost per PE type, -1 where it cannot run.
    :param adjacency: ``(n_apps, max_tasks, max_tasks)`` int8 edge indicator.
    """

    def __init__(self, mean_cost: np.ndarray, upward_rank: np.ndarray, successors: np.ndarray,
                 type_cost: np.ndarray, adjacency: np.ndarray) -> None:
        self.mean_cost = mean_cost
        self.upward_rank = upward_rank
        self.successors = successors
        self.type_cost = type_cost
        self.adjacency = adjacency

    @classmethod
    def empty(cls) -> AppTables:
        return cls(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros((0, 0)),
                   np.zeros((0, 0, 0), np.int8))

    @classmethod
    def build(cls, apps: Sequence[TaskGraph], platform: Platform, max_tasks: int) -> AppTables:
        """Tables of ``apps`` on ``platform`` (in the simulator's app order).

        :param apps: the workload's applications.
        :param platform: the PEs.
        :param max_tasks: side of the adjacency matrices.
        """
        means, ranks, succs, types = [], [], [], []
        adjacency = np.zeros((len(apps), max_tasks, max_tasks), np.int8)
        first_of_type = np.array([int(np.flatnonzero(platform.pe_type == k)[0])
                                  for k in range(platform.n_types)])
        for a, g in enumerate(apps):
            table = g.cost_on(platform)
            mean = np.array([row[np.isfinite(row)].mean() for row in table])
            rank = mean.copy()
            children = g.successors()
            for task in g.topological_order[::-1].tolist():
                if children[task]:
                    rank[task] = mean[task] + max(rank[c] for c, _ in children[task])
            means.append(mean)
            ranks.append(rank)
            succs.append(np.array([len(c) for c in children], dtype=np.float64))
            by_type = table[:, first_of_type]
            types.append(np.where(np.isfinite(by_type), by_type, -1.0))
            if g.n_edges:
                adjacency[a, g.edges[:, 0], g.edges[:, 1]] = 1
        return cls(np.concatenate(means), np.concatenate(ranks), np.concatenate(succs),
                   np.concatenate(types), adjacency)


class ObservationWriter:
    """The observation arrays of one env and the bookkeeping that lets the kernels rewrite them
    in place (module docstring).

    :param observation_space: the env's ``Dict`` space; one array of each key's shape and dtype
        is allocated here, for the life of the writer.
    :param task_pe: ``"task-pe"`` mode (legal tasks first, one mask entry per slot and PE)
        rather than ``"task"`` mode (ready-list order, one mask entry per slot).
    """

    def __init__(self, observation_space: spaces.Dict, task_pe: bool) -> None:
        self.arrays: dict[str, np.ndarray] = {
            key: np.zeros(space.shape or (), space.dtype or np.float32)
            for key, space in observation_space.spaces.items()}
        self.task_pe = bool(task_pe)
        max_ready, n_pes = self.arrays["estimated_finish"].shape
        max_jobs = self.arrays["jobs"].shape[0]
        self.slot_rows = np.full(max_ready, -1, dtype=np.int64)
        self.legal = np.zeros((max_ready, n_pes), dtype=np.bool_)
        self.finish = np.full((max_ready, n_pes), np.inf)
        self.cursor = np.zeros(N_CURSORS, dtype=np.int64)
        self.shown_jobs = np.full(max_jobs, -1, dtype=np.int64)
        self.simulator: SoCSimulator | None = None
        self.tables: AppTables | None = None
        # the kernels' arguments, gathered once per episode: a step passes them in one go
        self._write_args: tuple[Any, ...] = ()
        self._commit_args: tuple[Any, ...] = ()

    @property
    def jobs_in_system(self) -> int:
        """Jobs arrived and not finished, at the last write."""
        return int(self.cursor[JOBS_IN_SYSTEM])

    def bind(self, simulator: SoCSimulator, tables: AppTables) -> None:
        """Start writing the observation of ``simulator`` (from scratch), whose applications
        ``tables`` describes. Call :meth:`write` next."""
        s = simulator
        workload = s.workload
        n_jobs = workload.n_jobs
        for value in self.arrays.values():
            value.fill(0)
        self.arrays["estimated_finish"].fill(-1.0)
        self.arrays["ready_ref"].fill(-1)
        pes = self.arrays["pes"]
        pes[np.arange(s.platform.n_pes), PE_TYPE_COLUMN + s.platform.pe_type] = 1.0
        self.slot_rows.fill(-1)
        self.legal.fill(False)
        self.finish.fill(np.inf)
        self.cursor.fill(0)
        self.shown_jobs.fill(-1)
        job_position = np.full(n_jobs, -1, dtype=np.int64)
        job_unscheduled = np.zeros(n_jobs)
        job_stamp = np.full(n_jobs, -1, dtype=np.int64)
        open_costs = np.zeros(max(int(np.diff(s.job_first).max(initial=0)), 1))
        job_app = np.ascontiguousarray(workload.job_app, dtype=np.int64)
        o = self.arrays
        self._write_args = (
            self.task_pe, s.cost, s.row_static, s.row_state, s.row_time, s.job_first,
            s.job_left, s.job_time, job_app, s.pe_time, s.queue, s.counters, s.clock,
            s.pred_ptr, s.pred_local, s.pred_volume, s.bandwidth,
            tables.mean_cost, tables.upward_rank, tables.successors, tables.type_cost,
            tables.adjacency,
            self.slot_rows, self.legal, self.finish, self.cursor, self.shown_jobs,
            job_position, job_unscheduled, job_stamp, open_costs,
            o["tasks"], o["estimated_finish"], o["pes"], o["jobs"], o["job_tasks"],
            o["job_adjacency"], o["ready_ref"], o["action_mask"],
        )
        self._commit_args = (s.heap_time, s.succ_ptr, s.succ_local, *self._write_args)
        self.simulator = simulator
        self.tables = tables

    def write(self) -> None:
        """Bring the arrays up to date with the simulator."""
        write_observation(*self._write_args)

    def commit_and_write(self, slot: int, pe: int) -> tuple[int, float]:
        """Commit the task in ``slot`` to ``pe`` (-1: its earliest-finish PE), let time run to
        the next decision point when no legal action is left, and bring the arrays up to date.
        The caller checks legality.

        :returns: the simulator's ``advance`` status (``NOT_ADVANCED`` when time stood still)
            and, when time ran, the summed time in system of the jobs arrived so far, µs.
        """
        status, latency_us = commit_and_observe(slot, pe, *self._commit_args)
        return int(status), float(latency_us)


# ---------------------------------------------------------------------------------------------
# numba kernels


@njit(cache=True)
def _block_sum(values, lo, n):
    """NumPy's sum of at most one block: eight running partial sums, then the tail."""
    if n < 8:
        total = 0.0
        for i in range(lo, lo + n):
            total += values[i]
        return total
    r0, r1, r2, r3 = values[lo], values[lo + 1], values[lo + 2], values[lo + 3]
    r4, r5, r6, r7 = values[lo + 4], values[lo + 5], values[lo + 6], values[lo + 7]
    i = 8
    whole = n - n % 8
    while i < whole:
        b = lo + i
        r0 += values[b]
        r1 += values[b + 1]
        r2 += values[b + 2]
        r3 += values[b + 3]
        r4 += values[b + 4]
        r5 += values[b + 5]
        r6 += values[b + 6]
        r7 += values[b + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        total += values[lo + i]
        i += 1
    return total


@njit(cache=True)
def pairwise_sum(values, lo, n):
    """Sum of ``values[lo:lo + n]`` in NumPy's pairwise order (``np.sum`` of a contiguous
    float64 array), so both give the same bits: blocks of at most 128 values, and above that
    the sum of the two halves, the first half rounded down to a multiple of 8."""
    if n <= _PAIRWISE_BLOCK:
        return _block_sum(values, lo, n)
    # NumPy recurses; this walks the same tree with an explicit stack (numba's cache cannot
    # hold a recursive kernel called from another one)
    depth = 64
    starts = np.empty(depth, dtype=np.int64)
    sizes = np.empty(depth, dtype=np.int64)
    stage = np.empty(depth, dtype=np.int64)
    left = np.empty(depth)
    starts[0], sizes[0], stage[0] = lo, n, 0
    top = 1
    carry = 0.0
    while top > 0:
        f = top - 1
        size = sizes[f]
        half = size // 2
        half -= half % 8
        if size <= _PAIRWISE_BLOCK:
            carry = _block_sum(values, starts[f], size)
            top -= 1
        elif stage[f] == 0:
            stage[f] = 1
            starts[top], sizes[top], stage[top] = starts[f], half, 0
            top += 1
        elif stage[f] == 1:
            left[f] = carry
            stage[f] = 2
            starts[top], sizes[top], stage[top] = starts[f] + half, size - half, 0
            top += 1
        else:
            carry = left[f] + carry
            top -= 1
    return carry


@njit(cache=True)
def latency_sum_us(job_time, counters, clock):
    """Sum over the jobs arrived so far of the time each has spent in the system, µs."""
    arrived = counters[kernel.NEXT_JOB]
    now = clock[kernel.NOW]
    spent = np.empty(arrived)
    for j in range(arrived):
        completion = job_time[kernel.COMPLETION, j]
        end = now if np.isnan(completion) else completion
        spent[j] = end - job_time[kernel.ARRIVAL, j]
    return pairwise_sum(spent, 0, arrived)


@njit(cache=True)
def _assignable(r, cost, row_static, pe_time, now):
    """Whether some idle PE can run ready row ``r`` now."""
    at = row_static[kernel.AT, r]
    for q in range(cost.shape[1]):
        if pe_time[kernel.BUSY_UNTIL, q] <= now and np.isfinite(cost[at, q]):
            return True
    return False


@njit(cache=True)
def _unscheduled_us(j, job_first, row_static, row_state, mean_cost, job_unscheduled, job_stamp,
                    stamp, open_costs):
    """Mean cost of job ``j``'s tasks not yet committed, µs (once per write and job)."""
    if job_stamp[j] != stamp:
        n = 0
        for r in range(job_first[j], job_first[j + 1]):
            if row_state[kernel.STATUS, r] <= kernel.READY:
                open_costs[n] = mean_cost[row_static[kernel.AT, r]]
                n += 1
        job_unscheduled[j] = pairwise_sum(open_costs, 0, n)
        job_stamp[j] = stamp
    return job_unscheduled[j]


@njit(cache=True)
def _fill_slots(task_pe, cost, row_static, pe_time, queue, counters, now, slot_rows):
    """Put the ready rows in the slots; return how many are filled. In ``"task-pe"`` mode the
    rows an idle PE can run come first, so a long ready list never hides every legal action;
    each group keeps the ready-list order."""
    max_ready = slot_rows.shape[0]
    n_ready = counters[kernel.N_READY]
    if not task_pe:
        k = min(n_ready, max_ready)
        for i in range(k):
            slot_rows[i] = queue[kernel.READY_LIST, i]
        return k
    k = 0
    for wanted in (True, False):
        for i in range(n_ready):
            if k == max_ready:
                return k
            r = queue[kernel.READY_LIST, i]
            if _assignable(r, cost, row_static, pe_time, now) == wanted:
                slot_rows[k] = r
                k += 1
    return k


@njit(cache=True)
def _empty_slot(slot, task_pe, slot_rows, legal, finish, tasks, estimated_finish, ready_ref,
                action_mask):
    n_pes = finish.shape[1]
    slot_rows[slot] = -1
    tasks[slot, :] = 0.0
    ready_ref[slot, :] = -1
    for q in range(n_pes):
        legal[slot, q] = False
        finish[slot, q] = np.inf
        estimated_finish[slot, q] = -1.0
    if task_pe:
        for q in range(n_pes):
            action_mask[slot * n_pes + q] = 0
    else:
        action_mask[slot] = 0


@njit(cache=True)
def _show_job(i, j, app, job_first, row_static, mean_cost, upward_rank, adjacency, job_tasks,
              job_adjacency):
    """The static part of row ``i`` of the DAG arrays: job ``j``'s tasks and edges."""
    job_tasks[i, :, :] = 0.0
    lo = job_first[j]
    for task in range(job_first[j + 1] - lo):
        at = row_static[kernel.AT, lo + task]
        job_tasks[i, task, 0] = 1.0
        job_tasks[i, task, 4] = mean_cost[at] / US_PER_MS
        job_tasks[i, task, 5] = upward_rank[at] / US_PER_MS
    job_adjacency[i, :, :] = adjacency[app]


@njit(cache=True)
def write_observation(task_pe, cost, row_static, row_state, row_time, job_first, job_left,
                      job_time, job_app, pe_time, queue, counters, clock, pred_ptr, pred_local,
                      pred_volume, bandwidth, mean_cost, upward_rank, successors, type_cost,
                      adjacency, slot_rows, legal, finish, cursor, shown_jobs, job_position,
                      job_unscheduled, job_stamp, open_costs, tasks, estimated_finish, pes, jobs,
                      job_tasks, job_adjacency, ready_ref, action_mask):
    """Bring the observation and the bookkeeping arrays (module docstring) up to date with the
    simulator's state."""
    n_pes = cost.shape[1]
    n_types = type_cost.shape[1]
    max_jobs = shown_jobs.shape[0]
    now = clock[kernel.NOW]
    stamp = cursor[STAMP] + 1
    cursor[STAMP] = stamp

    # -- slots
    k = _fill_slots(task_pe, cost, row_static, pe_time, queue, counters, now, slot_rows)
    for slot in range(k, cursor[FILLED_SLOTS]):
        _empty_slot(slot, task_pe, slot_rows, legal, finish, tasks, estimated_finish, ready_ref,
                    action_mask)
    cursor[FILLED_SLOTS] = k
    for slot in range(k):
        r = slot_rows[slot]
        at = row_static[kernel.AT, r]
        j = row_static[kernel.JOB, r]
        can_start = False
        earliest_data = np.inf
        for q in range(n_pes):
            c = cost[at, q]
            if np.isfinite(c):
                ready_at = kernel.data_ready(r, q, row_static, row_state, row_time, pred_ptr,
                                             pred_local, pred_volume, bandwidth, clock)
                free = max(pe_time[kernel.EST_FREE, q], now)
                ef = max(max(now, free), ready_at) + c
                idle = pe_time[kernel.BUSY_UNTIL, q] <= now
                finish[slot, q] = ef
                estimated_finish[slot, q] = (ef - now) / US_PER_MS
                legal[slot, q] = idle
                can_start = can_start or idle
                earliest_data = min(earliest_data, ready_at)
            else:
                finish[slot, q] = np.inf
                estimated_finish[slot, q] = -1.0
                legal[slot, q] = False
            if task_pe:
                action_mask[slot * n_pes + q] = 1 if legal[slot, q] else 0
        if not task_pe:
            action_mask[slot] = 1
        tasks[slot, 0] = 1.0
        tasks[slot, 1] = 1.0 if can_start else 0.0
        tasks[slot, 2] = (now - job_time[kernel.ARRIVAL, j]) / US_PER_MS
        tasks[slot, 3] = successors[at]
        tasks[slot, 4] = upward_rank[at] / US_PER_MS
        tasks[slot, 5] = _unscheduled_us(j, job_first, row_static, row_state, mean_cost,
                                         job_unscheduled, job_stamp, stamp,
                                         open_costs) / US_PER_MS
        tasks[slot, 6] = max(earliest_data - now, 0.0) / US_PER_MS
        for t in range(n_types):
            value = type_cost[at, t]
            tasks[slot, TASK_TYPE_COLUMN + t] = value / (US_PER_MS if value > 0 else 1.0)

    # -- PEs
    for q in range(n_pes):
        pes[q, 0] = 0.0 if pe_time[kernel.BUSY_UNTIL, q] <= now else 1.0
        pes[q, 1] = (max(pe_time[kernel.EST_FREE, q], now) - now) / US_PER_MS
        pes[q, 2] = 0.0
    n_committed = counters[kernel.N_COMMITTED]
    first = min(cursor[OPEN_COMMIT], n_committed)
    while (first < n_committed and
           row_state[kernel.STATUS, queue[kernel.COMMIT_ORDER, first]] == kernel.DONE):
        first += 1
    cursor[OPEN_COMMIT] = first
    for i in range(first, n_committed):
        r = queue[kernel.COMMIT_ORDER, i]
        if row_state[kernel.STATUS, r] == kernel.COMMITTED:
            pes[row_state[kernel.PE, r], 2] += 1.0

    # -- jobs in the system, oldest first, and their DAGs
    for i in range(max_jobs):
        if shown_jobs[i] >= 0:
            job_position[shown_jobs[i]] = -1
    arrived = counters[kernel.NEXT_JOB]
    oldest = min(cursor[OPEN_JOB], arrived)
    while oldest < arrived and job_left[oldest] == 0:
        oldest += 1
    cursor[OPEN_JOB] = oldest
    i = 0
    in_system = 0
    for j in range(oldest, arrived):
        if job_left[j] == 0:
            continue
        in_system += 1
        if i == max_jobs:
            continue
        if shown_jobs[i] != j:
            _show_job(i, j, job_app[j], job_first, row_static, mean_cost, upward_rank,
                      adjacency, job_tasks, job_adjacency)
            shown_jobs[i] = j
        job_position[j] = i
        lo = job_first[j]
        n = job_first[j + 1] - lo
        jobs[i, 0] = 1.0
        jobs[i, 1] = (now - job_time[kernel.ARRIVAL, j]) / US_PER_MS
        jobs[i, 2] = job_left[j] / n
        jobs[i, 3] = _unscheduled_us(j, job_first, row_static, row_state, mean_cost,
                                     job_unscheduled, job_stamp, stamp, open_costs) / US_PER_MS
        for task in range(n):
            state = row_state[kernel.STATUS, lo + task]
            job_tasks[i, task, 1] = 1.0 if state == kernel.READY else 0.0
            job_tasks[i, task, 2] = 1.0 if state == kernel.COMMITTED else 0.0
            job_tasks[i, task, 3] = 1.0 if state == kernel.DONE else 0.0
        i += 1
    cursor[JOBS_IN_SYSTEM] = in_system
    for rest in range(i, max_jobs):
        if shown_jobs[rest] >= 0:
            jobs[rest, :] = 0.0
            job_tasks[rest, :, :] = 0.0
            job_adjacency[rest, :, :] = 0
            shown_jobs[rest] = -1

    # -- where each slot's task sits in the DAG arrays
    for slot in range(k):
        r = slot_rows[slot]
        position = job_position[row_static[kernel.JOB, r]]
        if position >= 0:
            ready_ref[slot, 0] = position
            ready_ref[slot, 1] = row_static[kernel.LOCAL, r]
        else:
            ready_ref[slot, 0] = -1
            ready_ref[slot, 1] = -1


@njit(cache=True)
def commit_and_observe(slot, pe, heap_time, succ_ptr, succ_local, task_pe, cost, row_static,
                       row_state, row_time, job_first, job_left, job_time, job_app, pe_time,
                       queue, counters, clock, pred_ptr, pred_local, pred_volume, bandwidth,
                       mean_cost, upward_rank, successors, type_cost, adjacency, slot_rows,
                       legal, finish, cursor, shown_jobs, job_position, job_unscheduled,
                       job_stamp, open_costs, tasks, estimated_finish, pes, jobs, job_tasks,
                       job_adjacency, ready_ref, action_mask):
    """One env step in one call: commit the task in ``slot`` to ``pe`` (-1: the PE of least
    ``finish``, lowest index on ties); when no legal action is left, run to the next decision
    point; then :func:`write_observation`. Returns the ``advance`` status (``NOT_ADVANCED`` if
    time stood still) and the summed time in system of the arrived jobs, µs (0 if time stood
    still). On ``STALLED`` it returns before writing, as the simulator raises there."""
    r = slot_rows[slot]
    if pe < 0:
        best = np.inf
        for q in range(finish.shape[1]):
            if finish[slot, q] < best:
                best = finish[slot, q]
                pe = q
    kernel.assign(r, pe, cost, row_static, row_state, row_time, pe_time, queue, heap_time,
                  counters, clock, pred_ptr, pred_local, pred_volume, bandwidth)
    status = NOT_ADVANCED
    latency_us = 0.0
    # a legal action is left exactly when a ready task fits an idle PE ("task-pe": such tasks
    # take the first slots) or, in "task" mode, when any task is ready
    if task_pe:
        still_open = kernel.at_decision_point(cost, row_static, pe_time, queue, counters, clock)
    else:
        still_open = counters[kernel.N_READY] > 0
    if not still_open:
        status = kernel.advance(cost, row_static, row_state, row_time, job_first, job_left,
                                job_time, pe_time, queue, heap_time, counters, clock, succ_ptr,
                                succ_local)
        if status == kernel.STALLED:
            return status, latency_us
        latency_us = latency_sum_us(job_time, counters, clock)
    write_observation(task_pe, cost, row_static, row_state, row_time, job_first, job_left,
                      job_time, job_app, pe_time, queue, counters, clock, pred_ptr, pred_local,
                      pred_volume, bandwidth, mean_cost, upward_rank, successors, type_cost,
                      adjacency, slot_rows, legal, finish, cursor, shown_jobs, job_position,
                      job_unscheduled, job_stamp, open_costs, tasks, estimated_finish, pes, jobs,
                      job_tasks, job_adjacency, ready_ref, action_mask)
    return status, latency_us
