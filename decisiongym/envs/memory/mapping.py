"""A memory mapping (which buffers live in fast memory, where, and when) and its validator.

**Where content starts and ends.** Every buffer has a home in slow memory. A buffer's content
*starts in slow memory* when it exists before the program touches it: a parameter or an input,
or any buffer whose first use reads it. Its content *must end in slow memory* when it is an
output, or a parameter that the program writes (a training step's updated weight).

**A mapping.** Each buffer is either in slow memory for all its uses, or has one *fast window*:
the boundaries ``[fast_start, fast_end)`` (boundary ``t`` is the start of operation ``t``; ``T``,
the number of operations, is the program's end) over which it holds
``[offset, offset + size)`` in fast memory. Its uses at operations inside the window read and
write fast memory, the others slow memory: this is XLA's use segments cut down to one fast
segment per buffer. The window implies its copies:

* a *prefetch* (slow to fast), issued at ``fast_start``, due at the window's first use, when the
  content already exists at ``fast_start`` (it starts in slow memory, or the window opens after
  the first use). Otherwise the buffer is born in fast memory and ``fast_start`` may not precede
  its first use.
* an *eviction* (fast to slow), issued right after the window's last use, due at ``fast_end``,
  when a use inside the window writes the buffer and the content is needed in slow memory later
  (a use after the window, or the content must end in slow memory). The space stays held until
  ``fast_end``, so it is freed only once the copy is complete.

A window must hold at least one use. A copy is *outstanding* from its issue boundary up to its
due boundary (at least over the operation it is issued at); at most ``max_outstanding_copies``
may be outstanding at any operation. The run time follows :mod:`decisiongym.envs.memory.roofline`.

:func:`validate_mapping` re-checks all of it from the program alone, in plain Python, and
recomputes the time without the kernels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from decisiongym.envs.core.errors import ValidationError
from decisiongym.envs.memory.hardware import MICROSECONDS_PER_SECOND, Hardware
from decisiongym.envs.memory.problem import AllocationProblem, validate_allocation
from decisiongym.envs.memory.program import BufferKind, Program

SLOW_MEMORY, FAST_MEMORY = "slow", "fast"


@dataclass(frozen=True, eq=False)
class Mapping:
    """One fast window (or none) per buffer, as the module docstring defines.

    :param fast_start: per buffer, the boundary the window opens at; ``-1`` for slow memory.
    :param fast_end: per buffer, the boundary it closes at; ``-1`` for slow memory.
    :param offset: per buffer, its fast-memory offset in bytes; ``-1`` for slow memory.
    """

    fast_start: np.ndarray
    fast_end: np.ndarray
    offset: np.ndarray

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return all(np.array_equal(getattr(self, f), getattr(other, f))
                   for f in ("fast_start", "fast_end", "offset"))

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def all_slow(cls, n_buffers: int) -> Mapping:
        """Every buffer in slow memory."""
        none = np.full(n_buffers, -1, dtype=np.int64)
        return cls(none, none.copy(), none.copy())

    @property
    def in_fast(self) -> np.ndarray:
        """A boolean per buffer: has a fast window."""
        return np.asarray(self.fast_start) >= 0

    def placements(self, program: Program) -> list[dict[str, Any]]:
        """One record per buffer: ``buffer``, ``memory`` (``"slow"``/``"fast"``), ``offset``,
        ``prefetch`` (the boundary its prefetch is issued at, or ``None``) and ``evict`` (the
        boundary its fast space is released at when that is before the buffer's last use ends
        or an eviction copy is due there, else ``None``)."""
        copies = {(b, kind): issue for b, kind, issue, _ in _copies(program, self)}
        _, upper = program.live_ranges()
        rows: list[dict[str, Any]] = []
        for b, name in enumerate(program.buffer_names):
            if self.fast_start[b] < 0:
                rows.append({"buffer": name, "memory": SLOW_MEMORY, "offset": None,
                             "prefetch": None, "evict": None})
                continue
            end = int(self.fast_end[b])
            evicted = (b, "eviction") in copies or end < int(upper[b])
            rows.append({"buffer": name, "memory": FAST_MEMORY, "offset": int(self.offset[b]),
                         "prefetch": copies.get((b, "prefetch")),
                         "evict": end if evicted else None})
        return rows


def _uses(program: Program) -> list[list[tuple[int, bool]]]:
    """Per buffer, ``(operation, writes)`` for each operation using it, in schedule order."""
    uses: list[list[tuple[int, bool]]] = [[] for _ in range(program.n_buffers)]
    for t in range(program.n_operations):
        written = {int(b) for b in program.writes(t)}
        for b in sorted({int(b) for b in program.reads(t)} | written):
            uses[b].append((t, b in written))
    return uses


def _copies(program: Program, mapping: Mapping) -> list[tuple[int, str, int, int]]:
    """``(buffer, "prefetch" | "eviction", issue, due)`` for every copy the mapping implies."""
    copies = []
    for b, uses in enumerate(_uses(program)):
        start, end = int(mapping.fast_start[b]), int(mapping.fast_end[b])
        if start < 0:
            continue
        inside = [(t, w) for t, w in uses if start <= t < end]
        if not inside:
            continue
        kind = BufferKind(int(program.buffer_kind[b]))
        loaded = kind in (BufferKind.PARAMETER, BufferKind.INPUT) or not uses[0][1]
        stored = kind == BufferKind.OUTPUT or (kind == BufferKind.PARAMETER
                                               and any(w for _, w in uses))
        if loaded or start > uses[0][0]:
            copies.append((b, "prefetch", start, inside[0][0]))
        later = any(t >= end for t, _ in uses)
        if any(w for _, w in inside) and (later or stored):
            copies.append((b, "eviction", inside[-1][0] + 1, end))
    return copies


def _op_seconds(program: Program, hardware: Hardware, t: int, mapping: Mapping | None) -> float:
    memory = 0.0
    for b in list(program.reads(t)) + list(program.writes(t)):
        inside = mapping is not None and mapping.fast_start[b] <= t < mapping.fast_end[b]
        bandwidth = hardware.fast_bandwidth if inside else hardware.slow_bandwidth
        memory += float(program.buffer_size[b]) / bandwidth
    return max(float(program.op_flops[t]) / hardware.compute, memory)


def time_all_slow(program: Program, hardware: Hardware) -> float:
    """Microseconds the program takes with every buffer in slow memory."""
    return sum(_op_seconds(program, hardware, t, None)
               for t in range(program.n_operations)) * MICROSECONDS_PER_SECOND


def validate_mapping(program: Program, hardware: Hardware, mapping: Mapping) -> float:
    """Re-check a mapping from the program alone and return its run time in microseconds.

    :param program: the scheduled program.
    :param hardware: the chip (its fast capacity is the limit checked).
    :param mapping: the answer.
    :return: the program's time under the mapping, recomputed in plain Python.
    :raises ValidationError: naming the first broken constraint and the buffers involved:
        ``"shape"``, ``"window"`` (bounds, a window with no use, a window opening before the
        buffer exists), ``"placed"``, ``"alignment"``, ``"capacity"``, ``"no-overlap"`` (time x
        address in fast memory), ``"copy-limit"``.
    """
    n, n_ops = program.n_buffers, program.n_operations
    arrays = {}
    for field in ("fast_start", "fast_end", "offset"):
        value = np.asarray(getattr(mapping, field))
        if value.shape != (n,) or (n and not np.issubdtype(value.dtype, np.integer)):
            raise ValidationError("shape", (field,), f"{field} must hold {n} integers, got "
                                  f"shape {value.shape} of type {value.dtype}")
        arrays[field] = value.astype(np.int64)
    start, end, offset = arrays["fast_start"], arrays["fast_end"], arrays["offset"]
    names = program.buffer_names
    uses = _uses(program)
    fast: list[int] = []
    for b in range(n):
        if start[b] < 0:
            if start[b] != -1 or end[b] != -1 or offset[b] != -1:
                raise ValidationError("window", (names[b],), f"buffer {names[b]!r} in slow "
                                      "memory must have fast_start, fast_end and offset -1")
            continue
        if not start[b] < end[b] <= n_ops:
            raise ValidationError("window", (names[b],), f"buffer {names[b]!r} has window "
                                  f"[{start[b]}, {end[b]}); expected 0 <= start < end <= {n_ops}")
        if not any(start[b] <= t < end[b] for t, _ in uses[b]):
            raise ValidationError("window", (names[b],), f"buffer {names[b]!r} has window "
                                  f"[{start[b]}, {end[b]}) holding none of its uses")
        kind = BufferKind(int(program.buffer_kind[b]))
        born_fast = kind not in (BufferKind.PARAMETER, BufferKind.INPUT) and uses[b][0][1]
        if born_fast and start[b] < uses[b][0][0]:
            raise ValidationError("window", (names[b],), f"buffer {names[b]!r} is first "
                                  f"written at operation {uses[b][0][0]}, so its window cannot "
                                  f"open at {start[b]}")
        if offset[b] < 0:
            raise ValidationError("placed", (names[b],), f"buffer {names[b]!r} in fast memory "
                                  f"has offset {offset[b]}")
        fast.append(b)
    if fast:
        chosen = np.array(fast, dtype=np.int64)
        windows = AllocationProblem(start[chosen], end[chosen], program.buffer_size[chosen],
                                    hardware.fast_capacity, tuple(names[b] for b in fast),
                                    hardware.alignment, name=program.name)
        validate_allocation(windows, offset[chosen])
    copies = _copies(program, mapping)
    outstanding = np.zeros(n_ops + 1, dtype=np.int64)
    for b, kind_name, issue, due in copies:
        outstanding[issue:max(due, issue + 1)] += 1
        if outstanding[issue:max(due, issue + 1)].max() > hardware.max_outstanding_copies:
            t = issue + int(np.argmax(outstanding[issue:max(due, issue + 1)]
                                      > hardware.max_outstanding_copies))
            raise ValidationError("copy-limit", (names[b],), f"the {kind_name} of buffer "
                                  f"{names[b]!r} makes {outstanding[t]} copies outstanding at "
                                  f"operation {t}, above the limit of "
                                  f"{hardware.max_outstanding_copies}")
    return _run_time(program, hardware, mapping, copies)


def _run_time(program: Program, hardware: Hardware, mapping: Mapping,
              copies: list[tuple[int, str, int, int]]) -> float:
    """The roofline of each operation plus the stalls of a first-in first-out copy engine."""
    n_ops = program.n_operations
    queue = sorted(copies, key=lambda c: (c[2], c[0], c[1] == "eviction"))
    ready_at = [0.0] * (n_ops + 1)
    engine_free = 0.0
    now = 0.0
    position = 0
    for t in range(n_ops + 1):
        while position < len(queue) and queue[position][2] == t:
            b, _, _, due = queue[position]
            seconds = float(program.buffer_size[b]) / hardware.copy_bandwidth
            engine_free = max(now, engine_free) + seconds * MICROSECONDS_PER_SECOND
            ready_at[due] = max(ready_at[due], engine_free)
            position += 1
        now = max(now, ready_at[t])
        if t < n_ops:
            now += _op_seconds(program, hardware, t, mapping) * MICROSECONDS_PER_SECOND
    return now
