"""Tests of the static list schedulers: the published schedules of Topcuoglu et al. and of
Arabnejad and Barbosa, validity with infeasible (task, PE) pairs, agreement with the
plain-Python reference, the online placement step, and speed."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.baselines.soc.cpsat import solve_dag_cpsat
from decisiongym.baselines.soc.list_scheduling import (
    SCHEDULERS,
    critical_path,
    heft,
    heft_order,
    optimistic_cost_table,
    peft,
    schedule_tasks,
    upward_rank,
)
from decisiongym.bench.soc.heft_reference import heft_reference, heft_speed_table
from decisiongym.envs.soc.builtin import topcuoglu_graph, topcuoglu_platform
from decisiongym.envs.soc.generator import RandomDAGGenerator, random_platform
from decisiongym.envs.soc.graph import TaskGraph, task_graph
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.solution import Trace, validate


def _uniform_platform(n_pes: int, bandwidth: float = 1.0, startup: float = 0.0) -> Platform:
    """``n_pes`` PEs, one type each (``P1``...), every link at the same bandwidth."""
    return Platform(
        name=f"uniform{n_pes}",
        type_names=tuple(f"P{q + 1}" for q in range(n_pes)),
        pe_type=np.arange(n_pes),
        frequency_mhz=np.full(n_pes, 1000.0),
        busy_power_w=np.ones(n_pes),
        idle_power_w=np.zeros(n_pes),
        bandwidth=np.full((n_pes, n_pes), bandwidth),
        startup_latency=startup,
    )


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


def _random_instance(seed: int, n_tasks: tuple[int, int] = (10, 12),
                     n_pes: int = 4) -> tuple[TaskGraph, Platform]:
    generator = RandomDAGGenerator(n_tasks=n_tasks, p_unsupported=0.3, heterogeneity=1.5,
                                   ccr=0.5 + seed % 3)
    platform = random_platform(n_pes, 3, seed, startup_latency=0.5 * (seed % 2))
    return generator.sample(seed), platform


def _rows(result_trace: Trace) -> dict[int, tuple[int, float, float]]:
    return {int(t): (int(q), float(s), float(f)) for t, q, s, f in zip(
        result_trace.task, result_trace.pe, result_trace.start, result_trace.finish)}


# ---------------------------------------------------------------------------------------------
# Topcuoglu et al. (2002)


def test_upward_ranks_match_topcuoglu_table() -> None:
    ranks = upward_rank(topcuoglu_graph(), topcuoglu_platform())
    expected = [108.0, 77.0, 80.0, 80.0, 69.0, 63.333, 42.667, 35.667, 44.333, 14.667]
    np.testing.assert_allclose(ranks, expected, atol=1e-3)


def test_heft_order_breaks_the_n3_n4_tie_towards_the_lower_index() -> None:
    # rank(n3) == rank(n4) == 80 up to rounding; the paper schedules n3 first
    order = heft_order(topcuoglu_graph(), topcuoglu_platform())
    assert [f"n{t + 1}" for t in order] == [
        "n1", "n3", "n4", "n2", "n5", "n6", "n9", "n7", "n8", "n10"]


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
    graph, platform = _random_instance(seed, n_pes=3 + seed % 2)
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
    graph, platform = _random_instance(seed, n_tasks=(5, 80), n_pes=3 + seed % 6)
    for scheduler in SCHEDULERS.values():
        result = scheduler(graph, platform)
        assert len(result.trace) == graph.n_tasks
        assert validate(platform, graph, result.trace) == pytest.approx(result.makespan)


@pytest.mark.parametrize("seed", range(20))
def test_plain_reference_gives_the_same_schedule(seed: int) -> None:
    graph, platform = _random_instance(seed, n_tasks=(5, 150), n_pes=3 + seed % 8)
    result = heft(graph, platform)
    makespan, schedule, _ = heft_reference(graph, platform)
    assert makespan == result.makespan
    assert schedule == _rows(result.trace)


@pytest.mark.parametrize("rank", ["best", "worst"])
def test_rank_variants_bracket_the_mean(rank: str) -> None:
    graph, platform = _random_instance(3, n_tasks=(40, 40), n_pes=5)
    mean = upward_rank(graph, platform)
    other = upward_rank(graph, platform, rank)  # type: ignore[arg-type]
    assert np.all(other <= mean + 1e-9) if rank == "best" else np.all(other >= mean - 1e-9)
    assert not np.allclose(other, mean)
    result = heft(graph, platform, rank)  # type: ignore[arg-type]
    assert result.method == f"heft-{rank}"
    assert validate(platform, graph, result.trace) == pytest.approx(result.makespan)


def test_unknown_rank_is_refused() -> None:
    with pytest.raises(ValueError, match="rank must be one of"):
        heft(topcuoglu_graph(), topcuoglu_platform(), "median")  # type: ignore[arg-type]


def test_mean_transfer_skips_pairs_that_cannot_host_the_ends() -> None:
    # a -> b, a runs only on P1, b on P1 or P2; links P1->P2 are slow (bandwidth 0.5), the
    # others fast: only the pair (P1, P2) counts, so c̄ = 10 / 0.5 = 20 and rank(a) = 1 + 20 + 2
    graph = task_graph("pair", {"a": {"P1": 1.0}, "b": {"P1": 2.0, "P2": 2.0}},
                       [("a", "b", 10.0)])
    platform = _uniform_platform(3, bandwidth=5.0)
    bandwidth = platform.bandwidth.copy()
    bandwidth[0, 1] = bandwidth[1, 0] = 0.5
    platform = Platform(platform.name, platform.type_names, platform.pe_type,
                        platform.frequency_mhz, platform.busy_power_w, platform.idle_power_w,
                        bandwidth)
    assert upward_rank(graph, platform)[0] == pytest.approx(23.0)


def test_cpop_falls_back_when_no_pe_runs_the_whole_critical_path() -> None:
    # a chain whose middle task runs only on P2 and the others only on P1
    graph = task_graph("split", {"a": {"P1": 5.0}, "b": {"P2": 5.0}, "c": {"P1": 5.0},
                                 "side": {"P1": 1.0, "P2": 1.0}},
                       [("a", "b", 1.0), ("b", "c", 1.0)])
    platform = _uniform_platform(2)
    _, path = critical_path(graph, platform)
    assert path.tolist() == [0, 1, 2]
    result = SCHEDULERS["cpop"](graph, platform)
    assert validate(platform, graph, result.trace) == result.makespan
    assert result.trace.pe[[0, 1, 2]].tolist() == [0, 1, 0]


def test_single_pe_runs_everything_back_to_back() -> None:
    graph = RandomDAGGenerator(n_tasks=20, type_names=("P1",)).sample(5)
    one = _uniform_platform(1)
    for scheduler in SCHEDULERS.values():
        result = scheduler(graph, one)
        assert result.makespan == pytest.approx(graph.cost[:, 0].sum())
        assert validate(one, graph, result.trace) == pytest.approx(result.makespan)


# ---------------------------------------------------------------------------------------------
# the placement step, as online schedulers use it


def test_insertion_fills_a_gap_left_by_a_transfer() -> None:
    # a (P2 only) sends 50 units to b (P1 only): b waits until 10 + 50 = 60 on P1, leaving
    # [0, 60) idle, where the independent c (P1 only, 5 µs) fits
    graph = task_graph("gap", {"a": {"P2": 10.0}, "b": {"P1": 1.0}, "c": {"P1": 5.0}},
                       [("a", "b", 50.0)])
    platform = _uniform_platform(2)
    inserted = schedule_tasks(graph, platform, [0, 1, 2])
    assert inserted.start.tolist() == [0.0, 60.0, 0.0]
    appended = schedule_tasks(graph, platform, [0, 1, 2], insertion=False)
    assert appended.start.tolist() == [0.0, 60.0, 61.0]
    assert appended.pe_free.tolist() == [66.0, 10.0]


def test_heft_is_schedule_tasks_in_heft_order() -> None:
    graph, platform = _random_instance(7, n_tasks=(60, 60), n_pes=5)
    placement = schedule_tasks(graph, platform, heft_order(graph, platform))
    result = heft(graph, platform)
    by_task = np.argsort(placement.tasks)
    np.testing.assert_array_equal(placement.pe[by_task], result.trace.pe)
    np.testing.assert_array_equal(placement.start[by_task], result.trace.start)


def test_placing_in_two_calls_resumes_from_the_partial_state() -> None:
    # without insertion a PE's past is summed up by the time it becomes free, so two calls
    # that hand over pe_free and the placed tasks give the one-call schedule exactly
    graph, platform = _random_instance(11, n_tasks=(80, 80), n_pes=6)
    order = heft_order(graph, platform)
    whole = schedule_tasks(graph, platform, order, insertion=False)
    first = schedule_tasks(graph, platform, order[:35], insertion=False)
    placed_pe = np.full(graph.n_tasks, -1)
    placed_finish = np.zeros(graph.n_tasks)
    placed_pe[first.tasks] = first.pe
    placed_finish[first.tasks] = first.finish
    second = schedule_tasks(graph, platform, order[35:], insertion=False, pe_free=first.pe_free,
                            placed_pe=placed_pe, placed_finish=placed_finish)
    np.testing.assert_array_equal(np.concatenate([first.pe, second.pe]), whole.pe)
    np.testing.assert_array_equal(np.concatenate([first.start, second.start]), whole.start)


def test_release_and_pe_free_delay_the_start() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    placement = schedule_tasks(graph, platform, [0], pe_free=np.array([5.0, 30.0, 40.0]),
                               release=3.0)
    # n1 on P1 from 5 (14 µs, finish 19) beats P2 from 30 and P3 from 40
    assert (placement.pe[0], placement.start[0], placement.finish[0]) == (0, 5.0, 19.0)


def test_ranking_a_subset_ignores_the_other_tasks() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    remaining = [6, 7, 8, 9]  # n7..n10, as after n1..n6 have run
    ranks = upward_rank(graph, platform, tasks=remaining)
    assert np.all(np.isnan(ranks[:6]))
    np.testing.assert_allclose(ranks[remaining], [42.667, 35.667, 44.333, 14.667], atol=1e-3)
    assert heft_order(graph, platform, tasks=remaining).tolist() == [8, 6, 7, 9]


def test_schedule_tasks_refuses_a_task_before_its_unplaced_predecessor() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    with pytest.raises(ValueError, match="predecessor 'n1'"):
        schedule_tasks(graph, platform, [1, 0])
    with pytest.raises(ValueError, match="pinned to PE"):
        graph2 = task_graph("p", {"a": {"P1": 1.0}}, [])
        schedule_tasks(graph2, _uniform_platform(2), [0], pinned_pe=np.array([1]))


def test_lookahead_changes_the_pe_choice() -> None:
    graph = task_graph("one", {"a": {"P1": 1.0, "P2": 2.0}}, [])
    platform = _uniform_platform(2)
    assert schedule_tasks(graph, platform, [0]).pe.tolist() == [0]
    steer = np.array([[5.0, 0.0]])
    assert schedule_tasks(graph, platform, [0], lookahead=steer).pe.tolist() == [1]


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
