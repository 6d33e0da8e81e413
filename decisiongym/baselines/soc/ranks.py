"""The priorities of the list schedulers: averaged execution and transfer times, HEFT's
upward rank, CPOP's downward rank and critical path, PEFT's optimistic cost table, and
the ready-list order they all take tasks in.

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
    bandwidth[a, b])`` (``transfer_average="time"``, the default). Pairs ``a == b`` are left
    out rather than counted as free transfers, so ``c̄`` is what the edge costs *when* the data
    move. It is 0 when the volume is 0 or when no such pair exists (both ends can only run on
    one and the same PE, so the data never move).

    ``transfer_average="bandwidth"`` is the formula as Topcuoglu et al. (2002, section 3) write
    it, ``c̄ = L̄ + data / B̄`` with ``B̄`` the average transfer rate: ``startup_latency + volume
    / mean(bandwidth[a, b])`` over the same pairs. It averages the bandwidths where the default
    averages their inverses, so it is never larger (the arithmetic mean of the bandwidths is at
    least their harmonic mean) and the two agree exactly when those pairs share one bandwidth.
    On Topcuoglu's example (uniform links, every pair possible) both give the published edge
    cost; on random platforms (:func:`decisiongym.envs.soc.generator.random_platform`, links
    uniform in [0.5, 2]) they rank tasks differently.

Ties are broken towards the lower task index (which task goes next) and the lower PE index
(which PE wins), so every result is deterministic.

The numba kernels here are plain functions over a graph's adjacency in CSR form
(:class:`GraphArrays`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numba import njit

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform

RankKind = Literal["mean", "best", "worst"]
_RANK_KINDS: dict[str, int] = {"mean": 0, "best": 1, "worst": 2}
TransferAverage = Literal["time", "bandwidth"]
_TRANSFER_AVERAGES: dict[str, int] = {"time": 0, "bandwidth": 1}


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
    startup: float, kind: int,
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
                    if kind == 0:
                        total += 1.0 / bandwidth[a, b]
                    else:
                        total += bandwidth[a, b]
                    count += 1
        if count > 0:
            if kind == 0:
                out[e] = startup + v * (total / count)
            else:
                out[e] = startup + v / (total / count)
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


# ---------------------------------------------------------------------------------------------
# graph arrays and tables


@dataclass(frozen=True)
class GraphArrays:
    """A graph's adjacency in compressed (CSR) form, edges grouped by task in edge order."""

    topo: np.ndarray
    pred_ptr: np.ndarray
    pred_task: np.ndarray
    pred_edge: np.ndarray
    pred_volume: np.ndarray
    succ_ptr: np.ndarray
    succ_task: np.ndarray
    succ_edge: np.ndarray


def graph_arrays(graph: TaskGraph) -> GraphArrays:
    """The adjacency of ``graph`` in CSR form, and its topological order."""
    n = graph.n_tasks
    edges = graph.edges
    by_dst = np.argsort(edges[:, 1], kind="stable")
    by_src = np.argsort(edges[:, 0], kind="stable")
    pred_ptr = np.zeros(n + 1, dtype=np.int64)
    succ_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(edges[:, 1], minlength=n), out=pred_ptr[1:])
    np.cumsum(np.bincount(edges[:, 0], minlength=n), out=succ_ptr[1:])
    return GraphArrays(
        topo=np.asarray(graph.topological_order, dtype=np.int64),
        pred_ptr=pred_ptr,
        pred_task=np.ascontiguousarray(edges[by_dst, 0]),
        pred_edge=by_dst.astype(np.int64),
        pred_volume=np.ascontiguousarray(graph.volume[by_dst]),
        succ_ptr=succ_ptr,
        succ_task=np.ascontiguousarray(edges[by_src, 1]),
        succ_edge=by_src.astype(np.int64),
    )


def cost_table(graph: TaskGraph, platform: Platform, cost: np.ndarray | None) -> np.ndarray:
    """Execution times, ``(n_tasks, n_pes)``: ``graph.cost_on(platform)`` when ``cost`` is
    ``None``, else ``cost`` once checked (positive, ``inf`` where a PE cannot run the task, and
    some PE for every task).

    :raises ValueError: naming what is wrong with ``cost``.
    """
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


def _transfer_kind(transfer_average: str) -> int:
    if transfer_average not in _TRANSFER_AVERAGES:
        raise InputError(f"must be one of {sorted(_TRANSFER_AVERAGES)}, got "
                         f"{transfer_average!r}", "transfer_average")
    return _TRANSFER_AVERAGES[transfer_average]


def _mean_transfer(graph: TaskGraph, platform: Platform, cost: np.ndarray,
                   transfer_average: str = "time") -> np.ndarray:
    return _mean_transfers(
        graph.edges, graph.volume, cost, np.asarray(platform.bandwidth, dtype=np.float64),
        float(platform.startup_latency), _transfer_kind(transfer_average),
    )


def mean_transfer_times(graph: TaskGraph, platform: Platform,
                        transfer_average: TransferAverage = "time",
                        cost: np.ndarray | None = None) -> np.ndarray:
    """``c̄`` of every edge, in ``graph.edges`` order (see the module docstring).

    :param graph: the DAG.
    :param platform: the PEs and links the average runs over.
    :param transfer_average: ``"time"`` (the mean of the transfer times, the default) or
        ``"bandwidth"`` (Topcuoglu's ``L̄ + data / B̄``, the volume over the mean bandwidth).
    :param cost: execution times instead of ``graph.cost_on(platform)`` (they decide which PE
        pairs count).
    :raises InputError: for another ``transfer_average``.
    """
    return _mean_transfer(graph, platform, cost_table(graph, platform, cost), transfer_average)


def ready_order(priority: np.ndarray, arrays: GraphArrays,
                active: np.ndarray | None = None) -> np.ndarray:
    """Tasks in ready-list order: repeatedly the ready task of highest priority, priorities
    equal on the :data:`TIE_RESOLUTION` grid going to the lower index.

    :param priority: ``(n_tasks,)`` priorities.
    :param arrays: the graph's :func:`graph_arrays`.
    :param active: order only these tasks (a mask); all when omitted.
    """
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
# ranks, public


def upward_rank(
    graph: TaskGraph,
    platform: Platform,
    rank: RankKind = "mean",
    tasks: np.ndarray | list[int] | None = None,
    cost: np.ndarray | None = None,
    transfer_average: TransferAverage = "time",
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
    :param transfer_average: how ``c̄`` averages an edge's transfer over the PE pairs:
        ``"time"`` (the mean transfer time, the default) or ``"bandwidth"`` (Topcuoglu's
        ``L̄ + data / B̄``).
    :returns: ``(n_tasks,)`` ranks; ``nan`` for tasks outside ``tasks``.
    :raises InputError: for another ``transfer_average``.
    """
    if rank not in _RANK_KINDS:
        raise ValueError(f"rank must be one of {sorted(_RANK_KINDS)}, got {rank!r}")
    table = cost_table(graph, platform, cost)
    arrays = graph_arrays(graph)
    return _upward_rank(
        arrays.topo, _active_mask(graph.n_tasks, tasks), _task_weights(table, _RANK_KINDS[rank]),
        arrays.succ_ptr, arrays.succ_task, arrays.succ_edge,
        _mean_transfer(graph, platform, table, transfer_average),
    )


def heft_order(
    graph: TaskGraph,
    platform: Platform,
    rank: RankKind = "mean",
    tasks: np.ndarray | list[int] | None = None,
    cost: np.ndarray | None = None,
    transfer_average: TransferAverage = "time",
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
    :param transfer_average: see :func:`upward_rank`.
    :returns: task indices.
    """
    arrays = graph_arrays(graph)
    priority = upward_rank(graph, platform, rank, tasks, cost, transfer_average)
    active = _active_mask(graph.n_tasks, tasks)
    return ready_order(np.nan_to_num(priority, nan=-np.inf), arrays, active)


def optimistic_cost_table(
    graph: TaskGraph, platform: Platform, cost: np.ndarray | None = None
) -> np.ndarray:
    """PEFT's optimistic cost table ``OCT(t, p)``, ``(n_tasks, n_pes)`` (its definition is in
    :mod:`decisiongym.baselines.soc.list_scheduling`).

    :param graph: the DAG.
    :param platform: the PEs.
    :param cost: execution times instead of ``graph.cost_on(platform)``.
    """
    table = cost_table(graph, platform, cost)
    arrays = graph_arrays(graph)
    return _optimistic_cost_table(arrays.topo, table, arrays.succ_ptr, arrays.succ_task,
                                  arrays.succ_edge, _mean_transfer(graph, platform, table))


def critical_path(graph: TaskGraph, platform: Platform,
                  cost: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """CPOP's priorities and critical path.

    :param graph: the DAG.
    :param platform: the PEs.
    :param cost: execution times instead of ``graph.cost_on(platform)``.
    :returns: ``(priority, path)``: ``rank_u + rank_d`` per task, and the critical path's tasks
        from entry to exit.
    """
    table = cost_table(graph, platform, cost)
    arrays = graph_arrays(graph)
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
