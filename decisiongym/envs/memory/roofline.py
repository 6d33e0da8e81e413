"""The cost model of a memory mapping and its simulator (numba kernels).

**Operations.** Operations run one after the other in schedule order. Operation ``t`` takes

    ``max(flops[t] / compute, fast_bytes[t] / fast_bandwidth + slow_bytes[t] / slow_bandwidth)``

seconds, XLA memory-space assignment's roofline (the memory times add, then the larger of memory
and compute wins). Its bytes are the sizes of the buffers it reads plus those it writes (a
buffer both read and written counts twice); a use is in fast memory when the operation falls in
the buffer's fast window (see :mod:`decisiongym.envs.memory.mapping`), in slow memory otherwise.

**Copies.** A copy is issued at the start of an operation (the *boundary* before it) and must be
complete before a later boundary, its *deadline*; the operation at the deadline stalls until it
is. The copy engine serves copies one at a time, first in first out, in the order (issue
boundary, buffer, prefetch before eviction), each taking ``bytes / copy_bandwidth``; a copy
starts when it is issued or when the engine frees up, whichever is later. Boundary ``T`` (the
number of operations) is the end of the program: an eviction due there delays the end.

The program's time is the end of its last operation (or of the last copy due at the end), in
microseconds. The program arrays (compressed rows per operation, and per buffer the list of its
uses) are read by the kernels as flat arrays; :func:`program_arrays` builds them once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from decisiongym.envs.memory.hardware import Hardware
from decisiongym.envs.memory.program import BufferKind, Program


@dataclass(frozen=True, eq=False)
class ProgramArrays:
    """What the kernels read of a program.

    :param op_flops: FLOPs per operation.
    :param read_ptr: the program's compressed rows of reads.
    :param read_idx: see ``read_ptr``.
    :param write_ptr: the program's compressed rows of writes.
    :param write_idx: see ``write_ptr``.
    :param size: bytes per buffer.
    :param use_ptr: compressed rows of each buffer's uses: buffer ``b`` is used by operations
        ``use_op[use_ptr[b]:use_ptr[b + 1]]`` (increasing).
    :param use_op: see ``use_ptr``.
    :param use_writes: 1 where that use writes the buffer, else 0.
    :param starts_in_slow: 1 for a buffer whose content exists before its first use (see
        :mod:`decisiongym.envs.memory.mapping`).
    :param ends_in_slow: 1 for a buffer whose final content must end in slow memory.
    """

    op_flops: np.ndarray
    read_ptr: np.ndarray
    read_idx: np.ndarray
    write_ptr: np.ndarray
    write_idx: np.ndarray
    size: np.ndarray
    use_ptr: np.ndarray
    use_op: np.ndarray
    use_writes: np.ndarray
    starts_in_slow: np.ndarray
    ends_in_slow: np.ndarray

    @property
    def n_operations(self) -> int:
        """How many operations the program holds."""
        return int(self.op_flops.size)


def program_arrays(program: Program) -> ProgramArrays:
    """The flat arrays the kernels read, built once per program."""
    n, n_ops = program.n_buffers, program.n_operations
    ops: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for t in range(n_ops):
        writes = set(program.writes(t).tolist())
        for b in set(program.reads(t).tolist()) | writes:
            ops[b].append((t, int(b in writes)))
    use_ptr = np.zeros(n + 1, dtype=np.int64)
    use_ptr[1:] = np.cumsum([len(row) for row in ops])
    use_op = np.array([t for row in ops for t, _ in row], dtype=np.int64)
    use_writes = np.array([w for row in ops for _, w in row], dtype=np.int8)
    kind = program.buffer_kind
    first_write = use_writes[use_ptr[:-1]] == 1
    loaded = (kind == BufferKind.PARAMETER) | (kind == BufferKind.INPUT) | ~first_write
    written = np.array([bool(row) and any(w for _, w in row) for row in ops], dtype=bool)
    stored = (kind == BufferKind.OUTPUT) | ((kind == BufferKind.PARAMETER) & written)
    return ProgramArrays(program.op_flops, program.read_ptr, program.read_idx, program.write_ptr,
                         program.write_idx, program.buffer_size, use_ptr, use_op, use_writes,
                         loaded.astype(np.int8), stored.astype(np.int8))


@njit(cache=True)
def op_times_all_slow(op_flops: np.ndarray, read_ptr: np.ndarray, read_idx: np.ndarray,
                      write_ptr: np.ndarray, write_idx: np.ndarray, size: np.ndarray,
                      compute: float, slow_bandwidth: float) -> np.ndarray:
    """Microseconds per operation with every buffer in slow memory."""
    n_ops = op_flops.shape[0]
    times = np.empty(n_ops, dtype=np.float64)
    for t in range(n_ops):
        slow = 0.0
        for k in range(read_ptr[t], read_ptr[t + 1]):
            slow += size[read_idx[k]] / slow_bandwidth
        for k in range(write_ptr[t], write_ptr[t + 1]):
            slow += size[write_idx[k]] / slow_bandwidth
        times[t] = max(op_flops[t] / compute, slow) * 1e6
    return times


@njit(cache=True)
def single_buffer_savings(op_flops: np.ndarray, read_ptr: np.ndarray, read_idx: np.ndarray,
                          write_ptr: np.ndarray, write_idx: np.ndarray, size: np.ndarray,
                          use_ptr: np.ndarray, use_op: np.ndarray, compute: float,
                          fast_bandwidth: float, slow_bandwidth: float) -> np.ndarray:
    """Microseconds each buffer saves alone in fast memory over all its uses, copies ignored:
    the *benefit* of XLA's memory-boundedness order."""
    all_slow = op_times_all_slow(op_flops, read_ptr, read_idx, write_ptr, write_idx, size,
                                 compute, slow_bandwidth)
    n = size.shape[0]
    savings = np.zeros(n, dtype=np.float64)
    for b in range(n):
        for k in range(use_ptr[b], use_ptr[b + 1]):
            t = use_op[k]
            slow = 0.0
            fast = 0.0
            for r in range(read_ptr[t], read_ptr[t + 1]):
                if read_idx[r] == b:
                    fast += size[b] / fast_bandwidth
                else:
                    slow += size[read_idx[r]] / slow_bandwidth
            for w in range(write_ptr[t], write_ptr[t + 1]):
                if write_idx[w] == b:
                    fast += size[b] / fast_bandwidth
                else:
                    slow += size[write_idx[w]] / slow_bandwidth
            savings[b] += all_slow[t] - max(op_flops[t] / compute, fast + slow) * 1e6
    return savings


@njit(cache=True)
def buffer_copies(b: int, use_ptr: np.ndarray, use_op: np.ndarray, use_writes: np.ndarray,
                  starts_in_slow: np.ndarray, ends_in_slow: np.ndarray, fast_start: int,
                  fast_end: int) -> tuple[int, int, int, int]:
    """The copies buffer ``b`` needs for the fast window ``[fast_start, fast_end)``.

    :return: ``(prefetch_issue, prefetch_deadline, eviction_issue, eviction_deadline)``, each
        ``-1`` when that copy is not needed (a window that holds no use needs none).
    """
    first = -1
    last = -1
    written = False
    later_use = False
    for k in range(use_ptr[b], use_ptr[b + 1]):
        t = use_op[k]
        if fast_start <= t < fast_end:
            if first < 0:
                first = t
            last = t
            if use_writes[k] == 1:
                written = True
        elif t >= fast_end:
            later_use = True
    if first < 0:
        return -1, -1, -1, -1
    lower = use_op[use_ptr[b]]
    p_issue, p_due, e_issue, e_due = -1, -1, -1, -1
    if starts_in_slow[b] == 1 or fast_start > lower:
        p_issue, p_due = fast_start, first
    if written and (later_use or ends_in_slow[b] == 1):
        e_issue, e_due = last + 1, fast_end
    return p_issue, p_due, e_issue, e_due


@njit(cache=True)
def simulate(op_flops: np.ndarray, read_ptr: np.ndarray, read_idx: np.ndarray,
             write_ptr: np.ndarray, write_idx: np.ndarray, size: np.ndarray,
             use_ptr: np.ndarray, use_op: np.ndarray, use_writes: np.ndarray,
             starts_in_slow: np.ndarray, ends_in_slow: np.ndarray, fast_start: np.ndarray,
             fast_end: np.ndarray, compute: float, fast_bandwidth: float,
             slow_bandwidth: float, copy_bandwidth: float) -> float:
    """The program's time in microseconds under a mapping given as fast windows.

    :param fast_start: per buffer, the boundary its fast window opens at, ``-1`` for a buffer
        in slow memory.
    :param fast_end: per buffer, the boundary its fast window closes at.
    :return: microseconds from the first operation's start to the program's end.
    """
    n_ops = op_flops.shape[0]
    n = size.shape[0]
    issue = np.empty(2 * n, dtype=np.int64)
    due = np.empty(2 * n, dtype=np.int64)
    key = np.empty(2 * n, dtype=np.int64)
    nbytes = np.empty(2 * n, dtype=np.float64)
    count = 0
    for b in range(n):
        if fast_start[b] < 0:
            continue
        p_issue, p_due, e_issue, e_due = buffer_copies(b, use_ptr, use_op, use_writes,
                                                       starts_in_slow, ends_in_slow,
                                                       fast_start[b], fast_end[b])
        if p_issue >= 0:
            issue[count], due[count], nbytes[count] = p_issue, p_due, size[b]
            key[count] = (p_issue * n + b) * 2
            count += 1
        if e_issue >= 0:
            issue[count], due[count], nbytes[count] = e_issue, e_due, size[b]
            key[count] = (e_issue * n + b) * 2 + 1
            count += 1
    order = np.argsort(key[:count])
    wait_until = np.zeros(n_ops + 1, dtype=np.float64)
    engine_free = 0.0
    clock = 0.0
    next_copy = 0
    for t in range(n_ops + 1):
        while next_copy < count and issue[order[next_copy]] == t:
            c = order[next_copy]
            done = max(clock, engine_free) + nbytes[c] / copy_bandwidth * 1e6
            engine_free = done
            if done > wait_until[due[c]]:
                wait_until[due[c]] = done
            next_copy += 1
        clock = max(clock, wait_until[t])
        if t == n_ops:
            break
        fast = 0.0
        slow = 0.0
        for k in range(read_ptr[t], read_ptr[t + 1]):
            b = read_idx[k]
            if fast_start[b] >= 0 and fast_start[b] <= t < fast_end[b]:
                fast += size[b] / fast_bandwidth
            else:
                slow += size[b] / slow_bandwidth
        for k in range(write_ptr[t], write_ptr[t + 1]):
            b = write_idx[k]
            if fast_start[b] >= 0 and fast_start[b] <= t < fast_end[b]:
                fast += size[b] / fast_bandwidth
            else:
                slow += size[b] / slow_bandwidth
        clock += max(op_flops[t] / compute, fast + slow) * 1e6
    return clock


def simulate_windows(arrays: ProgramArrays, hardware: Hardware, fast_start: np.ndarray,
                     fast_end: np.ndarray) -> float:
    """:func:`simulate` on a program's arrays and a chip: microseconds under the windows."""
    return float(simulate(arrays.op_flops, arrays.read_ptr, arrays.read_idx, arrays.write_ptr,
                          arrays.write_idx, arrays.size, arrays.use_ptr, arrays.use_op,
                          arrays.use_writes, arrays.starts_in_slow, arrays.ends_in_slow,
                          fast_start, fast_end, hardware.compute, hardware.fast_bandwidth,
                          hardware.slow_bandwidth, hardware.copy_bandwidth))


def buffer_savings(arrays: ProgramArrays, hardware: Hardware) -> np.ndarray:
    """:func:`single_buffer_savings` on a program's arrays and a chip (microseconds)."""
    return np.asarray(single_buffer_savings(
        arrays.op_flops, arrays.read_ptr, arrays.read_idx, arrays.write_ptr, arrays.write_idx,
        arrays.size, arrays.use_ptr, arrays.use_op, hardware.compute, hardware.fast_bandwidth,
        hardware.slow_bandwidth))

