"""Greedy allocation: the three orders pinned on a hand example, and full packings on files."""

from __future__ import annotations

import numpy as np
import pytest
from shared_data import shared_data

from decisiongym.baselines.memory.greedy import greedy_allocation, greedy_order
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.generator import synthetic_problem
from decisiongym.envs.memory.minimalloc_csv import read_minimalloc_csv
from decisiongym.envs.memory.problem import AllocationProblem, validate_allocation

SHARED = shared_data("memory")


def hand() -> AllocationProblem:
    # b0 [0, 10) x 1, b1 [0, 3) x 4, b2 [5, 8) x 3, b3 [2, 6) x 2; max live 7 at t = 2.
    return AllocationProblem([0, 0, 5, 2], [10, 3, 8, 6], [1, 4, 3, 2], 7)


def test_orders_by_hand() -> None:
    problem = hand()
    assert greedy_order(problem, "size").tolist() == [1, 2, 3, 0]
    assert greedy_order(problem, "area").tolist() == [1, 0, 2, 3]   # areas 12, 10, 9, 8
    assert greedy_order(problem, "start").tolist() == [0, 1, 3, 2]  # ties: the longer first


@pytest.mark.parametrize(("order", "offsets"), [
    # size: b1 at 0, b2 at 0 (no overlap with b1), b3 above both at 4, b0 above all at 6.
    ("size", [6, 0, 0, 4]),
    # area: b1 at 0, b0 at 4, b2 into the gap [0, 4) under b0, b3 above b0 at 5.
    ("area", [4, 0, 0, 5]),
    # start (first fit): b0 at 0, b1 at 1, b3 at 5, b2 in the lowest gap [1, 5) at 1.
    ("start", [0, 1, 1, 5]),
])
def test_hand_example_offsets(order: str, offsets: list[int]) -> None:
    result = greedy_allocation(hand(), order)
    assert result.offsets.tolist() == offsets
    assert result.peak == validate_allocation(hand(), result.offsets) == 7


def test_a_buffer_that_fits_under_no_capacity_goes_on_top() -> None:
    # Under capacity 6, b0 [0, 10) meets b1 [0, 4), b2 [0, 3) and b3 [4, 6): no gap below 6
    # holds it, so it goes above them all at 6 and the peak, 7, overshoots.
    result = greedy_allocation(hand(), "size", capacity=6)
    assert result.offsets.tolist() == [6, 0, 0, 4]
    assert result.peak == 7


def test_alignment_is_respected() -> None:
    problem = AllocationProblem([0, 0, 1], [2, 2, 3], [3, 5, 2], 64, alignment=4)
    for order in ("size", "area", "start"):
        result = greedy_allocation(problem, order)
        assert np.all(result.offsets % 4 == 0)
        validate_allocation(problem, result.offsets, capacity=result.peak)


def test_thousand_buffers_every_order_is_a_packing() -> None:
    problem = synthetic_problem(1000, seed=0)
    for order in ("size", "area", "start"):
        result = greedy_allocation(problem, order)
        assert result.peak == validate_allocation(problem, result.offsets, result.peak)
        assert result.peak >= problem.max_live()


def test_unknown_order_names_the_field() -> None:
    with pytest.raises(InputError) as error:
        greedy_allocation(hand(), "random")
    assert error.value.field == "order"


@pytest.mark.skipif(not SHARED.is_dir(), reason="MiniMalloc's benchmark files are not present")
def test_decreasing_size_on_the_challenging_set_matches_the_fact_sheet() -> None:
    # Best fit by decreasing size: 1.31x on A, 1.24x on D, 1.33x on K (../shared/references).
    for name, ratio in (("A", 1.31), ("D", 1.24), ("K", 1.33)):
        problem = read_minimalloc_csv(SHARED / "minimalloc_challenging" / f"{name}.1048576.csv")
        result = greedy_allocation(problem, "size")
        validate_allocation(problem, result.offsets, capacity=result.peak)
        assert round(result.peak / problem.capacity, 2) == ratio
