"""numba kernels the planner's search state runs on: the legal windows of the buffer to decide,
and the greedy completion of a partial mapping.

Both read the same arrays as :mod:`decisiongym.envs.memory.windows` and call its ``try_window``
and ``place_window``, so a move means here exactly what it means in the mapping env.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from decisiongym.envs.memory.windows import place_window, try_window


@njit(cache=True)
def window_offsets(b: int, window_start: np.ndarray, window_end: np.ndarray,
                   fast_start: np.ndarray, fast_end: np.ndarray, offset: np.ndarray,
                   size: np.ndarray, outstanding: np.ndarray, use_ptr: np.ndarray,
                   use_op: np.ndarray, use_writes: np.ndarray, starts_in_slow: np.ndarray,
                   ends_in_slow: np.ndarray, capacity: int, alignment: int,
                   max_outstanding: int) -> np.ndarray:
    """The best-fit offset of each candidate window of buffer ``b`` (``-1``: illegal), as the
    mapping env evaluates them before a step."""
    n_windows = window_start.shape[1]
    found = np.full(n_windows, -1, dtype=np.int64)
    for w in range(n_windows):
        start, end = window_start[b, w], window_end[b, w]
        if start < 0:
            continue
        found[w] = try_window(b, start, end, fast_start, fast_end, offset, size, outstanding,
                              use_ptr, use_op, use_writes, starts_in_slow, ends_in_slow,
                              capacity, alignment, max_outstanding)
    return found


@njit(cache=True)
def complete_greedily(position: int, visit: np.ndarray, savings: np.ndarray,
                      window_start: np.ndarray, window_end: np.ndarray, fast_start: np.ndarray,
                      fast_end: np.ndarray, offset: np.ndarray, outstanding: np.ndarray,
                      size: np.ndarray, use_ptr: np.ndarray, use_op: np.ndarray,
                      use_writes: np.ndarray, starts_in_slow: np.ndarray,
                      ends_in_slow: np.ndarray, capacity: int, alignment: int,
                      max_outstanding: int) -> None:
    """Decide the buffers ``visit[position:]`` as the XLA-style greedy does (each takes its
    first legal window; one that saves nothing alone stays in slow memory), writing into the
    arrays given (the caller passes copies)."""
    n_windows = window_start.shape[1]
    for k in range(position, visit.shape[0]):
        b = visit[k]
        if savings[b] <= 0.0:
            continue
        for w in range(n_windows):
            start, end = window_start[b, w], window_end[b, w]
            if start < 0:
                continue
            at = try_window(b, start, end, fast_start, fast_end, offset, size, outstanding,
                            use_ptr, use_op, use_writes, starts_in_slow, ends_in_slow,
                            capacity, alignment, max_outstanding)
            if at >= 0:
                place_window(b, start, end, at, fast_start, fast_end, offset, outstanding,
                             use_ptr, use_op, use_writes, starts_in_slow, ends_in_slow)
                break
