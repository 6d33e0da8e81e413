"""A deliberately plain HEFT: the textbook algorithm in lists and dicts, no numpy in the loops.

The benchmark runs it beside :func:`decisiongym.baselines.soc.list_scheduling.heft` to show what the
array kernels buy. It computes the same thing, with the same averages, the same tie rules and
the same floating-point expressions in the same order, so the two give the same schedule; only
the data structures differ: each PE's busy slots are a Python list scanned from the start for
the first gap that fits.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from decisiongym.baselines.soc.list_scheduling import heft
from decisiongym.baselines.soc.ranks import TIE_RESOLUTION
from decisiongym.envs.soc.generator import RandomDAGGenerator, random_platform
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform


def heft_reference(
    graph: TaskGraph, platform: Platform
) -> tuple[float, dict[int, tuple[int, float, float]], float]:
    """Insertion-based HEFT with mean upward ranks, written out plainly.

    :param graph: the DAG.
    :param platform: the PEs.
    :returns: ``(makespan, schedule, wall_s)`` where ``schedule[task] = (pe, start, finish)``.
    """
    t0 = time.perf_counter()
    cost = graph.cost_on(platform).tolist()
    bandwidth = platform.bandwidth.tolist()
    startup = float(platform.startup_latency)
    n_pes = platform.n_pes
    n_tasks = graph.n_tasks
    edges = [(int(a), int(b)) for a, b in graph.edges.tolist()]
    volume = graph.volume.tolist()
    succs: dict[int, list[tuple[int, int]]] = {t: [] for t in range(n_tasks)}
    preds: dict[int, list[tuple[int, int]]] = {t: [] for t in range(n_tasks)}
    for e, (a, b) in enumerate(edges):
        succs[a].append((b, e))
        preds[b].append((a, e))

    # mean execution time over the PEs that can run the task
    mean_cost = []
    for t in range(n_tasks):
        total = 0.0
        count = 0
        for q in range(n_pes):
            if math.isfinite(cost[t][q]):
                total += cost[t][q]
                count += 1
        mean_cost.append(total / count)

    # mean transfer time over pairs of distinct PEs able to run the two ends; tasks share few
    # distinct sets of PEs, so the mean of 1 / bandwidth is kept per pair of sets
    hosts = [tuple(q for q in range(n_pes) if math.isfinite(cost[t][q])) for t in range(n_tasks)]
    mean_inverse: dict[tuple[tuple[int, ...], tuple[int, ...]], float | None] = {}
    mean_comm = []
    for e, (a, b) in enumerate(edges):
        key = (hosts[a], hosts[b])
        if key not in mean_inverse:
            total = 0.0
            count = 0
            for p in hosts[a]:
                for q in hosts[b]:
                    if q != p:
                        total += 1.0 / bandwidth[p][q]
                        count += 1
            mean_inverse[key] = total / count if count else None
        inverse = mean_inverse[key]
        if volume[e] <= 0.0 or inverse is None:
            mean_comm.append(0.0)
        else:
            mean_comm.append(startup + volume[e] * inverse)

    rank: dict[int, float] = {}
    for t in reversed(graph.topological_order.tolist()):
        best = 0.0
        for s, e in succs[t]:
            best = max(best, mean_comm[e] + rank[s])
        rank[t] = mean_cost[t] + best
    order = sorted(range(n_tasks), key=lambda t: (-round(rank[t] / TIE_RESOLUTION), t))

    slots: dict[int, list[tuple[float, float]]] = {q: [] for q in range(n_pes)}
    placed: dict[int, tuple[int, float, float]] = {}
    for t in order:
        best_pe, best_start, best_finish = -1, 0.0, math.inf
        for q in range(n_pes):
            duration = cost[t][q]
            if not math.isfinite(duration):
                continue
            ready = 0.0
            for u, e in preds[t]:
                u_pe, _, u_finish = placed[u]
                arrival = u_finish
                if u_pe != q and volume[e] > 0.0:
                    arrival = u_finish + (startup + volume[e] / bandwidth[u_pe][q])
                ready = max(ready, arrival)
            start = None
            previous_finish = 0.0
            for slot_start, slot_finish in slots[q]:
                candidate = max(ready, previous_finish)
                if candidate + duration <= slot_start:
                    start = candidate
                    break
                previous_finish = slot_finish
            if start is None:
                start = max(ready, previous_finish)
            if start + duration < best_finish:
                best_pe, best_start, best_finish = q, start, start + duration
        placed[t] = (best_pe, best_start, best_finish)
        slots[best_pe].append((best_start, best_finish))
        slots[best_pe].sort()
    makespan = max(finish for _, _, finish in placed.values())
    return makespan, placed, time.perf_counter() - t0


def heft_speed_table(
    sizes: Sequence[int] = (100, 1000, 5000),
    n_pes: int = 16,
    n_types: int = 4,
    density: float = 0.1,
    seed: int = 0,
    reference_up_to: int = 5000,
    repeats: int = 3,
) -> list[dict[str, Any]]:
    """Time :func:`heft` and :func:`heft_reference` on random DAGs of several sizes.

    One random platform of ``n_pes`` PEs is shared by all sizes; each DAG has 20% infeasible
    (task, PE type) pairs. :func:`heft` is called once before timing so the numba kernels are
    compiled or loaded from cache; each side's time is the least of ``repeats`` calls, so that
    a stray pause of the machine (a collection, another process) does not set the ratio.

    :param sizes: numbers of tasks.
    :param n_pes: PEs of the platform.
    :param n_types: PE types of the platform.
    :param density: edge probability between adjacent layers (see :class:`RandomDAGGenerator`).
    :param seed: seed of the platform and the graphs.
    :param reference_up_to: skip the plain-Python reference above this many tasks.
    :param repeats: timed calls of each side.
    :returns: one record per size: ``n_tasks``, ``n_edges``, ``heft_s``, ``reference_s``
        (``None`` when skipped), ``makespan``, ``same_makespan`` (``None`` when skipped).
    """
    type_names = tuple(f"P{t + 1}" for t in range(n_types))
    platform = random_platform(n_pes, n_types, seed)
    records = []
    for n_tasks in sizes:
        generator = RandomDAGGenerator(n_tasks=n_tasks, density=density, type_names=type_names,
                                       p_unsupported=0.2)
        graph = generator.sample(seed)
        heft(graph, platform)
        runs = [heft(graph, platform) for _ in range(repeats)]
        ours = runs[0]
        record: dict[str, Any] = {"n_tasks": n_tasks, "n_edges": graph.n_edges,
                                  "heft_s": min(run.wall_s for run in runs),
                                  "reference_s": None, "makespan": ours.makespan,
                                  "same_makespan": None}
        if n_tasks <= reference_up_to:
            references = [heft_reference(graph, platform) for _ in range(repeats)]
            record["reference_s"] = min(wall_s for _, _, wall_s in references)
            record["same_makespan"] = all(makespan == ours.makespan
                                          for makespan, _, _ in references)
        records.append(record)
    return records
