"""Best-fit and first-fit offsets for buffers with fixed live ranges (numba kernels).

The offset search every greedy of the memory family shares (XLA's best-fit heap, the
allocation baselines, the mapping env): given the buffers already placed, buffer ``i`` may go in
any *gap*, a maximal address range ``[a, b)`` that no placed buffer live at the same time as
``i`` occupies, bounded below by 0 and above by the capacity. Within a gap the buffer takes the
lowest aligned address ``a' >= a``; the gap holds it when ``a' + size <= b``.

* best fit picks the smallest gap (length ``b - a``) that holds the buffer, the lowest on ties;
* first fit picks the lowest gap that holds it, which is also the lowest aligned offset where
  the buffer fits.

Two buffers meet in time when their half-open ranges ``[lower, upper)`` intersect. The kernels
read the arrays of an :class:`~decisiongym.envs.memory.problem.AllocationProblem` (int64) and an
offsets array where ``-1`` marks a buffer not placed yet.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _align_up(value: int, alignment: int) -> int:
    remainder = value % alignment
    return value if remainder == 0 else value + alignment - remainder


@njit(cache=True)
def _blocks_met(lower: np.ndarray, upper: np.ndarray, size: np.ndarray, offsets: np.ndarray,
                i: int) -> tuple[np.ndarray, np.ndarray]:
    """Address ranges ``[start, end)`` of the placed buffers that meet buffer ``i`` in time,
    sorted by start."""
    n = lower.shape[0]
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    count = 0
    for j in range(n):
        if j == i or offsets[j] < 0:
            continue
        if lower[j] < upper[i] and lower[i] < upper[j]:
            starts[count] = offsets[j]
            ends[count] = offsets[j] + size[j]
            count += 1
    order = np.argsort(starts[:count])
    return starts[:count][order], ends[:count][order]


@njit(cache=True)
def fit_offset(lower: np.ndarray, upper: np.ndarray, size: np.ndarray, offsets: np.ndarray,
               i: int, capacity: int, alignment: int, best: bool) -> int:
    """The offset for buffer ``i`` among the gaps the placed buffers leave over its live range.

    :param lower: first time step of each buffer (inclusive).
    :param upper: one past the last time step of each buffer.
    :param size: units per buffer.
    :param offsets: the offset of each placed buffer, ``-1`` for one not placed (buffer ``i``'s
        own entry is ignored).
    :param i: the buffer to place.
    :param capacity: no buffer may end above it.
    :param alignment: offsets are multiples of it (``>= 1``).
    :param best: ``True`` for the smallest gap that holds the buffer (lowest on ties),
        ``False`` for the lowest one (first fit).
    :return: the offset, or ``-1`` when no gap at or below the capacity holds the buffer.
    """
    starts, ends = _blocks_met(lower, upper, size, offsets, i)
    need = size[i]
    chosen = -1
    chosen_length = np.int64(0)
    cursor = np.int64(0)
    for k in range(starts.shape[0] + 1):
        gap_end = capacity if k == starts.shape[0] else min(starts[k], capacity)
        if gap_end > cursor:
            start = _align_up(cursor, alignment)
            if start + need <= gap_end:
                length = gap_end - cursor
                if not best:
                    return start
                if chosen < 0 or length < chosen_length:
                    chosen = start
                    chosen_length = length
        if k < starts.shape[0] and ends[k] > cursor:
            cursor = ends[k]
        if cursor >= capacity:
            break
    return chosen


@njit(cache=True)
def _top_offset(lower: np.ndarray, upper: np.ndarray, size: np.ndarray, offsets: np.ndarray,
                i: int, alignment: int) -> int:
    top = np.int64(0)
    for j in range(lower.shape[0]):
        if j != i and offsets[j] >= 0 and lower[j] < upper[i] and lower[i] < upper[j]:
            top = max(top, offsets[j] + size[j])
    return _align_up(top, alignment)


@njit(cache=True)
def place_in_order(lower: np.ndarray, upper: np.ndarray, size: np.ndarray, order: np.ndarray,
                   capacity: int, alignment: int, best: bool) -> np.ndarray:
    """Place buffers one by one in ``order`` with :func:`fit_offset`.

    A buffer that fits nowhere under ``capacity`` goes on top: at the lowest aligned offset
    above every placed buffer it meets in time. The result is then a full allocation (no two
    buffers overlap) whose peak may exceed the capacity, which is how the greedy baselines
    report how far above the capacity they land.

    :param lower: first time step of each buffer.
    :param upper: one past the last time step of each buffer.
    :param size: units per buffer.
    :param order: buffer indices in placement order; a buffer left out keeps offset ``-1``.
    :param capacity: the memory the gaps are searched in.
    :param alignment: offsets are multiples of it.
    :param best: best fit (``True``) or first fit (``False``).
    :return: one offset per buffer (int64).
    """
    offsets = np.full(lower.shape[0], -1, dtype=np.int64)
    for k in range(order.shape[0]):
        i = order[k]
        offset = fit_offset(lower, upper, size, offsets, i, capacity, alignment, best)
        if offset < 0:
            offset = _top_offset(lower, upper, size, offsets, i, alignment)
        offsets[i] = offset
    return offsets
