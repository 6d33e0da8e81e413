"""Candidate fast windows per buffer, and the kernel that places a chosen window.

The mapping env and the greedy baselines choose among the same few windows per buffer (so the
two can never disagree about what a move means):

=====  ===============  =====================================================================
index  name             window
=====  ===============  =====================================================================
0      ``whole``        every use, prefetch issued at the *preferred* lead
1      ``whole-late``   every use, prefetch at the *minimum* lead (less time in fast memory)
2      ``whole-early``  every use, prefetch at the *maximum* lead (more overlap with compute)
3      ``head``         the uses before the longest gap between two uses, then evicted
4      ``tail``         the uses after that gap, prefetched back at the preferred lead
=====  ===============  =====================================================================

The leads follow XLA's cost-analysis prefetch picker: the prefetch is issued as late as possible
while the operations it overlaps (their all-slow-memory times) last at least ``ratio`` times the
copy; the ratios 0.8 (minimum), 1.5 (preferred) and 10 (maximum) are those XLA's
memory-space-assignment tests pass to ``CostAnalysisPrefetchIntervalPicker``. An eviction copy is
given the same preferred overlap before the space is released. A buffer born in fast memory (no
prefetch) has the same ``whole`` window at every lead. A window that equals an earlier one of
the same buffer, or that does not exist (``head``/``tail`` of a buffer used once), is ``-1``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.best_fit import fit_offset
from decisiongym.envs.memory.roofline import buffer_copies

WINDOW_NAMES = ("whole", "whole-late", "whole-early", "head", "tail")
N_WINDOWS = len(WINDOW_NAMES)
MIN_OVERLAP_RATIO, PREFERRED_OVERLAP_RATIO, MAX_OVERLAP_RATIO = 0.8, 1.5, 10.0


@njit(cache=True)
def _prefetch_issue(first_use: int, earliest: int, copy_us: float, ratio: float,
                    est_times: np.ndarray) -> int:
    """The latest boundary ``p <= first_use`` whose operations up to the use last at least
    ``ratio * copy_us``, or ``earliest`` when none does."""
    overlap = 0.0
    p = first_use
    while p > earliest and overlap < ratio * copy_us:
        p -= 1
        overlap += est_times[p]
    return p


@njit(cache=True)
def _release(after_use: int, latest: int, copy_us: float, est_times: np.ndarray) -> int:
    """The earliest boundary ``e > after_use`` whose operations from the use on cover the
    preferred overlap of an eviction copy, at most ``latest``."""
    e = after_use + 1
    overlap = 0.0
    while e < latest and overlap < PREFERRED_OVERLAP_RATIO * copy_us:
        overlap += est_times[e]
        e += 1
    return e


@njit(cache=True)
def _window(b: int, first_k: int, last_k: int, ratio: float, use_ptr: np.ndarray,
            use_op: np.ndarray, use_writes: np.ndarray, starts_in_slow: np.ndarray,
            ends_in_slow: np.ndarray, copy_us: float, est_times: np.ndarray,
            n_ops: int) -> tuple[int, int]:
    """The window over uses ``first_k..last_k`` (indices into the buffer's use list)."""
    begin, stop = use_ptr[b], use_ptr[b + 1]
    first, last = use_op[begin + first_k], use_op[begin + last_k]
    loaded = starts_in_slow[b] == 1 or first_k > 0
    if loaded:
        earliest = use_op[begin + first_k - 1] + 1 if first_k > 0 else 0
        start = _prefetch_issue(first, earliest, copy_us, ratio, est_times)
    else:
        start = first
    written = False
    for k in range(begin + first_k, begin + last_k + 1):
        if use_writes[k] == 1:
            written = True
    after = last_k < stop - begin - 1
    if written and (after or ends_in_slow[b] == 1):
        latest = use_op[begin + last_k + 1] if after else n_ops
        end = _release(last, latest, copy_us, est_times)
    else:
        end = last + 1
    return start, end


@njit(cache=True)
def candidate_windows(use_ptr: np.ndarray, use_op: np.ndarray, use_writes: np.ndarray,
                      starts_in_slow: np.ndarray, ends_in_slow: np.ndarray, size: np.ndarray,
                      est_times: np.ndarray, copy_bandwidth: float,
                      n_windows: int) -> tuple[np.ndarray, np.ndarray]:
    """``(start, end)``, each ``(n_buffers, n_windows)``: the windows of the module table (the
    first ``n_windows`` of them), ``-1`` where a window repeats an earlier one or does not exist.

    :param est_times: microseconds per operation used to measure overlap (all-slow times).
    :param copy_bandwidth: bytes per second of the copy engine.
    """
    n = size.shape[0]
    n_ops = est_times.shape[0]
    start = np.full((n, n_windows), -1, dtype=np.int64)
    end = np.full((n, n_windows), -1, dtype=np.int64)
    ratios = (PREFERRED_OVERLAP_RATIO, MIN_OVERLAP_RATIO, MAX_OVERLAP_RATIO)
    for b in range(n):
        copy_us = size[b] / copy_bandwidth * 1e6
        n_uses = use_ptr[b + 1] - use_ptr[b]
        for w in range(n_windows):
            if w < 3:
                s, e = _window(b, 0, n_uses - 1, ratios[w], use_ptr, use_op, use_writes,
                               starts_in_slow, ends_in_slow, copy_us, est_times, n_ops)
            else:
                if n_uses < 2:
                    continue
                cut = 0
                longest = -1
                for k in range(n_uses - 1):
                    gap = use_op[use_ptr[b] + k + 1] - use_op[use_ptr[b] + k]
                    if gap > longest:
                        longest = gap
                        cut = k
                if w == 3:
                    s, e = _window(b, 0, cut, PREFERRED_OVERLAP_RATIO, use_ptr, use_op,
                                   use_writes, starts_in_slow, ends_in_slow, copy_us,
                                   est_times, n_ops)
                else:
                    s, e = _window(b, cut + 1, n_uses - 1, PREFERRED_OVERLAP_RATIO, use_ptr,
                                   use_op, use_writes, starts_in_slow, ends_in_slow, copy_us,
                                   est_times, n_ops)
            repeated = False
            for v in range(w):
                if start[b, v] == s and end[b, v] == e:
                    repeated = True
            if not repeated:
                start[b, w] = s
                end[b, w] = e
    return start, end


@njit(cache=True)
def try_window(b: int, start: int, end: int, fast_start: np.ndarray, fast_end: np.ndarray,
               offset: np.ndarray, size: np.ndarray, outstanding: np.ndarray,
               use_ptr: np.ndarray, use_op: np.ndarray, use_writes: np.ndarray,
               starts_in_slow: np.ndarray, ends_in_slow: np.ndarray, capacity: int,
               alignment: int, max_outstanding: int) -> int:
    """The best-fit offset buffer ``b`` would take over the window ``[start, end)`` given the
    buffers placed so far, or ``-1`` when no gap holds it or one of its copies would exceed
    the limit of outstanding copies. Changes nothing.

    :param fast_start: windows placed so far (``-1`` for none); ``fast_end`` likewise.
    :param offset: offsets placed so far (``-1`` for none).
    :param outstanding: copies outstanding per operation (length ``n_ops + 1``).
    """
    p_issue, p_due, e_issue, e_due = buffer_copies(b, use_ptr, use_op, use_writes,
                                                   starts_in_slow, ends_in_slow, start, end)
    for issue, due in ((p_issue, p_due), (e_issue, e_due)):
        if issue >= 0:
            # A buffer's prefetch ends at its window's first use and its eviction starts
            # after the last, so its own two copies never count at the same operation.
            for t in range(issue, max(due, issue + 1)):
                if outstanding[t] + 1 > max_outstanding:
                    return -1
    saved_start, saved_end, saved_offset = fast_start[b], fast_end[b], offset[b]
    fast_start[b], fast_end[b], offset[b] = start, end, -1
    found = fit_offset(fast_start, fast_end, size, offset, b, capacity, alignment, True)
    fast_start[b], fast_end[b], offset[b] = saved_start, saved_end, saved_offset
    return found


@njit(cache=True)
def place_window(b: int, start: int, end: int, at: int, fast_start: np.ndarray,
                 fast_end: np.ndarray, offset: np.ndarray, outstanding: np.ndarray,
                 use_ptr: np.ndarray, use_op: np.ndarray, use_writes: np.ndarray,
                 starts_in_slow: np.ndarray, ends_in_slow: np.ndarray) -> None:
    """Record buffer ``b``'s window and offset ``at``, and count its copies as outstanding."""
    fast_start[b], fast_end[b], offset[b] = start, end, at
    p_issue, p_due, e_issue, e_due = buffer_copies(b, use_ptr, use_op, use_writes,
                                                   starts_in_slow, ends_in_slow, start, end)
    for issue, due in ((p_issue, p_due), (e_issue, e_due)):
        if issue >= 0:
            for t in range(issue, max(due, issue + 1)):
                outstanding[t] += 1


VISIT_ORDERS = ("benefit", "first-use")


def visit_order(savings: np.ndarray, size: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                order: str) -> np.ndarray:
    """The order buffers are decided in.

    * ``"benefit"``: XLA's memory-boundedness order, decreasing ``savings / sqrt(size)``, then
      decreasing size, decreasing live range, increasing start, increasing index.
    * ``"first-use"``: increasing first use, then increasing index.

    :param savings: microseconds each buffer saves alone in fast memory.
    :raises InputError: for an unknown order.
    """
    index = np.arange(size.size)
    if order == "benefit":
        density = savings / np.sqrt(size.astype(np.float64))
        return np.lexsort((index, lower, -(upper - lower), -size, -density)).astype(np.int64)
    if order == "first-use":
        return np.lexsort((index, lower)).astype(np.int64)
    raise InputError(f"unknown order {order!r}; choose one of {', '.join(VISIT_ORDERS)}",
                     field="order")
