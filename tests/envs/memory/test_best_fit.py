"""The best-fit kernel against a plain-Python twin and a brute-force scan of every offset."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.envs.memory.best_fit import fit_offset, place_in_order
from decisiongym.envs.memory.problem import AllocationProblem, validate_allocation


def twin_fit(lower: list[int], upper: list[int], size: list[int], offsets: list[int], i: int,
             capacity: int, alignment: int, best: bool) -> int:
    """Free addresses as a set, cut into maximal runs (the gaps), then the rule by hand."""
    used = set()
    for j in range(len(lower)):
        if j != i and offsets[j] >= 0 and lower[j] < upper[i] and lower[i] < upper[j]:
            used.update(range(offsets[j], offsets[j] + size[j]))
    gaps = []
    a = None
    for address in range(capacity + 1):
        free = address < capacity and address not in used
        if free and a is None:
            a = address
        elif not free and a is not None:
            gaps.append((a, address))
            a = None
    holding = []
    for a, b in gaps:
        start = -(-a // alignment) * alignment
        if start + size[i] <= b:
            holding.append((b - a if best else 0, start))
    return min(holding)[1] if holding else -1


def twin_place(lower: list[int], upper: list[int], size: list[int], order: list[int],
               capacity: int, alignment: int, best: bool) -> list[int]:
    offsets = [-1] * len(lower)
    for i in order:
        o = twin_fit(lower, upper, size, offsets, i, capacity, alignment, best)
        if o < 0:
            top = max([offsets[j] + size[j] for j in range(len(lower))
                       if offsets[j] >= 0 and lower[j] < upper[i] and lower[i] < upper[j]],
                      default=0)
            o = -(-top // alignment) * alignment
        offsets[i] = o
    return offsets


def random_buffers(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    lower = rng.integers(0, 12, n)
    upper = lower + rng.integers(1, 8, n)
    size = rng.integers(1, 9, n)
    return lower.astype(np.int64), upper.astype(np.int64), size.astype(np.int64)


@pytest.mark.parametrize("seed", range(40))
def test_fit_offset_matches_the_twin(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 14))
    lower, upper, size = random_buffers(rng, n)
    capacity = int(rng.integers(8, 40))
    alignment = int(rng.choice([1, 2, 4]))
    # Place a random half first (first fit, anywhere below a roomy limit) to make gaps.
    offsets = np.full(n, -1, dtype=np.int64)
    for j in rng.permutation(n)[: n // 2]:
        offsets[j] = fit_offset(lower, upper, size, offsets, j, capacity, 1, False)
    for i in np.flatnonzero(offsets < 0):
        for best in (True, False):
            got = fit_offset(lower, upper, size, offsets, int(i), capacity, alignment, best)
            want = twin_fit(list(lower), list(upper), list(size), list(offsets), int(i),
                            capacity, alignment, best)
            assert got == want, (seed, int(i), best)


@pytest.mark.parametrize("seed", range(20))
def test_first_fit_is_the_lowest_free_aligned_offset(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = 10
    lower, upper, size = random_buffers(rng, n)
    capacity, alignment = 30, int(rng.choice([1, 3]))
    offsets = place_in_order(lower, upper, size, np.arange(n - 1), capacity, alignment, True)
    i = n - 1
    met = [j for j in range(n - 1) if lower[j] < upper[i] and lower[i] < upper[j]]
    lowest = -1
    for s in range(0, capacity - int(size[i]) + 1, alignment):
        if all(s + size[i] <= offsets[j] or offsets[j] + size[j] <= s for j in met):
            lowest = s
            break
    assert fit_offset(lower, upper, size, offsets, i, capacity, alignment, False) == lowest


@pytest.mark.parametrize("seed", range(30))
def test_place_in_order_matches_the_twin_and_is_a_valid_allocation(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(1, 25))
    lower, upper, size = random_buffers(rng, n)
    capacity = int(rng.integers(6, 30))
    alignment = int(rng.choice([1, 2, 8]))
    order = rng.permutation(n).astype(np.int64)
    for best in (True, False):
        got = place_in_order(lower, upper, size, order, capacity, alignment, best)
        want = twin_place(list(lower), list(upper), list(size), list(order), capacity,
                          alignment, best)
        assert got.tolist() == want
        problem = AllocationProblem(lower, upper, size, capacity, alignment=alignment)
        validate_allocation(problem, got, capacity=2**40)


def test_hand_example_best_versus_first_fit() -> None:
    # Three buffers live over [0, 4) at 0..2, 6..8 and 11..16 leave gaps [2, 6) (4 units),
    # [8, 11) (3 units) and [16, 20) (4 units) under capacity 20. A 3-unit buffer: first fit
    # takes the lowest gap (2), best fit the 3-unit gap (8).
    lower = np.array([0, 0, 0, 1], dtype=np.int64)
    upper = np.array([4, 4, 4, 3], dtype=np.int64)
    size = np.array([2, 2, 5, 3], dtype=np.int64)
    offsets = np.array([0, 6, 11, -1], dtype=np.int64)
    assert fit_offset(lower, upper, size, offsets, 3, 20, 1, False) == 2
    assert fit_offset(lower, upper, size, offsets, 3, 20, 1, True) == 8
    # Aligned to 3, gap [2, 6) offers address 3 and holds [3, 6); gap [8, 11) offers 9, too
    # high; gap [16, 20) offers 18, too high: best fit has one choice left.
    assert fit_offset(lower, upper, size, offsets, 3, 20, 3, True) == 3
    # A 5-unit buffer fits in no gap under 20.
    size5 = np.array([2, 2, 5, 5], dtype=np.int64)
    assert fit_offset(lower, upper, size5, offsets, 3, 20, 1, True) == -1
    # From scratch under capacity 12, the first three stack at 0, 2 and 4 (up to 9); the last
    # needs 5 units and only [9, 12) is left, so it goes on top at 9 and the peak is 14 > 12.
    order = np.array([0, 1, 2, 3], dtype=np.int64)
    placed = place_in_order(lower, upper, size5, order, 12, 1, True)
    assert placed.tolist() == [0, 2, 4, 9]
