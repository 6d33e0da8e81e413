"""Static list schedulers for one task DAG on a heterogeneous platform: HEFT, PEFT and CPOP.

A list scheduler gives every task a priority, takes the tasks one at a time in priority order
(a task only once all its predecessors are placed) and puts each on the PE that minimises a
cost, at the earliest start that PE allows. All three here place by **insertion**: a task may
go into an idle gap between two tasks already on a PE when it fits there entirely, otherwise
after the PE's last task. The start on PE ``q`` is never before the task's data arrive:
``finish(u) + transfer(u -> q)`` for every predecessor ``u`` (no transfer on the same PE).

Cost table and estimates
------------------------
Execution times come from ``graph.cost_on(platform)``: ``(n_tasks, n_pes)``, ``inf`` where a PE
cannot run a task; such a pair is never chosen. The priorities use averages over a platform
that is not yet known to the task, defined here exactly:

``w̄(t)``
    the mean of ``cost[t, q]`` over the PEs ``q`` that *can* run ``t`` (``rank="best"`` takes
    the minimum instead, ``rank="worst"`` the maximum).
``c̄(u, v)``
    the mean transfer time of the edge over the ordered pairs ``(a, b)`` of *distinct* PEs where
    ``a`` can run ``u`` and ``b`` can run ``v``: ``startup_latency + volume * mean(1 /
    bandwidth[a, b])``. It is 0 when the volume is 0 or when no such pair exists (both ends can
    only run on one and the same PE, so the data never move). On Topcuoglu's example (uniform
    links, every pair possible) this is the published edge cost.

Ties are broken towards the lower task index (which task goes next) and the lower PE index
(which PE wins), so every result is deterministic.

The algorithms
--------------
``heft``  Topcuoglu, Hariri and Wu (IEEE TPDS 13(3), 2002). Upward rank
          ``rank_u(t) = w̄(t) + max_{s in succ(t)} (c̄(t, s) + rank_u(s))``; tasks by
          decreasing rank; PE by earliest finish time (EFT).
``peft``  Arabnejad and Barbosa (IEEE TPDS 25(3), 2014). Optimistic cost table
          ``OCT(t, p) = max_{s in succ(t)} min_{w} (OCT(s, w) + cost[s, w] + c̄(t, s)·[w != p])``
          (0 for an exit task; ``w`` ranges over the PEs that can run ``s``);
          ``rank_oct(t)`` is the mean of ``OCT(t, p)`` over the PEs that can run ``t``; the
          ready task of highest ``rank_oct`` goes next, to the PE minimising
          ``EFT(t, p) + OCT(t, p)``. As in the paper the OCT uses the mean transfer ``c̄``.
``cpop``  Topcuoglu et al. 2002. Priority ``rank_u + rank_d`` with
          ``rank_d(t) = max_{u in pred(t)} (rank_d(u) + w̄(u) + c̄(u, t))``; the ready task of
          highest priority goes next. The critical path starts at the entry task of highest
          priority and follows, at each step, the successor of highest priority (on a longest
          path that priority equals the path's length, so no float equality test is needed).
          Its tasks all go to the one PE that minimises their summed execution time; the other
          tasks go by EFT. When no PE can run every critical task, the PE that can run the most
          of them (then the cheapest on those) is used, and the critical tasks it cannot run
          go by EFT like the rest.

Speed
-----
The placement runs in one numba kernel over arrays. Each PE keeps its busy slots as two sorted
arrays (start, finish); a binary search finds the first slot ending after the data-ready time
and the scan for a gap starts there, so placing a task costs ``O(deg(t)·p)`` for the arrival
times plus, per PE, the gaps after its data-ready time. A 5,000-task DAG on 16 PEs takes well
under a second (see ``tests/baselines/test_list_scheduling.py``); the first call in a process
also loads the compiled kernels from numba's cache.

Reuse by online schedulers
--------------------------
:func:`upward_rank` and :func:`heft_order` rank any subset of a graph's tasks, and
:func:`schedule_tasks` places tasks in a given order on top of a partial state: the time each
PE becomes free, the PE and finish time of tasks already done, and a release time per task.
HEFT_RT is ``schedule_tasks(graph, platform, heft_order(graph, platform, tasks=ready), ...)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numba import njit

from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.solution import Trace

RankKind = Literal["mean", "best", "worst"]
_RANK_KINDS: dict[str, int] = {"mean": 0, "best": 1, "worst": 2}


@dataclass(frozen=True)
class ListScheduleResult:
    """A list scheduler's schedule.

    :param trace: one row per task, in task-index order, all with ``job`` 0.
    :param makespan: the largest finish time.
    :param wall_s: wall time of the whole call (ranking and placement).
    :param method: ``"heft"``, ``"peft"`` or ``"cpop"`` (with the rank kind when not the mean,
        e.g. ``"heft-best"``).
    """

    trace: Trace
    makespan: float
    wall_s: float
    method: str


@dataclass(frozen=True)
class Placement:
    """Where and when :func:`schedule_tasks` put each task it was given.

    :param tasks: the tasks, in the order they were placed.
    :param pe: PE of each.
    :param start: start time of each.
    :param finish: finish time of each.
    :param pe_free: ``(n_pes,)`` the time each PE becomes free after these placements (the
        ``pe_free`` given, or the last finish on that PE when later).
    """

    tasks: np.ndarray
    pe: np.ndarray
    start: np.ndarray
    finish: np.ndarray
    pe_free: np.ndarray


# ---------------------------------------------------------------------------------------------
# numba kernels: plain functions over arrays


@njit(cache=True)
def _task_weights(cost: np.ndarray, kind: int) -> np.ndarray:
    # explicit loops so the summation order is fixed (numpy's pairwise sum is not sequential)
    n_tasks, n_pes = cost.shape
    out = np.zeros(n_tasks)
    for t in range(n_tasks):
        total = 0.0
        count = 0
        low = np.inf
        high = -np.inf
        for q in range(n_pes):
            c = cost[t, q]
            if np.isfinite(c):
                total += c
                count += 1
                low = min(low, c)
                high = max(high, c)
        if kind == 0:
            out[t] = total / count
        elif kind == 1:
            out[t] = low
        else:
            out[t] = high
    return out


@njit(cache=True)
def _mean_transfers(
    edges: np.ndarray, volume: np.ndarray, cost: np.ndarray, bandwidth: np.ndarray,
    startup: float,
) -> np.ndarray:
    n_pes = cost.shape[1]
    out = np.zeros(edges.shape[0])
    for e in range(edges.shape[0]):
        v = volume[e]
        if v <= 0.0:
            continue
        u = edges[e, 0]
        w = edges[e, 1]
        total = 0.0
        count = 0
        for a in range(n_pes):
            if not np.isfinite(cost[u, a]):
                continue
            for b in range(n_pes):
                if b != a and np.isfinite(cost[w, b]):
                    total += 1.0 / bandwidth[a, b]
                    count += 1
        if count > 0:
            out[e] = startup + v * (total / count)
    return out


@njit(cache=True)
def _upward_rank(
    topo: np.ndarray, active: np.ndarray, weight: np.ndarray, succ_ptr: np.ndarray,
    succ_task: np.ndarray, succ_edge: np.ndarray, mean_transfer: np.ndarray,
) -> np.ndarray:
    rank = np.full(weight.size, np.nan)
    for k in range(topo.size - 1, -1, -1):
        t = topo[k]
        if not active[t]:
            continue
        best = 0.0
        for i in range(succ_ptr[t], succ_ptr[t + 1]):
            s = succ_task[i]
            if active[s]:
                value = mean_transfer[succ_edge[i]] + rank[s]
                if value > best:
                    best = value
        rank[t] = weight[t] + best
    return rank


@njit(cache=True)
def _downward_rank(
    topo: np.ndarray, weight: np.ndarray, pred_ptr: np.ndarray, pred_task: np.ndarray,
    pred_edge: np.ndarray, mean_transfer: np.ndarray,
) -> np.ndarray:
    rank = np.zeros(weight.size)
    for k in range(topo.size):
        t = topo[k]
        best = 0.0
        for i in range(pred_ptr[t], pred_ptr[t + 1]):
            u = pred_task[i]
            value = rank[u] + weight[u] + mean_transfer[pred_edge[i]]
            if value > best:
                best = value
        rank[t] = best
    return rank


@njit(cache=True)
def _optimistic_cost_table(
    topo: np.ndarray, cost: np.ndarray, succ_ptr: np.ndarray, succ_task: np.ndarray,
    succ_edge: np.ndarray, mean_transfer: np.ndarray,
) -> np.ndarray:
    n_tasks, n_pes = cost.shape
    table = np.zeros((n_tasks, n_pes))
    for k in range(topo.size - 1, -1, -1):
        t = topo[k]
        for p in range(n_pes):
            worst = 0.0
            for i in range(succ_ptr[t], succ_ptr[t + 1]):
                s = succ_task[i]
                c = mean_transfer[succ_edge[i]]
                best = np.inf
                for w in range(n_pes):
                    if not np.isfinite(cost[s, w]):
                        continue
                    value = table[s, w] + cost[s, w]
                    if w != p:
                        value += c
                    if value < best:
                        best = value
                if best > worst:
                    worst = best
            table[t, p] = worst
    return table


TIE_RESOLUTION = 1e-9
"""Priorities closer than this (in µs) count as equal, and the lower task index goes first:
rounding can leave mathematically equal ranks (80 and 80 on Topcuoglu's n3 and n4) a few bits
apart, which would otherwise decide the order."""


def tie_key(priority: np.ndarray) -> np.ndarray:
    """Priorities on the :data:`TIE_RESOLUTION` grid, the key every ready list here sorts by."""
    return np.rint(np.asarray(priority, dtype=np.float64) / TIE_RESOLUTION)


@njit(cache=True)
def _heap_before(priority: np.ndarray, a: int, b: int) -> bool:
    return priority[a] > priority[b] or (priority[a] == priority[b] and a < b)


@njit(cache=True)
def _heap_push(heap: np.ndarray, size: int, task: int, priority: np.ndarray) -> int:
    """Add ``task`` to the binary heap ``heap[:size]`` ordered by ``_heap_before``; return the
    new size."""
    heap[size] = task
    child = size
    while child > 0:
        parent = (child - 1) // 2
        if _heap_before(priority, heap[child], heap[parent]):
            heap[child], heap[parent] = heap[parent], heap[child]
            child = parent
        else:
            break
    return size + 1


@njit(cache=True)
def _ready_list_order(
    priority: np.ndarray, active: np.ndarray, pred_ptr: np.ndarray, pred_task: np.ndarray,
    succ_ptr: np.ndarray, succ_task: np.ndarray,
) -> np.ndarray:
    """Active tasks in ready-list order: repeatedly the ready task of highest priority (lower
    index on ties), where a task is ready once its active predecessors are taken.

    Which task comes next depends only on the priorities and the graph, never on where earlier
    tasks were placed, so the order is computed before any placement."""
    n = priority.size
    waiting = np.zeros(n, dtype=np.int64)
    heap = np.empty(n, dtype=np.int64)
    size = 0
    for t in range(n):
        if not active[t]:
            continue
        for i in range(pred_ptr[t], pred_ptr[t + 1]):
            if active[pred_task[i]]:
                waiting[t] += 1
    for t in range(n):
        if active[t] and waiting[t] == 0:
            size = _heap_push(heap, size, t, priority)
    order = np.empty(int(active.sum()), dtype=np.int64)
    taken = 0
    while size > 0:
        t = heap[0]
        order[taken] = t
        taken += 1
        size -= 1
        heap[0] = heap[size]
        parent = 0
        while True:
            left = 2 * parent + 1
            if left >= size:
                break
            child = left
            if left + 1 < size and _heap_before(priority, heap[left + 1], heap[left]):
                child = left + 1
            if _heap_before(priority, heap[child], heap[parent]):
                heap[child], heap[parent] = heap[parent], heap[child]
                parent = child
            else:
                break
        for i in range(succ_ptr[t], succ_ptr[t + 1]):
            s = succ_task[i]
            if not active[s]:
                continue
            waiting[s] -= 1
            if waiting[s] == 0:
                size = _heap_push(heap, size, s, priority)
    return order


@njit(cache=True)
def _earliest_slot(
    slot_start: np.ndarray, slot_finish: np.ndarray, count: int, ready: float,
    duration: float, insertion: bool,
) -> tuple[float, int]:
    """Earliest start ``>= ready`` on a PE whose busy slots (sorted, disjoint) are the first
    ``count`` entries, and the slot index the task would take."""
    if count == 0:
        return ready, 0
    if not insertion:
        return max(ready, slot_finish[count - 1]), count
    # slots ending by `ready` leave no room after `ready`, so the scan starts past them
    i = int(np.searchsorted(slot_finish[:count], ready, side="right"))
    start = ready
    while i < count:
        if start + duration <= slot_start[i]:
            return start, i
        start = max(start, slot_finish[i])
        i += 1
    return start, count


@njit(cache=True)
def _place(
    order: np.ndarray, cost: np.ndarray, pred_ptr: np.ndarray, pred_task: np.ndarray,
    pred_volume: np.ndarray, bandwidth: np.ndarray, startup: float, pe_of: np.ndarray,
    start_of: np.ndarray, finish_of: np.ndarray, pe_free: np.ndarray, release: np.ndarray,
    lookahead: np.ndarray, pinned: np.ndarray, insertion: bool,
) -> int:
    """Place ``order`` one task at a time; fills ``pe_of``, ``start_of``, ``finish_of``.

    Returns -1 on success, else the task that had no PE to go to."""
    n_pes = cost.shape[1]
    capacity = max(order.size, 1)
    slot_start = np.empty((n_pes, capacity))
    slot_finish = np.empty((n_pes, capacity))
    slot_count = np.zeros(n_pes, dtype=np.int64)
    ready = np.empty(n_pes)
    for k in range(order.size):
        t = order[k]
        for q in range(n_pes):
            ready[q] = max(release[t], pe_free[q])
        for i in range(pred_ptr[t], pred_ptr[t + 1]):
            u = pred_task[i]
            a = pe_of[u]
            done = finish_of[u]
            v = pred_volume[i]
            for q in range(n_pes):
                arrival = done
                if q != a and v > 0.0:
                    # the same expression as Platform.transfer_time, so validate agrees exactly
                    arrival = done + (startup + v / bandwidth[a, q])
                if arrival > ready[q]:
                    ready[q] = arrival
        best_pe = -1
        best_score = np.inf
        best_start = 0.0
        best_slot = 0
        for q in range(n_pes):
            duration = cost[t, q]
            if not np.isfinite(duration) or (pinned[t] >= 0 and q != pinned[t]):
                continue
            start, slot = _earliest_slot(
                slot_start[q], slot_finish[q], slot_count[q], ready[q], duration, insertion
            )
            score = start + duration + lookahead[t, q]
            if best_pe < 0 or score < best_score:
                best_pe = q
                best_score = score
                best_start = start
                best_slot = slot
        if best_pe < 0:
            return t
        finish = best_start + cost[t, best_pe]
        pe_of[t] = best_pe
        start_of[t] = best_start
        finish_of[t] = finish
        count = slot_count[best_pe]
        for i in range(count, best_slot, -1):
            slot_start[best_pe, i] = slot_start[best_pe, i - 1]
            slot_finish[best_pe, i] = slot_finish[best_pe, i - 1]
        slot_start[best_pe, best_slot] = best_start
        slot_finish[best_pe, best_slot] = finish
        slot_count[best_pe] = count + 1
    return -1


# ---------------------------------------------------------------------------------------------
# graph arrays


@dataclass(frozen=True)
class _Arrays:
    """A graph's adjacency in compressed (CSR) form, edges grouped by task in edge order."""

    topo: np.ndarray
    pred_ptr: np.ndarray
    pred_task: np.ndarray
    pred_edge: np.ndarray
    pred_volume: np.ndarray
    succ_ptr: np.ndarray
    succ_task: np.ndarray
    succ_edge: np.ndarray


def _arrays(graph: TaskGraph) -> _Arrays:
    n = graph.n_tasks
    edges = graph.edges
    by_dst = np.argsort(edges[:, 1], kind="stable")
    by_src = np.argsort(edges[:, 0], kind="stable")
    pred_ptr = np.zeros(n + 1, dtype=np.int64)
    succ_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(edges[:, 1], minlength=n), out=pred_ptr[1:])
    np.cumsum(np.bincount(edges[:, 0], minlength=n), out=succ_ptr[1:])
    return _Arrays(
        topo=np.asarray(graph.topological_order, dtype=np.int64),
        pred_ptr=pred_ptr,
        pred_task=np.ascontiguousarray(edges[by_dst, 0]),
        pred_edge=by_dst.astype(np.int64),
        pred_volume=np.ascontiguousarray(graph.volume[by_dst]),
        succ_ptr=succ_ptr,
        succ_task=np.ascontiguousarray(edges[by_src, 1]),
        succ_edge=by_src.astype(np.int64),
    )


def _cost_table(graph: TaskGraph, platform: Platform, cost: np.ndarray | None) -> np.ndarray:
    if cost is None:
        return np.ascontiguousarray(graph.cost_on(platform), dtype=np.float64)
    table = np.ascontiguousarray(cost, dtype=np.float64)
    if table.shape != (graph.n_tasks, platform.n_pes):
        raise ValueError(f"cost must be {graph.n_tasks} tasks x {platform.n_pes} PEs, got shape "
                         f"{table.shape}")
    if np.any(table <= 0) or np.any(np.isnan(table)):
        raise ValueError("cost must hold positive execution times (inf where a PE cannot run "
                         "the task)")
    if not np.all(np.isfinite(table).any(axis=1)):
        bad = int(np.flatnonzero(~np.isfinite(table).any(axis=1))[0])
        raise ValueError(f"cost gives task {graph.task_names[bad]!r} no PE that can run it")
    return table


def _mean_transfer(graph: TaskGraph, platform: Platform, cost: np.ndarray) -> np.ndarray:
    return _mean_transfers(
        graph.edges, graph.volume, cost, np.asarray(platform.bandwidth, dtype=np.float64),
        float(platform.startup_latency),
    )


def _ready_order(priority: np.ndarray, arrays: _Arrays,
                 active: np.ndarray | None = None) -> np.ndarray:
    if active is None:
        active = np.ones(priority.size, dtype=np.bool_)
    return _ready_list_order(tie_key(priority), active, arrays.pred_ptr, arrays.pred_task,
                             arrays.succ_ptr, arrays.succ_task)


def _active_mask(n_tasks: int, tasks: np.ndarray | list[int] | None) -> np.ndarray:
    if tasks is None:
        return np.ones(n_tasks, dtype=np.bool_)
    chosen = np.asarray(tasks, dtype=np.int64).reshape(-1)
    if chosen.size and (chosen.min() < 0 or chosen.max() >= n_tasks):
        raise ValueError(f"tasks must be task indices in [0, {n_tasks})")
    active = np.zeros(n_tasks, dtype=np.bool_)
    active[chosen] = True
    return active


# ---------------------------------------------------------------------------------------------
# ranks and placement, public


def upward_rank(
    graph: TaskGraph,
    platform: Platform,
    rank: RankKind = "mean",
    tasks: np.ndarray | list[int] | None = None,
    cost: np.ndarray | None = None,
) -> np.ndarray:
    """HEFT's upward rank of each task (see the module docstring for ``w̄`` and ``c̄``).

    :param graph: the DAG.
    :param platform: the PEs the averages run over.
    :param rank: ``"mean"`` (HEFT), ``"best"`` or ``"worst"``: how ``w̄`` summarises a task's
        execution times over the PEs that can run it.
    :param tasks: rank only these tasks, on the subgraph they induce (edges to other tasks are
        ignored); ``None`` ranks every task.
    :param cost: ``(n_tasks, n_pes)`` execution times to use instead of
        ``graph.cost_on(platform)`` (estimates, or a table the caller already holds).
    :returns: ``(n_tasks,)`` ranks; ``nan`` for tasks outside ``tasks``.
    """
    if rank not in _RANK_KINDS:
        raise ValueError(f"rank must be one of {sorted(_RANK_KINDS)}, got {rank!r}")
    table = _cost_table(graph, platform, cost)
    arrays = _arrays(graph)
    return _upward_rank(
        arrays.topo, _active_mask(graph.n_tasks, tasks), _task_weights(table, _RANK_KINDS[rank]),
        arrays.succ_ptr, arrays.succ_task, arrays.succ_edge,
        _mean_transfer(graph, platform, table),
    )


def heft_order(
    graph: TaskGraph,
    platform: Platform,
    rank: RankKind = "mean",
    tasks: np.ndarray | list[int] | None = None,
    cost: np.ndarray | None = None,
) -> np.ndarray:
    """Tasks in HEFT's placement order: decreasing upward rank, lower index on ties.

    Taken as a ready list (the ready task of highest rank next), which is the plain sort by
    rank whenever ranks strictly decrease along edges (always, as execution times are
    positive) and stays a valid precedence order even if rounding made two ranks equal.

    :param graph: the DAG.
    :param platform: the PEs.
    :param rank: see :func:`upward_rank`.
    :param tasks: order only these tasks (ranked on the subgraph they induce); ``None`` for all.
    :param cost: see :func:`upward_rank`.
    :returns: task indices.
    """
    arrays = _arrays(graph)
    priority = upward_rank(graph, platform, rank, tasks, cost)
    active = _active_mask(graph.n_tasks, tasks)
    return _ready_order(np.nan_to_num(priority, nan=-np.inf), arrays, active)


def schedule_tasks(
    graph: TaskGraph,
    platform: Platform,
    order: np.ndarray | list[int],
    *,
    cost: np.ndarray | None = None,
    pe_free: np.ndarray | None = None,
    placed_pe: np.ndarray | None = None,
    placed_finish: np.ndarray | None = None,
    release: float | np.ndarray = 0.0,
    insertion: bool = True,
    lookahead: np.ndarray | None = None,
    pinned_pe: np.ndarray | None = None,
) -> Placement:
    """Place tasks one at a time, in the given order, each on the PE of earliest finish.

    The general placement step of every list scheduler here, for offline and online use. Each
    task's start on PE ``q`` is the earliest time at or after

    - ``release[t]`` (e.g. the current time of an online scheduler),
    - ``pe_free[q]`` (the PE is busy until then with work this call does not know about),
    - ``finish(u) + transfer(u -> q)`` for every predecessor ``u``, which is either placed
      earlier in this call or given by ``placed_pe`` / ``placed_finish`` (done or committed),

    that leaves the PE idle for the task's whole duration: with ``insertion`` a gap between two
    tasks placed earlier in this call, otherwise after the last of them. The PE chosen minimises
    ``finish + lookahead[t, q]`` (lower PE index on ties) over the PEs that can run the task.

    :param graph: the DAG the tasks belong to.
    :param platform: the PEs.
    :param order: task indices, every task after its predecessors that are not already placed.
    :param cost: ``(n_tasks, n_pes)`` execution times; ``graph.cost_on(platform)`` when omitted.
    :param pe_free: ``(n_pes,)`` time each PE becomes free; zeros when omitted.
    :param placed_pe: ``(n_tasks,)`` PE of each task placed before this call, -1 for the others.
    :param placed_finish: ``(n_tasks,)`` finish time of those tasks (read only where
        ``placed_pe >= 0``).
    :param release: earliest start of every task, a number or an ``(n_tasks,)`` array.
    :param insertion: fill idle gaps (HEFT's insertion policy); False appends only.
    :param lookahead: ``(n_tasks, n_pes)`` added to the finish time when comparing PEs (PEFT's
        optimistic cost table); zeros when omitted.
    :param pinned_pe: ``(n_tasks,)`` a PE a task must go to, -1 for free choice (CPOP's
        critical path).
    :raises ValueError: when a task comes before one of its predecessors, a predecessor is
        neither placed nor in ``order``, or a pinned PE cannot run its task.
    """
    n_tasks, n_pes = graph.n_tasks, platform.n_pes
    table = _cost_table(graph, platform, cost)
    arrays = _arrays(graph)
    tasks = np.ascontiguousarray(order, dtype=np.int64).reshape(-1)
    if tasks.size and (tasks.min() < 0 or tasks.max() >= n_tasks):
        raise ValueError(f"order must hold task indices in [0, {n_tasks})")
    if np.unique(tasks).size != tasks.size:
        raise ValueError("order lists a task twice")

    pe_of = np.full(n_tasks, -1, dtype=np.int64)
    finish_of = np.zeros(n_tasks)
    if placed_pe is not None:
        given = np.asarray(placed_pe, dtype=np.int64).reshape(-1)
        if given.shape != (n_tasks,) or given.max(initial=-1) >= n_pes:
            raise ValueError(f"placed_pe must be {n_tasks} PE indices (-1 for not placed)")
        if placed_finish is None:
            raise ValueError("placed_pe needs placed_finish")
        done = np.asarray(placed_finish, dtype=np.float64).reshape(-1)
        if done.shape != (n_tasks,):
            raise ValueError(f"placed_finish must have {n_tasks} entries, got {done.shape}")
        known = given >= 0
        if np.any(known[tasks]):
            raise ValueError("order lists a task that placed_pe says is already placed")
        pe_of[known] = given[known]
        finish_of[known] = done[known]
    start_of = np.zeros(n_tasks)

    # every predecessor must be placed before, or earlier in the order
    position = np.full(n_tasks, -1, dtype=np.int64)
    position[tasks] = np.arange(tasks.size)
    src, dst = graph.edges[:, 0], graph.edges[:, 1]
    late = (position[dst] >= 0) & (pe_of[src] < 0) & ~(
        (position[src] >= 0) & (position[src] < position[dst]))
    if np.any(late):
        u, t = graph.edges[int(np.argmax(late))].tolist()
        raise ValueError(f"task {graph.task_names[t]!r} comes before its predecessor "
                         f"{graph.task_names[u]!r}, which is not placed")

    free = np.zeros(n_pes) if pe_free is None else np.asarray(pe_free, dtype=np.float64)
    if free.shape != (n_pes,):
        raise ValueError(f"pe_free must have {n_pes} entries, got shape {free.shape}")
    releases = np.broadcast_to(np.asarray(release, dtype=np.float64), (n_tasks,)).copy()
    extra = np.zeros((n_tasks, n_pes)) if lookahead is None else np.ascontiguousarray(
        lookahead, dtype=np.float64)
    if extra.shape != (n_tasks, n_pes):
        raise ValueError(f"lookahead must be {n_tasks} x {n_pes}, got shape {extra.shape}")
    pinned = np.full(n_tasks, -1, dtype=np.int64) if pinned_pe is None else np.asarray(
        pinned_pe, dtype=np.int64).reshape(-1)
    if pinned.shape != (n_tasks,):
        raise ValueError(f"pinned_pe must have {n_tasks} entries, got shape {pinned.shape}")
    for t in np.flatnonzero(pinned >= 0).tolist():
        if pinned[t] >= n_pes or not np.isfinite(table[t, pinned[t]]):
            raise ValueError(f"task {graph.task_names[t]!r} is pinned to PE {int(pinned[t])}, "
                             "which cannot run it")

    failed = _place(
        tasks, table, arrays.pred_ptr, arrays.pred_task, arrays.pred_volume,
        np.asarray(platform.bandwidth, dtype=np.float64), float(platform.startup_latency),
        pe_of, start_of, finish_of, free, releases, extra, pinned, insertion,
    )
    if failed >= 0:  # pragma: no cover - the cost table guarantees a PE per task
        raise ValueError(f"task {graph.task_names[failed]!r} has no PE that can run it")
    after = free.copy()
    if tasks.size:
        np.maximum.at(after, pe_of[tasks], finish_of[tasks])
    return Placement(tasks, pe_of[tasks].copy(), start_of[tasks].copy(),
                     finish_of[tasks].copy(), after)


def _result(placement: Placement, n_tasks: int, method: str, t0: float) -> ListScheduleResult:
    by_task = np.argsort(placement.tasks)
    trace = Trace(
        job=np.zeros(n_tasks, dtype=np.int64),
        task=placement.tasks[by_task],
        pe=placement.pe[by_task],
        start=placement.start[by_task],
        finish=placement.finish[by_task],
    )
    makespan = float(placement.finish.max(initial=0.0))
    return ListScheduleResult(trace, makespan, time.perf_counter() - t0, method)


# ---------------------------------------------------------------------------------------------
# the schedulers


def heft(graph: TaskGraph, platform: Platform, rank: RankKind = "mean") -> ListScheduleResult:
    """Heterogeneous Earliest Finish Time (Topcuoglu et al. 2002), insertion-based.

    :param graph: the DAG.
    :param platform: the PEs.
    :param rank: ``"mean"`` (the paper), ``"best"`` or ``"worst"``: how a task's execution
        times are summarised in its upward rank (see :func:`upward_rank`).
    """
    t0 = time.perf_counter()
    table = _cost_table(graph, platform, None)
    order = heft_order(graph, platform, rank, cost=table)
    placement = schedule_tasks(graph, platform, order, cost=table)
    return _result(placement, graph.n_tasks, "heft" if rank == "mean" else f"heft-{rank}", t0)


def optimistic_cost_table(
    graph: TaskGraph, platform: Platform, cost: np.ndarray | None = None
) -> np.ndarray:
    """PEFT's optimistic cost table ``OCT(t, p)``, ``(n_tasks, n_pes)`` (module docstring).

    :param graph: the DAG.
    :param platform: the PEs.
    :param cost: execution times instead of ``graph.cost_on(platform)``.
    """
    table = _cost_table(graph, platform, cost)
    arrays = _arrays(graph)
    return _optimistic_cost_table(arrays.topo, table, arrays.succ_ptr, arrays.succ_task,
                                  arrays.succ_edge, _mean_transfer(graph, platform, table))


def peft(graph: TaskGraph, platform: Platform) -> ListScheduleResult:
    """Predict Earliest Finish Time (Arabnejad and Barbosa 2014), insertion-based.

    :param graph: the DAG.
    :param platform: the PEs.
    """
    t0 = time.perf_counter()
    table = _cost_table(graph, platform, None)
    arrays = _arrays(graph)
    oct_table = optimistic_cost_table(graph, platform, table)
    can_run = np.isfinite(table)
    rank_oct = np.where(can_run, oct_table, 0.0).sum(axis=1) / can_run.sum(axis=1)
    order = _ready_order(rank_oct, arrays)
    placement = schedule_tasks(graph, platform, order, cost=table, lookahead=oct_table)
    return _result(placement, graph.n_tasks, "peft", t0)


def critical_path(graph: TaskGraph, platform: Platform,
                  cost: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """CPOP's priorities and critical path.

    :param graph: the DAG.
    :param platform: the PEs.
    :param cost: execution times instead of ``graph.cost_on(platform)``.
    :returns: ``(priority, path)``: ``rank_u + rank_d`` per task, and the critical path's tasks
        from entry to exit.
    """
    table = _cost_table(graph, platform, cost)
    arrays = _arrays(graph)
    weight = _task_weights(table, 0)
    transfer = _mean_transfer(graph, platform, table)
    up = _upward_rank(arrays.topo, np.ones(graph.n_tasks, dtype=np.bool_), weight,
                      arrays.succ_ptr, arrays.succ_task, arrays.succ_edge, transfer)
    down = _downward_rank(arrays.topo, weight, arrays.pred_ptr, arrays.pred_task,
                          arrays.pred_edge, transfer)
    priority = up + down
    key = tie_key(priority)
    entries = np.flatnonzero(np.diff(arrays.pred_ptr) == 0)
    # entries are in index order and argmax returns the first maximum: lower index on ties
    task = int(entries[np.argmax(key[entries])])
    path = [task]
    while arrays.succ_ptr[task + 1] > arrays.succ_ptr[task]:
        succs = arrays.succ_task[arrays.succ_ptr[task]:arrays.succ_ptr[task + 1]]
        task = int(succs[key[succs] == key[succs].max()].min())
        path.append(task)
    return priority, np.asarray(path, dtype=np.int64)


def cpop(graph: TaskGraph, platform: Platform) -> ListScheduleResult:
    """Critical Path On a Processor (Topcuoglu et al. 2002), insertion-based.

    :param graph: the DAG.
    :param platform: the PEs.
    """
    t0 = time.perf_counter()
    table = _cost_table(graph, platform, None)
    arrays = _arrays(graph)
    priority, path = critical_path(graph, platform, table)
    on_path = table[path]
    runs = np.isfinite(on_path).sum(axis=0)
    path_cost = np.where(np.isfinite(on_path), on_path, 0.0).sum(axis=0)
    # most critical tasks runnable first, then the cheapest, then the lower PE index
    cp_pe = int(np.lexsort((np.arange(platform.n_pes), path_cost, -runs))[0])
    pinned = np.full(graph.n_tasks, -1, dtype=np.int64)
    pinned[path[np.isfinite(on_path[:, cp_pe])]] = cp_pe
    order = _ready_order(priority, arrays)
    placement = schedule_tasks(graph, platform, order, cost=table, pinned_pe=pinned)
    return _result(placement, graph.n_tasks, "cpop", t0)


SCHEDULERS = {"heft": heft, "peft": peft, "cpop": cpop}
"""The list schedulers by name."""
