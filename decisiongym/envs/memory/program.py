"""An ML program as the memory family sees it: a linear schedule of operations over buffers.

Time is the operation's index in the schedule. Each operation has a FLOP count and the buffers
it reads and writes; each buffer has a size in bytes and a kind. A buffer is live from its first
use to its last (a parameter or input from its first reader, an activation from the operation
that writes it), so a program defines an :class:`~decisiongym.envs.memory.problem.AllocationProblem`
for any memory (:meth:`Program.allocation_problem`), and the mapping problem on top of it: which
buffers go to the fast memory, and when.

The uses are held in compressed rows (``read_ptr``/``read_idx``, ``write_ptr``/``write_idx``:
operation ``t`` reads ``read_idx[read_ptr[t]:read_ptr[t + 1]]``) so numba kernels read them as
flat arrays.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.problem import MAX_BUFFERS, MAX_VALUE, AllocationProblem

MAX_OPERATIONS = 1_000_000
"""The most operations one program may hold."""


class BufferKind(enum.IntEnum):
    """What a buffer holds; the mapping baselines and the agent's features read it."""

    PARAMETER = 0
    INPUT = 1
    ACTIVATION = 2
    OUTPUT = 3


def _csr(rows: Sequence[Sequence[int]], n_buffers: int,
         field: str) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    flat: list[int] = []
    for t, row in enumerate(rows):
        unique = sorted(set(int(b) for b in row))
        if unique and (unique[0] < 0 or unique[-1] >= n_buffers):
            bad = unique[0] if unique[0] < 0 else unique[-1]
            raise InputError(f"operation {t} names buffer {bad}, outside 0..{n_buffers - 1}",
                             field=field)
        flat.extend(unique)
        ptr[t + 1] = len(flat)
    return ptr, np.array(flat, dtype=np.int64)


@dataclass(frozen=True)
class Program:
    """A scheduled program: operations (in order) and the buffers they use.

    Build one with :meth:`from_lists`; the array fields are what kernels read.

    :param name: the workload's name.
    :param buffer_names: one name per buffer.
    :param buffer_size: bytes per buffer, ``> 0``.
    :param buffer_kind: a :class:`BufferKind` value per buffer.
    :param op_names: one name per operation (the ATen op for a traced program).
    :param op_flops: floating-point operations per operation, ``>= 0``.
    :param read_ptr: compressed rows of the buffers each operation reads.
    :param read_idx: see ``read_ptr``.
    :param write_ptr: compressed rows of the buffers each operation writes.
    :param write_idx: see ``write_ptr``.
    """

    name: str
    buffer_names: tuple[str, ...]
    buffer_size: np.ndarray
    buffer_kind: np.ndarray
    op_names: tuple[str, ...]
    op_flops: np.ndarray
    read_ptr: np.ndarray
    read_idx: np.ndarray
    write_ptr: np.ndarray
    write_idx: np.ndarray

    @classmethod
    def from_lists(cls, name: str, buffers: Sequence[tuple[str, int, BufferKind | int]],
                   operations: Sequence[tuple[str, float, Sequence[int], Sequence[int]]]
                   ) -> Program:
        """Build a program from plain lists.

        :param name: the workload's name.
        :param buffers: ``(name, size_bytes, kind)`` per buffer.
        :param operations: ``(name, flops, reads, writes)`` per operation, in schedule order;
            ``reads`` and ``writes`` are buffer indices.
        :raises InputError: naming the buffer, operation or field at fault.
        """
        if len(buffers) > MAX_BUFFERS:
            raise InputError(f"{len(buffers)} buffers, above the limit of {MAX_BUFFERS}",
                             field="buffers")
        if len(operations) > MAX_OPERATIONS:
            raise InputError(f"{len(operations)} operations, above the limit of "
                             f"{MAX_OPERATIONS}", field="operations")
        sizes = np.array([int(b[1]) for b in buffers], dtype=np.int64)
        kinds = np.array([int(BufferKind(b[2])) for b in buffers], dtype=np.int8)
        read_ptr, read_idx = _csr([op[2] for op in operations], len(buffers), "reads")
        write_ptr, write_idx = _csr([op[3] for op in operations], len(buffers), "writes")
        return cls(name=name, buffer_names=tuple(str(b[0]) for b in buffers), buffer_size=sizes,
                   buffer_kind=kinds, op_names=tuple(str(op[0]) for op in operations),
                   op_flops=np.array([float(op[1]) for op in operations], dtype=np.float64),
                   read_ptr=read_ptr, read_idx=read_idx, write_ptr=write_ptr,
                   write_idx=write_idx)

    def __post_init__(self) -> None:
        n_buf, n_op = len(self.buffer_names), len(self.op_names)
        if len(set(self.buffer_names)) != n_buf:
            raise InputError("two buffers share a name", field="buffer_names")
        if self.buffer_size.shape != (n_buf,) or self.buffer_kind.shape != (n_buf,):
            raise InputError(f"expected {n_buf} entries", field="buffer_size")
        if n_buf and ((self.buffer_size <= 0).any() or (self.buffer_size > MAX_VALUE).any()):
            i = int(np.argmax((self.buffer_size <= 0) | (self.buffer_size > MAX_VALUE)))
            raise InputError(f"buffer {self.buffer_names[i]!r} has size {self.buffer_size[i]}; "
                             "sizes are between 1 and 2**62 bytes", field="buffer_size")
        if self.op_flops.shape != (n_op,):
            raise InputError(f"expected {n_op} entries", field="op_flops")
        if n_op and (~np.isfinite(self.op_flops) | (self.op_flops < 0)).any():
            t = int(np.argmax(~np.isfinite(self.op_flops) | (self.op_flops < 0)))
            raise InputError(f"operation {t} ({self.op_names[t]!r}) has {self.op_flops[t]} "
                             "FLOPs; expected a finite number >= 0", field="op_flops")
        for label, ptr in (("read_ptr", self.read_ptr), ("write_ptr", self.write_ptr)):
            if ptr.shape != (n_op + 1,) or ptr[0] != 0 or (np.diff(ptr) < 0).any():
                raise InputError("not a compressed-row pointer of one row per operation",
                                 field=label)
        unused = np.setdiff1d(np.arange(n_buf), np.concatenate([self.read_idx, self.write_idx]))
        if unused.size:
            raise InputError(f"buffer {self.buffer_names[int(unused[0])]!r} is used by no "
                             "operation", field="buffers")

    @property
    def n_buffers(self) -> int:
        """How many buffers the program holds."""
        return len(self.buffer_names)

    @property
    def n_operations(self) -> int:
        """How many operations the schedule holds."""
        return len(self.op_names)

    def reads(self, t: int) -> np.ndarray:
        """Buffer indices operation ``t`` reads."""
        return self.read_idx[self.read_ptr[t]:self.read_ptr[t + 1]]

    def writes(self, t: int) -> np.ndarray:
        """Buffer indices operation ``t`` writes."""
        return self.write_idx[self.write_ptr[t]:self.write_ptr[t + 1]]

    def live_ranges(self) -> tuple[np.ndarray, np.ndarray]:
        """``(lower, upper)`` per buffer: its first use and one past its last, in operations."""
        lower = np.full(self.n_buffers, self.n_operations, dtype=np.int64)
        upper = np.zeros(self.n_buffers, dtype=np.int64)
        for ptr, idx in ((self.read_ptr, self.read_idx), (self.write_ptr, self.write_idx)):
            times = np.repeat(np.arange(self.n_operations, dtype=np.int64), np.diff(ptr))
            np.minimum.at(lower, idx, times)
            np.maximum.at(upper, idx, times + 1)
        return lower, upper

    def allocation_problem(self, capacity: int, alignment: int = 1) -> AllocationProblem:
        """The static allocation problem of every buffer over its live range."""
        lower, upper = self.live_ranges()
        return AllocationProblem(lower, upper, self.buffer_size, capacity, self.buffer_names,
                                 alignment, name=self.name)

    def peak_live_bytes(self) -> int:
        """The most bytes live at one time, the capacity that holds every buffer at once."""
        return self.allocation_problem(MAX_VALUE).max_live()
