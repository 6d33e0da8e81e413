"""The hand-sized program and chip the roofline and validator tests compute by hand."""

from __future__ import annotations

from decisiongym.envs.memory.hardware import Hardware
from decisiongym.envs.memory.mapping import Mapping
from decisiongym.envs.memory.program import BufferKind, Program

# Round figures so every time below is computed by hand: 1 GB/s slow memory and copies
# (1,000 bytes = 1 us), 4 GB/s fast memory (1,000 bytes = 0.25 us), 1 TFLOP/s (1e6 FLOP = 1 us).
CHIP = Hardware(name="hand", fast_capacity=10_000, alignment=1, fast_bandwidth=4e9,
                slow_bandwidth=1e9, compute=1e12, copy_bandwidth=1e9,
                max_outstanding_copies=2)
W, X, Y, Z = 0, 1, 2, 3


def hand_program() -> Program:
    """op 0 (relu): x -> y, no FLOPs; op 1 (mm): y, W -> z, 3e6 FLOPs."""
    return Program.from_lists("hand", [("W", 2000, BufferKind.PARAMETER),
                                       ("x", 1000, BufferKind.INPUT),
                                       ("y", 1000, BufferKind.ACTIVATION),
                                       ("z", 500, BufferKind.OUTPUT)],
                              [("relu", 0.0, [X], [Y]), ("mm", 3e6, [Y, W], [Z])])


def windows(spec: dict[int, tuple[int, int, int]]) -> Mapping:
    mapping = Mapping.all_slow(4)
    for b, (start, end, offset) in spec.items():
        mapping.fast_start[b], mapping.fast_end[b], mapping.offset[b] = start, end, offset
    return mapping
