"""Tests of the static list schedulers: the published schedules of Topcuoglu et al. and of
Arabnejad and Barbosa, validity with infeasible (task, PE) pairs, agreement with the
plain-Python reference, and speed."""

from __future__ import annotations

import numpy as np
import pytest
from soc_dag_cases import random_instance, uniform_platform

from decisiongym.baselines.soc.cpsat import solve_dag_cpsat
from decisiongym.baselines.soc.list_scheduling import SCHEDULERS, heft, peft
from decisiongym.baselines.soc.ranks import critical_path, optimistic_cost_table
from decisiongym.bench.soc.heft_reference import heft_reference, heft_speed_table
from decisiongym.envs.soc.builtin import topcuoglu_graph, topcuoglu_platform
from decisiongym.envs.soc.generator import RandomDAGGenerator, random_platform
from decisiongym.envs.soc.graph import TaskGraph, task_graph
from decisiongym.envs.soc.solution import Trace, validate


def _peft_paper_graph() -> TaskGraph:
    """The sample DAG of Arabnejad and Barbosa (IEEE TPDS 25(3), 2014, Fig. 1): its cost table
    on three processors and edge communication costs."""
    costs = ((22, 21, 36), (22, 18, 18), (32, 27, 43), (7, 10, 4), (29, 27, 35),
             (26, 17, 24), (14, 25, 30), (29, 23, 36), (15, 21, 8), (13, 16, 33))
    edges = ((1, 2, 17), (1, 3, 31), (1, 4, 29), (1, 5, 13), (1, 6, 7), (2, 8, 3), (2, 9, 30),
             (3, 7, 16), (4, 8, 11), (4, 9, 7), (5, 9, 57), (6, 8, 5), (7, 10, 9), (8, 10, 42),
             (9, 10, 7))
    types = ("P1", "P2", "P3")
    return task_graph(
        "peft_sample",
        {f"T{i + 1}": dict(zip(types, map(float, row))) for i, row in enumerate(costs)},
        [(f"T{a}", f"T{b}", float(c)) for a, b, c in edges],
    )


def _rows(result_trace: Trace) -> dict[int, tuple[int, float, float]]:
    return {int(t): (int(q), float(s), float(f)) for t, q, s, f in zip(
        result_trace.task, result_trace.pe, result_trace.start, result_trace.finish)}


# ---------------------------------------------------------------------------------------------
# Topcuoglu et al. (2002)


def test_heft_reproduces_topcuoglu_fig4() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    result = heft(graph, platform)
    assert result.method == "heft"
    assert result.makespan == 80.0
    assert validate(platform, graph, result.trace) == 80.0
    # (processor, start, finish) of n1..n10 in the paper's Fig. 4(a), processors 0-based
    fig4 = [(2, 0, 9), (0, 27, 40), (2, 9, 28), (1, 18, 26), (2, 28, 38),
            (1, 26, 42), (2, 38, 49), (0, 57, 62), (1, 56, 68), (1, 73, 80)]
    assert [_rows(result.trace)[t] for t in range(10)] == [
        (q, float(s), float(f)) for q, s, f in fig4]


def test_heft_makespan_80_holds_with_either_transfer_average() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    default = heft(graph, platform)
    paper = heft(graph, platform, transfer_average="bandwidth")
    assert default.makespan == paper.makespan == 80.0
    assert _rows(paper.trace) == _rows(default.trace)


def test_cpop_reproduces_topcuoglu_makespan_86() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    priority, path = critical_path(graph, platform)
    # |CP| = rank_u(n1) = 108 along n1 -> n2 -> n9 -> n10, and the cheapest PE for it is P2
    assert [f"n{t + 1}" for t in path] == ["n1", "n2", "n9", "n10"]
    np.testing.assert_allclose(priority[path], 108.0)
    result = SCHEDULERS["cpop"](graph, platform)
    assert result.makespan == 86.0
    assert validate(platform, graph, result.trace) == 86.0
    assert set(result.trace.pe[path].tolist()) == {1}


def test_peft_on_topcuoglu_is_85() -> None:
    # Arabnejad and Barbosa's example is their own DAG (next test), not Topcuoglu's. On
    # Topcuoglu's DAG the faithful algorithm gives 85, checked by hand: order n1 n4 n2 n5 n3
    # n6 n7 n9 n8 n10 (rank_oct 46.3, 31, 29.7, 27.7, 25.7, 23.7, 14.7, 14.3, 13.7, 0), and
    # the last task n10 goes to P2 over [78, 85].
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    result = peft(graph, platform)
    assert result.makespan == 85.0
    assert validate(platform, graph, result.trace) == 85.0
    assert _rows(result.trace)[9] == (1, 78.0, 85.0)


def test_peft_reproduces_the_peft_paper_example() -> None:
    graph, platform = _peft_paper_graph(), topcuoglu_platform()
    # the paper's optimistic cost table (Table 2)
    expected_oct = [[64, 68, 86], [42, 39, 42], [27, 41, 43], [42, 39, 50], [28, 37, 28],
                    [42, 39, 44], [13, 16, 22], [13, 16, 33], [13, 16, 20], [0, 0, 0]]
    np.testing.assert_array_equal(optimistic_cost_table(graph, platform), expected_oct)
    result = peft(graph, platform)
    assert result.makespan == 122.0
    assert validate(platform, graph, result.trace) == 122.0
    # the paper's Fig. 2 contrasts PEFT's 122 with HEFT's 133 on this graph
    assert heft(graph, platform).makespan == 133.0


# ---------------------------------------------------------------------------------------------
# random DAGs with infeasible pairs


@pytest.mark.parametrize("seed", range(4))
def test_cpsat_is_no_worse_than_any_list_scheduler(seed: int) -> None:
    graph, platform = random_instance(seed, n_pes=3 + seed % 2)
    assert np.any(~np.isfinite(graph.cost_on(platform)))
    makespans = {}
    for name, scheduler in SCHEDULERS.items():
        result = scheduler(graph, platform)
        assert validate(platform, graph, result.trace) == pytest.approx(result.makespan)
        assert np.all(np.isfinite(graph.cost_on(platform)[result.trace.task, result.trace.pe]))
        makespans[name] = result.makespan
    exact = solve_dag_cpsat(graph, platform, time_limit=5, workers=2, seed=0)
    assert exact.trace is not None and exact.makespan is not None
    assert validate(platform, graph, exact.trace) == pytest.approx(exact.makespan)
    assert exact.bound <= exact.makespan
    for name, makespan in makespans.items():
        assert exact.makespan <= makespan + 1e-9, name


@pytest.mark.parametrize("seed", range(30))
def test_all_schedulers_validate_on_random_dags(seed: int) -> None:
    graph, platform = random_instance(seed, n_tasks=(5, 80), n_pes=3 + seed % 6)
    for scheduler in SCHEDULERS.values():
        result = scheduler(graph, platform)
        assert len(result.trace) == graph.n_tasks
        assert validate(platform, graph, result.trace) == pytest.approx(result.makespan)


@pytest.mark.parametrize("seed", range(20))
def test_plain_reference_gives_the_same_schedule(seed: int) -> None:
    graph, platform = random_instance(seed, n_tasks=(5, 150), n_pes=3 + seed % 8)
    result = heft(graph, platform)
    makespan, schedule, _ = heft_reference(graph, platform)
    assert makespan == result.makespan
    assert schedule == _rows(result.trace)


def test_unknown_rank_is_refused() -> None:
    with pytest.raises(ValueError, match="rank must be one of"):
        heft(topcuoglu_graph(), topcuoglu_platform(), "median")  # type: ignore[arg-type]


def test_cpop_falls_back_when_no_pe_runs_the_whole_critical_path() -> None:
    # a chain whose middle task runs only on P2 and the others only on P1
    graph = task_graph("split", {"a": {"P1": 5.0}, "b": {"P2": 5.0}, "c": {"P1": 5.0},
                                 "side": {"P1": 1.0, "P2": 1.0}},
                       [("a", "b", 1.0), ("b", "c", 1.0)])
    platform = uniform_platform(2)
    _, path = critical_path(graph, platform)
    assert path.tolist() == [0, 1, 2]
    result = SCHEDULERS["cpop"](graph, platform)
    assert validate(platform, graph, result.trace) == result.makespan
    assert result.trace.pe[[0, 1, 2]].tolist() == [0, 1, 0]


def test_single_pe_runs_everything_back_to_back() -> None:
    graph = RandomDAGGenerator(n_tasks=20, type_names=("P1",)).sample(5)
    one = uniform_platform(1)
    for scheduler in SCHEDULERS.values():
        result = scheduler(graph, one)
        assert result.makespan == pytest.approx(graph.cost[:, 0].sum())
        assert validate(one, graph, result.trace) == pytest.approx(result.makespan)


# ---------------------------------------------------------------------------------------------
# speed


def test_heft_schedules_a_5000_task_dag_on_16_pes() -> None:
    # Its speed is measured by the benchmark (beside the plain-Python reference), not here.
    generator = RandomDAGGenerator(n_tasks=5000, density=0.1, p_unsupported=0.2,
                                   type_names=("P1", "P2", "P3", "P4"))
    graph = generator.sample(0)
    platform = random_platform(16, 4, 0)
    result = heft(graph, platform)
    assert len(result.trace) == 5000
    assert validate(platform, graph, result.trace) == pytest.approx(result.makespan)


def test_speed_table_times_both_implementations_on_the_same_graphs() -> None:
    records = heft_speed_table(sizes=(30, 60), n_pes=5, n_types=3)
    assert [r["n_tasks"] for r in records] == [30, 60]
    for record in records:
        assert record["same_makespan"] is True
        assert record["heft_s"] > 0 and record["reference_s"] > 0
