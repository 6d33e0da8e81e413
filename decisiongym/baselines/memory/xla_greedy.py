"""Greedy memory mappers: XLA's memory-space assignment, simplified, and a plain by-size greedy.

``xla_greedy`` follows the shape of XLA's memory-space assignment (MSA): buffers are visited
once, in decreasing *memory-boundedness* (the time a buffer saves alone in fast memory divided
by the square root of its size); each takes the first of its candidate windows
(:mod:`decisiongym.envs.memory.windows`) that a best-fit gap holds within the copy limit: the
whole live range with the prefetch at the preferred overlap ratio, then at the minimum and the
maximum ratio, then, for a buffer with a long gap between uses, the uses before the gap with an
eviction, then those after it with a prefetch back. A buffer that saves nothing stays in slow
memory. ``size_greedy`` is MSA without a cost model: decreasing size, whole live range only.

Both are one pass in a numba kernel. A window's copies can stall, so the result is simulated;
should it be slower than all-slow memory, the pass is rerun with only the windows that need no
copy, which can never be slower. The answer is a
:class:`~decisiongym.envs.memory.mapping.Mapping` for
:func:`~decisiongym.envs.memory.mapping.validate_mapping`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from decisiongym.envs.memory.hardware import Hardware
from decisiongym.envs.memory.mapping import Mapping
from decisiongym.envs.memory.program import Program
from decisiongym.envs.memory.roofline import (
    ProgramArrays,
    buffer_copies,
    buffer_savings,
    op_times_all_slow,
    program_arrays,
    simulate_windows,
)
from decisiongym.envs.memory.windows import (
    N_WINDOWS,
    candidate_windows,
    place_window,
    try_window,
    visit_order,
)


@njit(cache=True)
def _place(order: np.ndarray, savings: np.ndarray, window_start: np.ndarray,
           window_end: np.ndarray, n_tries: int, copy_free_only: bool, size: np.ndarray,
           use_ptr: np.ndarray, use_op: np.ndarray, use_writes: np.ndarray,
           starts_in_slow: np.ndarray, ends_in_slow: np.ndarray, n_ops: int, capacity: int,
           alignment: int, max_outstanding: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One pass: each buffer in ``order`` takes its first window (of the first ``n_tries``)
    that fits."""
    n = size.shape[0]
    fast_start = np.full(n, -1, dtype=np.int64)
    fast_end = np.full(n, -1, dtype=np.int64)
    offset = np.full(n, -1, dtype=np.int64)
    outstanding = np.zeros(n_ops + 1, dtype=np.int64)
    for k in range(order.shape[0]):
        b = order[k]
        if savings[b] <= 0.0:
            continue
        for w in range(n_tries):
            start, end = window_start[b, w], window_end[b, w]
            if start < 0:
                continue
            if copy_free_only:
                p_issue, _, e_issue, _ = buffer_copies(b, use_ptr, use_op, use_writes,
                                                       starts_in_slow, ends_in_slow, start, end)
                if p_issue >= 0 or e_issue >= 0:
                    continue
            at = try_window(b, start, end, fast_start, fast_end, offset, size, outstanding,
                            use_ptr, use_op, use_writes, starts_in_slow, ends_in_slow, capacity,
                            alignment, max_outstanding)
            if at >= 0:
                place_window(b, start, end, at, fast_start, fast_end, offset, outstanding,
                             use_ptr, use_op, use_writes, starts_in_slow, ends_in_slow)
                break
    return fast_start, fast_end, offset


def _greedy(program: Program, hardware: Hardware, order_name: str, n_tries: int,
            arrays: ProgramArrays | None) -> Mapping:
    a = program_arrays(program) if arrays is None else arrays
    est_times = op_times_all_slow(a.op_flops, a.read_ptr, a.read_idx, a.write_ptr,
                                  a.write_idx, a.size, hardware.compute, hardware.slow_bandwidth)
    savings = buffer_savings(a, hardware)
    if order_name == "size":
        order = np.lexsort((np.arange(a.size.size), -a.size)).astype(np.int64)
    else:
        lower = a.use_op[a.use_ptr[:-1]]
        upper = a.use_op[a.use_ptr[1:] - 1] + 1
        order = visit_order(savings, a.size, lower, upper, order_name)
    window_start, window_end = candidate_windows(a.use_ptr, a.use_op, a.use_writes,
                                                 a.starts_in_slow, a.ends_in_slow, a.size,
                                                 est_times, hardware.copy_bandwidth, n_tries)
    result = None
    for copy_free_only in (False, True):
        fast_start, fast_end, offset = _place(
            order, savings, window_start, window_end, n_tries, copy_free_only, a.size,
            a.use_ptr, a.use_op, a.use_writes, a.starts_in_slow, a.ends_in_slow,
            a.n_operations, hardware.fast_capacity, hardware.alignment,
            hardware.max_outstanding_copies)
        result = Mapping(fast_start, fast_end, offset)
        if simulate_windows(a, hardware, fast_start, fast_end) <= float(est_times.sum()):
            break
    assert result is not None
    return result


def xla_greedy(program: Program, hardware: Hardware, mode: str = "full",
               arrays: ProgramArrays | None = None) -> Mapping:
    """XLA-style memory-space assignment (see the module docstring).

    :param program: the scheduled program.
    :param hardware: the chip; its fast capacity is the limit.
    :param mode: ``"full"`` tries every candidate window, ``"basic"`` only the whole live range
        at the preferred prefetch (the mapping env's two modes).
    :param arrays: the program's kernel arrays when the caller has them already.
    :return: a mapping never slower than all-slow memory.
    """
    return _greedy(program, hardware, "benefit", N_WINDOWS if mode == "full" else 1, arrays)


def size_greedy(program: Program, hardware: Hardware,
                arrays: ProgramArrays | None = None) -> Mapping:
    """MSA's order without a cost model: decreasing size, the whole live range at the
    preferred prefetch, best-fit offsets (buffers that save nothing stay in slow memory).

    :param program: the scheduled program.
    :param hardware: the chip.
    :param arrays: the program's kernel arrays when the caller has them already.
    :return: a mapping never slower than all-slow memory.
    """
    return _greedy(program, hardware, "size", 1, arrays)
