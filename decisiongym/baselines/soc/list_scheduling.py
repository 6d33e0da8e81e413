"""Static list schedulers for one task DAG on a heterogeneous platform: HEFT, PEFT and CPOP.

A list scheduler gives every task a priority, takes the tasks one at a time in priority order (a
task only once all its predecessors are placed) and puts each on the PE that minimises a cost,
at the earliest start that PE allows. All three here place by **insertion**
(:mod:`decisiongym.baselines.soc.placement`): a task may go into an idle gap between two tasks
already on a PE when it fits there entirely, otherwise after the PE's last task. The start on PE
``q`` is never before the task's data arrive: ``finish(u) + transfer(u -> q)`` for every
predecessor ``u`` (no transfer on the same PE).

The priorities and the averages ``w̄`` and ``c̄`` they are built from are defined in
:mod:`decisiongym.baselines.soc.ranks`; ties go to the lower task index and the lower PE
index, so every result is deterministic.

The algorithms
--------------
``heft``  Topcuoglu, Hariri and Wu (IEEE TPDS 13(3), 2002). Upward rank
          ``rank_u(t) = w̄(t) + max_{s in succ(t)} (c̄(t, s) + rank_u(s))``; tasks by
          decreasing rank; PE by earliest finish time (EFT). ``w̄`` is the mean execution
          time over the PEs that can run the task; ``c̄`` is by default the mean transfer
          time over the pairs of distinct PEs that can run the edge's two ends,
          ``startup + volume * mean(1 / bandwidth)``; ``transfer_average="bandwidth"`` takes
          the paper's ``L̄ + data / B̄`` instead, ``startup + volume / mean(bandwidth)`` over
          the same pairs. The two agree on uniform links (Topcuoglu's example) and differ
          when the links' bandwidths differ.
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
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from decisiongym.baselines.soc.placement import Placement, schedule_tasks
from decisiongym.baselines.soc.ranks import (
    RankKind,
    TransferAverage,
    cost_table,
    critical_path,
    graph_arrays,
    heft_order,
    optimistic_cost_table,
    ready_order,
)
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.solution import Trace


@dataclass(frozen=True)
class ListScheduleResult:
    """A list scheduler's schedule.

    :param trace: one row per task, in task-index order, all with ``job`` 0.
    :param makespan: the largest finish time.
    :param wall_s: wall time of the whole call (ranking and placement).
    :param method: ``"heft"``, ``"peft"`` or ``"cpop"`` (with the rank kind when not the mean,
        e.g. ``"heft-best"``, and ``"-bandwidth"`` when HEFT averages bandwidths, e.g.
        ``"heft-bandwidth"``).
    """

    trace: Trace
    makespan: float
    wall_s: float
    method: str


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


def heft(graph: TaskGraph, platform: Platform, rank: RankKind = "mean",
         transfer_average: TransferAverage = "time") -> ListScheduleResult:
    """Heterogeneous Earliest Finish Time (Topcuoglu et al. 2002), insertion-based.

    The upward rank averages a task's execution time over the PEs that can run it and an
    edge's transfer over the pairs of distinct PEs that can run its two ends (the module
    docstring of :mod:`decisiongym.baselines.soc.ranks` defines both exactly).

    :param graph: the DAG.
    :param platform: the PEs.
    :param rank: ``"mean"`` (the paper), ``"best"`` or ``"worst"``: how a task's execution
        times are summarised in its upward rank (see
        :func:`~decisiongym.baselines.soc.ranks.upward_rank`).
    :param transfer_average: ``"time"`` (default): an edge's average cost is the mean of its
        transfer times, ``startup + volume * mean(1 / bandwidth)``; ``"bandwidth"``: the
        paper's ``L̄ + data / B̄``, ``startup + volume / mean(bandwidth)``. They agree when
        every link has the same bandwidth (Topcuoglu's example: makespan 80 either way).
    :raises InputError: for another ``transfer_average``.
    """
    t0 = time.perf_counter()
    table = cost_table(graph, platform, None)
    order = heft_order(graph, platform, rank, cost=table, transfer_average=transfer_average)
    placement = schedule_tasks(graph, platform, order, cost=table)
    method = "heft" if rank == "mean" else f"heft-{rank}"
    if transfer_average == "bandwidth":
        method += "-bandwidth"
    return _result(placement, graph.n_tasks, method, t0)


def peft(graph: TaskGraph, platform: Platform) -> ListScheduleResult:
    """Predict Earliest Finish Time (Arabnejad and Barbosa 2014), insertion-based.

    :param graph: the DAG.
    :param platform: the PEs.
    """
    t0 = time.perf_counter()
    table = cost_table(graph, platform, None)
    arrays = graph_arrays(graph)
    oct_table = optimistic_cost_table(graph, platform, table)
    can_run = np.isfinite(table)
    rank_oct = np.where(can_run, oct_table, 0.0).sum(axis=1) / can_run.sum(axis=1)
    order = ready_order(rank_oct, arrays)
    placement = schedule_tasks(graph, platform, order, cost=table, lookahead=oct_table)
    return _result(placement, graph.n_tasks, "peft", t0)


def cpop(graph: TaskGraph, platform: Platform) -> ListScheduleResult:
    """Critical Path On a Processor (Topcuoglu et al. 2002), insertion-based.

    :param graph: the DAG.
    :param platform: the PEs.
    """
    t0 = time.perf_counter()
    table = cost_table(graph, platform, None)
    arrays = graph_arrays(graph)
    priority, path = critical_path(graph, platform, table)
    on_path = table[path]
    runs = np.isfinite(on_path).sum(axis=0)
    path_cost = np.where(np.isfinite(on_path), on_path, 0.0).sum(axis=0)
    # most critical tasks runnable first, then the cheapest, then the lower PE index
    cp_pe = int(np.lexsort((np.arange(platform.n_pes), path_cost, -runs))[0])
    pinned = np.full(graph.n_tasks, -1, dtype=np.int64)
    pinned[path[np.isfinite(on_path[:, cp_pe])]] = cp_pe
    order = ready_order(priority, arrays)
    placement = schedule_tasks(graph, platform, order, cost=table, pinned_pe=pinned)
    return _result(placement, graph.n_tasks, "cpop", t0)


SCHEDULERS = {"heft": heft, "peft": peft, "cpop": cpop}
"""The list schedulers by name."""
