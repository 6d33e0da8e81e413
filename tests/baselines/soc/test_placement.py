"""Tests of the insertion-based placement step, as the list schedulers and the online
schedulers use it: gaps, partial states, release times, lookahead and refusals."""

from __future__ import annotations

import numpy as np
import pytest
from soc_dag_cases import random_instance, uniform_platform

from decisiongym.baselines.soc.list_scheduling import heft
from decisiongym.baselines.soc.placement import schedule_tasks
from decisiongym.baselines.soc.ranks import heft_order
from decisiongym.envs.soc.builtin import topcuoglu_graph, topcuoglu_platform
from decisiongym.envs.soc.graph import task_graph


def test_insertion_fills_a_gap_left_by_a_transfer() -> None:
    # a (P2 only) sends 50 units to b (P1 only): b waits until 10 + 50 = 60 on P1, leaving
    # [0, 60) idle, where the independent c (P1 only, 5 µs) fits
    graph = task_graph("gap", {"a": {"P2": 10.0}, "b": {"P1": 1.0}, "c": {"P1": 5.0}},
                       [("a", "b", 50.0)])
    platform = uniform_platform(2)
    inserted = schedule_tasks(graph, platform, [0, 1, 2])
    assert inserted.start.tolist() == [0.0, 60.0, 0.0]
    appended = schedule_tasks(graph, platform, [0, 1, 2], insertion=False)
    assert appended.start.tolist() == [0.0, 60.0, 61.0]
    assert appended.pe_free.tolist() == [66.0, 10.0]


def test_heft_is_schedule_tasks_in_heft_order() -> None:
    graph, platform = random_instance(7, n_tasks=(60, 60), n_pes=5)
    placement = schedule_tasks(graph, platform, heft_order(graph, platform))
    result = heft(graph, platform)
    by_task = np.argsort(placement.tasks)
    np.testing.assert_array_equal(placement.pe[by_task], result.trace.pe)
    np.testing.assert_array_equal(placement.start[by_task], result.trace.start)


def test_placing_in_two_calls_resumes_from_the_partial_state() -> None:
    # without insertion a PE's past is summed up by the time it becomes free, so two calls
    # that hand over pe_free and the placed tasks give the one-call schedule exactly
    graph, platform = random_instance(11, n_tasks=(80, 80), n_pes=6)
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


def test_schedule_tasks_refuses_a_task_before_its_unplaced_predecessor() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    with pytest.raises(ValueError, match="predecessor 'n1'"):
        schedule_tasks(graph, platform, [1, 0])
    with pytest.raises(ValueError, match="pinned to PE"):
        graph2 = task_graph("p", {"a": {"P1": 1.0}}, [])
        schedule_tasks(graph2, uniform_platform(2), [0], pinned_pe=np.array([1]))


def test_lookahead_changes_the_pe_choice() -> None:
    graph = task_graph("one", {"a": {"P1": 1.0, "P2": 2.0}}, [])
    platform = uniform_platform(2)
    assert schedule_tasks(graph, platform, [0]).pe.tolist() == [0]
    steer = np.array([[5.0, 0.0]])
    assert schedule_tasks(graph, platform, [0], lookahead=steer).pe.tolist() == [1]
