"""Static memory allocation: buffers with fixed live ranges, placed at offsets in one memory.

This is MiniMalloc's problem (and TelaMalloc's, and the offset half of XLA's memory-space
assignment): each buffer is live on the half-open time interval ``[lower, upper)`` and needs
``size`` contiguous units; an allocation gives each buffer an ``offset`` so that buffers live at
the same time never share an address and every buffer ends at or below the capacity. In the
picture of strip packing, time is the x axis (fixed) and the address the y axis (chosen).

:class:`AllocationProblem` holds the arrays the numba kernels read; :func:`validate_allocation`
re-checks an answer from the problem alone, pair by pair, without any of the solvers' code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from decisiongym.envs.core.errors import InputError, ValidationError

MAX_BUFFERS = 1_000_000
"""The most buffers one problem may hold (a larger file is refused before it is parsed)."""

MAX_VALUE = 2**62
"""The largest time, size, capacity or offset accepted, so that offset + size never overflows
a 64-bit integer in a kernel."""

FREE = -1
"""The offset value that marks a buffer as not yet placed (in ``fixed_offsets`` and answers)."""


def _int_array(values: Sequence[int] | np.ndarray, name: str, n: int | None) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise InputError(f"must be one-dimensional, got shape {array.shape}", field=name)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.issubdtype(array.dtype, np.floating) or not np.all(np.isfinite(array)):
            raise InputError("must hold finite integers", field=name)
        if not np.all(array == np.round(array)):
            raise InputError("must hold integers", field=name)
    if n is not None and array.size != n:
        raise InputError(f"has {array.size} entries, expected {n} (one per buffer)", field=name)
    if array.size and (np.abs(array.astype(np.float64)) > MAX_VALUE).any():
        raise InputError("holds a value beyond the limit of 2**62", field=name)
    return np.ascontiguousarray(array, dtype=np.int64)


@dataclass(frozen=True)
class AllocationProblem:
    """Buffers with fixed live ranges and sizes, and the memory they must fit in.

    :param lower: first time step each buffer is live (inclusive).
    :param upper: the time step after its last use (exclusive); ``upper > lower``.
    :param size: units each buffer needs (bytes in a traced program), ``> 0``.
    :param capacity: units of memory; every buffer must end at or below it.
    :param names: one name per buffer (MiniMalloc's ``id`` column); ``"0"``, ``"1"``... when not
        given.
    :param alignment: every offset must be a multiple of it (1: any offset).
    :param fixed_offsets: ``FREE`` (-1) for a buffer to place, its offset for one placed in
        advance (MiniMalloc's fixed-offset buffers); ``None`` when every buffer is free.
    :param name: the workload's name, for tables.
    """

    lower: np.ndarray
    upper: np.ndarray
    size: np.ndarray
    capacity: int
    names: tuple[str, ...] = ()
    alignment: int = 1
    fixed_offsets: np.ndarray | None = None
    name: str = "problem"

    def __post_init__(self) -> None:
        lower = _int_array(self.lower, "lower", None)
        n = lower.size
        if n > MAX_BUFFERS:
            raise InputError(f"{n} buffers, above the limit of {MAX_BUFFERS}", field="lower")
        upper = _int_array(self.upper, "upper", n)
        size = _int_array(self.size, "size", n)
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "upper", upper)
        object.__setattr__(self, "size", size)
        names = tuple(str(x) for x in self.names) if self.names else tuple(map(str, range(n)))
        if len(names) != n:
            raise InputError(f"has {len(names)} entries, expected {n}", field="names")
        if len(set(names)) != n:
            seen: set[str] = set()
            for label in names:
                if label in seen:
                    raise InputError(f"buffer name {label!r} appears twice", field="names")
                seen.add(label)
        object.__setattr__(self, "names", names)
        for label, value in (("capacity", self.capacity), ("alignment", self.alignment)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise InputError(f"must be an integer, got {value!r}", field=label)
            if not 1 <= int(value) <= MAX_VALUE:
                raise InputError(f"must be between 1 and 2**62, got {value}", field=label)
        object.__setattr__(self, "capacity", int(self.capacity))
        object.__setattr__(self, "alignment", int(self.alignment))
        if n:
            if (lower < 0).any():
                raise InputError(f"buffer {names[int(np.argmax(lower < 0))]!r} starts before "
                                 "time 0", field="lower")
            bad = upper <= lower
            if bad.any():
                i = int(np.argmax(bad))
                raise InputError(f"buffer {names[i]!r} has upper {upper[i]} <= lower {lower[i]}: "
                                 "a live range is the half-open [lower, upper)", field="upper")
            if (size <= 0).any():
                i = int(np.argmax(size <= 0))
                raise InputError(f"buffer {names[i]!r} has size {size[i]}; sizes are > 0",
                                 field="size")
        if self.fixed_offsets is not None:
            fixed = _int_array(self.fixed_offsets, "fixed_offsets", n)
            bad = (fixed < FREE)
            if bad.any():
                i = int(np.argmax(bad))
                raise InputError(f"buffer {names[i]!r} has offset {fixed[i]}; use -1 for a "
                                 "buffer to place", field="fixed_offsets")
            object.__setattr__(self, "fixed_offsets", fixed)

    @property
    def n_buffers(self) -> int:
        """How many buffers the problem holds."""
        return int(self.lower.size)

    @property
    def horizon(self) -> int:
        """The time step after the last buffer's last use (0 when there are no buffers)."""
        return int(self.upper.max()) if self.n_buffers else 0

    def live_bytes(self) -> np.ndarray:
        """Total size of the buffers live at each time step ``0 .. horizon - 1``."""
        delta = np.zeros(self.horizon + 1, dtype=np.int64)
        np.add.at(delta, self.lower, self.size)
        np.add.at(delta, self.upper, -self.size)
        return np.cumsum(delta)[:-1]

    def max_live(self) -> int:
        """The largest total size live at one time: a lower bound on any allocation's peak."""
        return int(self.live_bytes().max()) if self.n_buffers else 0

    def with_capacity(self, capacity: int) -> AllocationProblem:
        """The same buffers in a memory of another capacity."""
        return AllocationProblem(self.lower, self.upper, self.size, capacity, self.names,
                                 self.alignment, self.fixed_offsets, self.name)


def peak(problem: AllocationProblem, offsets: np.ndarray) -> int:
    """The highest address an allocation uses: ``max(offset + size)`` (0 with no buffers)."""
    if problem.n_buffers == 0:
        return 0
    return int((np.asarray(offsets, dtype=np.int64) + problem.size).max())


def validate_allocation(problem: AllocationProblem, offsets: Sequence[int] | np.ndarray,
                        capacity: int | None = None) -> int:
    """Re-check an allocation from the problem alone and return its peak.

    Written apart from every solver (plain numpy, pair by pair along time) so that a bug in a
    solver cannot hide in a shared helper.

    :param problem: the buffers.
    :param offsets: one offset per buffer.
    :param capacity: the limit to hold the peak to; the problem's capacity when ``None``. Pass
        a larger value to validate a peak-minimising answer that overshoots on purpose.
    :return: the peak address ``max(offset + size)``.
    :raises ValidationError: naming the first broken constraint and the buffers involved:
        ``"placed"`` (an offset of -1), ``"alignment"``, ``"capacity"``, ``"fixed-offset"``,
        ``"no-overlap"``.
    """
    n = problem.n_buffers
    off = np.asarray(offsets)
    if off.shape != (n,) or (n and not np.issubdtype(off.dtype, np.integer)):
        raise ValidationError("shape", (), f"expected {n} integer offsets, got array of shape "
                              f"{off.shape} and type {off.dtype}")
    off = off.astype(np.int64)
    limit = problem.capacity if capacity is None else int(capacity)
    names = problem.names
    for i in range(n):
        o = int(off[i])
        if o < 0:
            raise ValidationError("placed", (names[i],), f"buffer {names[i]!r} has offset {o}")
        if o % problem.alignment:
            raise ValidationError("alignment", (names[i],), f"buffer {names[i]!r} at offset {o} "
                                  f"is not a multiple of {problem.alignment}")
        if o + int(problem.size[i]) > limit:
            raise ValidationError("capacity", (names[i],),
                                  f"buffer {names[i]!r} ends at {o + int(problem.size[i])}, "
                                  f"above the capacity {limit}")
        if problem.fixed_offsets is not None and problem.fixed_offsets[i] != FREE \
                and problem.fixed_offsets[i] != o:
            raise ValidationError("fixed-offset", (names[i],),
                                  f"buffer {names[i]!r} is fixed at {problem.fixed_offsets[i]}, "
                                  f"placed at {o}")
    # Sort by start: a buffer can only collide with those that start before it ends.
    order = np.argsort(problem.lower, kind="stable")
    lower, upper = problem.lower[order], problem.upper[order]
    low, high = off[order], off[order] + problem.size[order]
    for a in range(n):
        stop = int(np.searchsorted(lower, upper[a], side="left"))
        if stop <= a + 1:
            continue
        b = np.arange(a + 1, stop)
        clash = (upper[b] > lower[a]) & (low[b] < high[a]) & (low[a] < high[b])
        if clash.any():
            i, j = int(order[a]), int(order[b[np.argmax(clash)]])
            raise ValidationError(
                "no-overlap", (names[i], names[j]),
                f"buffers {names[i]!r} [{problem.lower[i]}, {problem.upper[i]}) x "
                f"[{off[i]}, {off[i] + problem.size[i]}) and {names[j]!r} "
                f"[{problem.lower[j]}, {problem.upper[j]}) x [{off[j]}, {off[j] + problem.size[j]})"
                " share time and addresses")
    return peak(problem, off)
