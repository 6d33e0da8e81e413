"""OR-Tools CP-SAT on one task DAG: an exact makespan minimiser for small SoC instances.

The model, stated as the math (times in integer ticks, see below):

- for every task ``i`` and every PE ``q`` that can run it, an optional interval of length
  ``d(i, q)`` whose presence literal ``x[i, q]`` says "``i`` runs on ``q``"; all of a task's
  intervals share its ``start[i]`` and ``end[i]``, and exactly one is present;
- ``AddNoOverlap`` over the intervals of each PE;
- for every edge ``i -> j``: ``end[i] <= start[j]``, and for each PE ``a`` of ``i``, enforced by
  ``x[i, a]``: ``start[j] >= end[i] + sum_b c(i->j, a, b) * x[j, b]``, where ``c(i->j, a, b)``
  is the transfer time of the edge's volume from ``a`` to ``b`` (0 when ``a == b``). Exactly one
  ``x[j, b]`` is 1, so the sum is the transfer between the two PEs actually chosen: the data
  arrival is modelled exactly, for any bandwidth matrix and startup latency;
- minimise ``makespan = max_i end[i]``.

Time resolution
---------------
CP-SAT needs integers. Every execution and transfer time is rounded **up** to a tick of
``1 / ticks_per_us`` µs (default 0.01 µs) before solving; values already on that grid (within
1e-6 tick), such as Topcuoglu's integer costs, are kept exactly. The schedule CP-SAT returns
is then re-timed in floating point with the true times: same PE for every task, same order
on every PE, each task as early as its data and its PE allow. Rounding up only ever lengthens
times, so the re-timed schedule is at least as short as the rounded one, and the independent
:func:`decisiongym.envs.soc.solution.validate` accepts it. The rounding costs at most one tick
per task and per edge on the critical chain, i.e. at most ``(2n - 1)`` ticks over the true
optimum on an ``n``-task graph; the reported ``bound`` subtracts exactly that worst case from
CP-SAT's bound, so it stays a valid lower bound on the true (unrounded) optimum, and equals
CP-SAT's bound when every time is on the grid.

Warm start
----------
By default the model starts from HEFT's schedule (:func:`decisiongym.baselines.soc.list_scheduling.
heft`), or from the ``warm_start`` given: the schedule re-timed on the integer grid is passed
as a hint, its makespan as an upper bound, and it is returned as is when CP-SAT finds nothing
shorter, so the result is never longer than the warm start.

Sizes
-----
Meant for small DAGs: up to about 15 tasks on 3-4 PEs it usually proves optimality in a few
seconds; up to about 30 tasks on 8 PEs it improves on HEFT but may not prove it. The model
holds ``O(n·p)`` intervals and ``O(e·p)`` transfer constraints of ``p`` terms each, so larger
graphs are better served by the list schedulers.
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

import numpy as np
from ortools.sat.python import cp_model

from decisiongym.baselines.soc.list_scheduling import heft
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.solution import Trace, validate

# A time this close below a tick counts as on it, so float noise in a value like 0.29 * 100
# does not cost a whole tick.
_GRID_TOLERANCE = 1e-6


class DagCpSatResult(NamedTuple):
    """What :func:`solve_dag_cpsat` returns (unpacks as a 5-tuple).

    :param trace: best schedule found (one row per task, task-index order, job 0); ``None``
        only when there was no warm start and CP-SAT found nothing in time.
    :param makespan: its makespan in µs, or ``None``.
    :param bound: a lower bound on the optimal makespan in µs (see the module docstring).
    :param status: ``"OPTIMAL"`` (optimal on the tick grid, hence truly optimal when every
        time is on the grid), ``"FEASIBLE"``, ``"INFEASIBLE"`` or ``"UNKNOWN"``.
    :param wall_s: wall time of the whole call, model building and warm start included.
    """

    trace: Trace | None
    makespan: float | None
    bound: float
    status: str
    wall_s: float


def _to_ticks(value: float, ticks_per_us: int) -> int:
    return int(math.ceil(value * ticks_per_us - _GRID_TOLERANCE))


def _retime(
    order: list[int],
    pe: list[int],
    duration: list[list[float]] | list[list[int]],
    transfer: dict[tuple[int, int, int], float] | dict[tuple[int, int, int], int],
    preds: list[list[tuple[int, int]]],
) -> tuple[list[float], list[float]]:
    """Start each task, in ``order``, as early as its PE and its predecessors' data allow.

    ``order`` must list every task after its predecessors and after the tasks before it on its
    PE; ``transfer[e, a, b]`` is the time of edge ``e`` from PE ``a`` to PE ``b``."""
    n = len(order)
    start: list[float] = [0.0] * n
    finish: list[float] = [0.0] * n
    pe_free: dict[int, float] = {}
    for t in order:
        q = pe[t]
        ready = pe_free.get(q, 0)
        for u, e in preds[t]:
            ready = max(ready, finish[u] + transfer.get((e, pe[u], q), 0))
        start[t] = ready
        finish[t] = ready + duration[t][q]
        pe_free[q] = finish[t]
    return start, finish


def _trace(pe: list[int], start: list[float], finish: list[float]) -> Trace:
    n = len(pe)
    return Trace(job=np.zeros(n, dtype=np.int64), task=np.arange(n), pe=np.asarray(pe),
                 start=np.asarray(start, dtype=np.float64),
                 finish=np.asarray(finish, dtype=np.float64))


def solve_dag_cpsat(
    graph: TaskGraph,
    platform: Platform,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    warm_start: Trace | None = None,
    *,
    heft_warm_start: bool = True,
    ticks_per_us: int = 100,
) -> DagCpSatResult:
    """Minimise one DAG's makespan on a platform with CP-SAT.

    With several workers and a time limit, CP-SAT's result can vary between runs even with the
    same seed (its workers race); one worker with a fixed seed is deterministic.

    :param graph: the DAG (small: see the module docstring).
    :param platform: the PEs and links.
    :param time_limit: seconds of search.
    :param workers: CP-SAT search workers (use at most the number of cores).
    :param seed: CP-SAT's random seed.
    :param warm_start: a complete schedule of this graph (job 0) to start from; it must pass
        :func:`validate`. When omitted, HEFT's schedule is used unless ``heft_warm_start`` is
        False.
    :param heft_warm_start: start from HEFT when ``warm_start`` is omitted.
    :param ticks_per_us: integer time resolution of the model (100: 0.01 µs).
    :raises ValueError: on a non-positive time limit, worker count or resolution.
    :raises ValidationError: when ``warm_start`` is not a valid schedule of the graph.
    """
    if time_limit <= 0:
        raise ValueError(f"time_limit must be > 0 seconds, got {time_limit}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if ticks_per_us < 1:
        raise ValueError(f"ticks_per_us must be an integer >= 1, got {ticks_per_us}")
    t0 = time.perf_counter()
    n, n_pes = graph.n_tasks, platform.n_pes
    table = graph.cost_on(platform)
    cost = table.tolist()
    can_run = [[q for q in range(n_pes) if math.isfinite(cost[t][q])] for t in range(n)]
    preds = graph.predecessors()
    edges = graph.edges.tolist()
    volume = graph.volume.tolist()
    bandwidth = platform.bandwidth.tolist()
    startup = float(platform.startup_latency)

    # exact times, in the same expression the list schedulers use
    transfer: dict[tuple[int, int, int], float] = {}
    for e, (a, b) in enumerate(edges):
        if volume[e] <= 0:
            continue
        for p in can_run[a]:
            for q in can_run[b]:
                if p != q:
                    transfer[e, p, q] = startup + volume[e] / bandwidth[p][q]
    duration_ticks = [[_to_ticks(c, ticks_per_us) if math.isfinite(c) else 0 for c in row]
                      for row in cost]
    transfer_ticks = {key: _to_ticks(value, ticks_per_us) for key, value in transfer.items()}
    rounding = [duration_ticks[t][q] - cost[t][q] * ticks_per_us
                for t in range(n) for q in can_run[t]]
    rounding += [transfer_ticks[key] - value * ticks_per_us for key, value in transfer.items()]
    worst_rounding = max(0.0, max(rounding, default=0.0))

    if warm_start is None and heft_warm_start:
        warm_start = heft(graph, platform).trace
    warm_makespan: float | None = None
    warm_pe: list[int] = []
    warm_ticks: tuple[list[float], list[float]] | None = None
    if warm_start is not None:
        warm_makespan = validate(platform, graph, warm_start)
        by_task = np.argsort(warm_start.task)
        warm_pe = warm_start.pe[by_task].tolist()
        starts = warm_start.start[by_task]
        order = np.lexsort((np.arange(n), warm_start.finish[by_task], starts)).tolist()
        warm_ticks = _retime(order, warm_pe, duration_ticks, transfer_ticks, preds)

    if warm_ticks is not None:
        horizon = int(max(warm_ticks[1], default=0))
    else:
        # everything in sequence, each transfer at its slowest: no schedule is longer
        slowest: dict[int, int] = {}
        for (e, _, _), ticks in transfer_ticks.items():
            slowest[e] = max(slowest.get(e, 0), ticks)
        horizon = sum(max(duration_ticks[t][q] for q in can_run[t]) for t in range(n))
        horizon += sum(slowest.values())

    cp = cp_model.CpModel()
    start = [cp.new_int_var(0, horizon, f"start_{t}") for t in range(n)]
    end = [cp.new_int_var(0, horizon, f"end_{t}") for t in range(n)]
    runs_on: list[dict[int, cp_model.IntVar]] = []
    per_pe: list[list[cp_model.IntervalVar]] = [[] for _ in range(n_pes)]
    for t in range(n):
        choice = {}
        for q in can_run[t]:
            present = cp.new_bool_var(f"task_{t}_on_{q}")
            per_pe[q].append(cp.new_optional_interval_var(
                start[t], duration_ticks[t][q], end[t], present, f"task_{t}_{q}"))
            choice[q] = present
        cp.add_exactly_one(choice.values())
        runs_on.append(choice)
    for intervals in per_pe:
        if len(intervals) > 1:
            cp.add_no_overlap(intervals)
    for e, (a, b) in enumerate(edges):
        cp.add(end[a] <= start[b])
        for p in can_run[a]:
            delay = [(transfer_ticks[e, p, q], runs_on[b][q]) for q in can_run[b]
                     if transfer_ticks.get((e, p, q), 0) > 0]
            if delay:
                cp.add(start[b] >= end[a] + sum(c * x for c, x in delay)).only_enforce_if(
                    runs_on[a][p])
    makespan = cp.new_int_var(0, horizon, "makespan")
    cp.add_max_equality(makespan, end)
    cp.minimize(makespan)

    if warm_ticks is not None:
        for t in range(n):
            cp.add_hint(start[t], int(warm_ticks[0][t]))
            cp.add_hint(end[t], int(warm_ticks[1][t]))
            for q, present in runs_on[t].items():
                cp.add_hint(present, q == warm_pe[t])
        cp.add_hint(makespan, horizon)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = int(seed)
    status = solver.solve(cp)
    status_name = solver.status_name(status)
    # the rounded problem's bound, less the most the rounding can add along a critical chain
    slack = (2 * n - 1) * worst_rounding
    bound = max(0.0, (math.ceil(solver.best_objective_bound - 1e-6) - slack) / ticks_per_us)

    trace: Trace | None = None
    found: float | None = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = [next(q for q, x in runs_on[t].items() if solver.boolean_value(x))
                  for t in range(n)]
        tick_start = [solver.value(start[t]) for t in range(n)]
        order = sorted(range(n), key=lambda t: (tick_start[t], t))
        times = _retime(order, chosen, cost, transfer, preds)
        trace, found = _trace(chosen, *times), max(times[1], default=0.0)
    if warm_start is not None and warm_makespan is not None and (
            found is None or found > warm_makespan):
        # the re-timed solution can only tie the warm start's ticks, not beat its true times
        if status == cp_model.INFEASIBLE:
            status_name = "OPTIMAL"  # nothing beats the warm start's own upper bound
        elif found is None:
            status_name = "FEASIBLE"
        by_task = np.argsort(warm_start.task)
        trace = _trace(warm_pe, warm_start.start[by_task].tolist(),
                       warm_start.finish[by_task].tolist())
        found = warm_makespan
    if found is not None:
        # float noise may put a proven-optimal bound a few ulps above the schedule's makespan
        bound = min(bound, found)
    return DagCpSatResult(trace, found, bound, status_name, time.perf_counter() - t0)
