"""A one-operation program the memory baselines' tests work out by hand."""

from __future__ import annotations

from decisiongym.envs.memory.hardware import Hardware
from decisiongym.envs.memory.program import BufferKind, Program


def two_weights() -> Program:
    """One operation (4.5 us of compute) reads a small weight S (1 KB) and a big one B (4 KB)
    and writes an 8-byte output o."""
    return Program.from_lists("two", [("S", 1000, BufferKind.PARAMETER),
                                      ("B", 4000, BufferKind.PARAMETER),
                                      ("o", 8, BufferKind.OUTPUT)],
                              [("mm", 4.5e6, [0, 1], [2])])


# 1 GB/s slow, 2 GB/s fast, 1 TFLOP/s, copies at 1 TB/s; room for B alone or for S and o.
ROOM_FOR_ONE = Hardware(name="t", fast_capacity=4000, alignment=1, fast_bandwidth=2e9,
                        slow_bandwidth=1e9, compute=1e12, copy_bandwidth=1e12,
                        max_outstanding_copies=4)
