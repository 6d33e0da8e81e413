"""Tests of the CP-SAT model of one DAG: the Topcuoglu optimum, agreement with brute force when
transfer times depend on both PEs, warm starts, and the rounding of off-grid times."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from decisiongym.baselines.soc.cpsat import solve_dag_cpsat
from decisiongym.baselines.soc.list_scheduling import heft
from decisiongym.envs.core.errors import ValidationError
from decisiongym.envs.soc.builtin import topcuoglu_graph, topcuoglu_platform
from decisiongym.envs.soc.generator import RandomDAGGenerator, random_platform
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.solution import Trace, validate


def _brute_force_makespan(graph: TaskGraph, platform: Platform) -> float:
    """The optimum by enumeration: every optimal schedule, re-timed as early as possible in
    the order of its start times with the same PEs, stays optimal, so the minimum over all
    (PE assignment, precedence-respecting order) pairs is the optimum."""
    cost = graph.cost_on(platform)
    preds = graph.predecessors()
    n = graph.n_tasks
    orders = [order for order in itertools.permutations(range(n))
              if all(order.index(u) < order.index(t) for t in range(n) for u, _ in preds[t])]
    choices = [[q for q in range(platform.n_pes) if math.isfinite(cost[t, q])]
               for t in range(n)]
    best = math.inf
    for pe in itertools.product(*choices):
        for order in orders:
            finish = [0.0] * n
            free = [0.0] * platform.n_pes
            for t in order:
                ready = free[pe[t]]
                for u, e in preds[t]:
                    ready = max(ready, finish[u] + platform.transfer_time(
                        float(graph.volume[e]), pe[u], pe[t]))
                finish[t] = ready + cost[t, pe[t]]
                free[pe[t]] = finish[t]
            best = min(best, max(finish))
    return best


def _tiny_instance(seed: int) -> tuple[TaskGraph, Platform]:
    """5-6 tasks on 3 PEs with integer times, asymmetric links and a startup latency, so every
    transfer is on the 0.01 µs grid and depends on both PEs."""
    rng = np.random.default_rng(seed)
    drawn = RandomDAGGenerator(n_tasks=(5, 6), p_unsupported=0.25, ccr=1.5).sample(seed)
    graph = TaskGraph(drawn.name, drawn.task_names, drawn.type_names,
                      np.ceil(drawn.cost), drawn.edges, np.round(drawn.volume))
    bandwidth = rng.choice([0.5, 1.0, 2.0], size=(3, 3))
    platform = Platform("tiny", ("P1", "P2", "P3"), np.arange(3), np.ones(3), np.ones(3),
                        np.zeros(3), bandwidth, startup_latency=1.0)
    return graph, platform


def test_topcuoglu_optimum_is_73() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    result = solve_dag_cpsat(graph, platform, time_limit=20, workers=2)
    assert result.status == "OPTIMAL"
    assert result.makespan == 73.0 and result.bound == 73.0
    assert result.trace is not None
    assert validate(platform, graph, result.trace) == 73.0
    assert heft(graph, platform).makespan > result.makespan


def test_without_a_warm_start_the_optimum_is_the_same() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    trace, makespan, bound, status, _ = solve_dag_cpsat(graph, platform, time_limit=20,
                                                        heft_warm_start=False)
    assert (makespan, bound, status) == (73.0, 73.0, "OPTIMAL")
    assert trace is not None and validate(platform, graph, trace) == 73.0


@pytest.mark.parametrize("seed", range(5))
def test_cpsat_matches_brute_force_with_pe_dependent_transfers(seed: int) -> None:
    graph, platform = _tiny_instance(seed)
    assert len(set(platform.bandwidth[~np.eye(3, dtype=bool)].tolist())) > 1
    result = solve_dag_cpsat(graph, platform, time_limit=10, workers=1, seed=0)
    assert result.status == "OPTIMAL"
    assert result.makespan == pytest.approx(_brute_force_makespan(graph, platform), abs=1e-9)
    assert result.bound == pytest.approx(result.makespan, abs=1e-9)
    assert result.trace is not None
    assert validate(platform, graph, result.trace) == pytest.approx(result.makespan)


@pytest.mark.parametrize("time_limit", [0.001, 0.05])
def test_warm_start_is_never_worse_than_heft(time_limit: float) -> None:
    graph = RandomDAGGenerator(n_tasks=30, p_unsupported=0.2).sample(3)
    platform = random_platform(6, 3, 3)
    reference = heft(graph, platform)
    result = solve_dag_cpsat(graph, platform, time_limit=time_limit, workers=1)
    assert result.trace is not None and result.makespan is not None
    assert result.makespan <= reference.makespan
    assert result.bound <= result.makespan
    assert validate(platform, graph, result.trace) == pytest.approx(result.makespan)


def test_a_given_warm_start_bounds_the_result() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    # every task on P1 in topological order: 127 µs, far worse than the optimum
    order = graph.topological_order.tolist()
    cost = graph.cost_on(platform)[:, 0]
    start = np.zeros(graph.n_tasks)
    clock = 0.0
    for t in order:
        start[t] = clock
        clock += cost[t]
    serial = Trace(np.zeros(10, dtype=np.int64), np.arange(10), np.zeros(10, dtype=np.int64),
                   start, start + cost)
    assert validate(platform, graph, serial) == 127.0
    result = solve_dag_cpsat(graph, platform, time_limit=10, warm_start=serial)
    assert result.makespan == 73.0


def test_an_invalid_warm_start_is_refused() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    good = heft(graph, platform).trace
    overlapping = Trace(good.job, good.task, good.pe, good.start * 0.0,
                        good.finish - good.start)
    with pytest.raises(ValidationError):
        solve_dag_cpsat(graph, platform, warm_start=overlapping)


def test_off_grid_times_are_rounded_up_and_the_bound_stays_valid() -> None:
    graph = RandomDAGGenerator(n_tasks=10, p_unsupported=0.3).sample(8)
    platform = random_platform(3, 3, 8, startup_latency=0.37)
    fine = solve_dag_cpsat(graph, platform, time_limit=10, workers=1)
    coarse = solve_dag_cpsat(graph, platform, time_limit=10, workers=1, ticks_per_us=1)
    for result in (fine, coarse):
        assert result.trace is not None and result.makespan is not None
        assert validate(platform, graph, result.trace) == pytest.approx(result.makespan)
        assert result.bound <= result.makespan
    assert fine.makespan is not None and coarse.makespan is not None
    # a lower bound from either grid holds for every schedule of the true problem
    assert coarse.bound <= fine.makespan and fine.bound <= coarse.makespan
    # the grid costs at most (2n - 1) ticks of 1 µs on the coarse one
    assert coarse.makespan - coarse.bound <= 2 * graph.n_tasks - 1
    assert coarse.bound < fine.bound


def test_bad_arguments_are_refused() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    with pytest.raises(ValueError, match="time_limit"):
        solve_dag_cpsat(graph, platform, time_limit=0)
    with pytest.raises(ValueError, match="workers"):
        solve_dag_cpsat(graph, platform, workers=0)
    with pytest.raises(ValueError, match="ticks_per_us"):
        solve_dag_cpsat(graph, platform, ticks_per_us=0)
