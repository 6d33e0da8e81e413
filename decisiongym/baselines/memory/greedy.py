"""Greedy allocation: place the buffers one by one in a fixed order at a best-fit (or
first-fit) offset.

The orders compilers use (TFLite's and XLA's "greedy by size", the heap simulators' orders):

* ``"size"``: best fit, by decreasing size;
* ``"area"``: best fit, by decreasing area (size x live length);
* ``"start"``: first fit, by start time (the order a program allocates in).

Ties go to the longer live range, then the lower buffer index, so the order is fully
determined. The offsets come from
:func:`~decisiongym.envs.memory.best_fit.place_in_order` (numba): among the address gaps free
over a buffer's whole live range, the smallest that holds it (best fit) or the lowest (first
fit). With no capacity given the memory is unbounded and the greedy simply reports its peak;
with one, gaps are searched below it and a buffer that fits in none goes on top.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.best_fit import place_in_order
from decisiongym.envs.memory.problem import FREE, AllocationProblem, peak

ORDERS = ("size", "area", "start")
"""The greedy orders, by name."""


@dataclass(frozen=True)
class GreedyResult:
    """A greedy allocation.

    :param offsets: one offset per buffer (every buffer placed; no two overlap).
    :param peak: ``max(offset + size)``; it may exceed the problem's capacity.
    :param order: the placement order (buffer indices).
    """

    offsets: np.ndarray
    peak: int
    order: np.ndarray


def greedy_order(problem: AllocationProblem, order: str) -> np.ndarray:
    """The buffer indices in the placement order named ``order`` (see the module docstring).

    :raises InputError: on an unknown order.
    """
    length = problem.upper - problem.lower
    index = np.arange(problem.n_buffers)
    if order == "size":
        keys = (index, -length, -problem.size)
    elif order == "area":
        area = length.astype(np.float64) * problem.size
        keys = (index, -length, -area)  # type: ignore[assignment]
    elif order == "start":
        keys = (index, -length, problem.lower)
    else:
        raise InputError(f"unknown order {order!r}; the orders are {', '.join(ORDERS)}",
                         field="order")
    return np.lexsort(keys).astype(np.int64)


def greedy_allocation(problem: AllocationProblem, order: str = "size",
                      capacity: int | None = None) -> GreedyResult:
    """Place every buffer greedily in the named order.

    :param problem: the buffers (no fixed offsets).
    :param order: ``"size"``, ``"area"`` (best fit) or ``"start"`` (first fit).
    :param capacity: the memory the gaps are searched in; unbounded when ``None``.
    :return: the offsets and their peak.
    :raises InputError: on an unknown order, a capacity below 1 or fixed offsets.
    """
    if problem.fixed_offsets is not None and (problem.fixed_offsets != FREE).any():
        raise InputError("the greedy places every buffer itself; buffers with fixed offsets "
                         "need the CP-SAT model", field="fixed_offsets")
    if capacity is not None and capacity < 1:
        raise InputError(f"must be >= 1, got {capacity}", field="capacity")
    sequence = greedy_order(problem, order)
    unbounded = int(problem.size.sum()) + problem.alignment * (problem.n_buffers + 1)
    limit = unbounded if capacity is None else int(capacity)
    offsets = place_in_order(problem.lower, problem.upper, problem.size, sequence, limit,
                             problem.alignment, order != "start")
    return GreedyResult(offsets, peak(problem, offsets), sequence)
