"""validate_mapping catches planted faults and names them."""

from __future__ import annotations

import pytest
from memory_hand_example import CHIP, W, X, Y, Z, hand_program, windows

from decisiongym.envs.core.errors import ValidationError
from decisiongym.envs.memory.hardware import Hardware
from decisiongym.envs.memory.mapping import Mapping, validate_mapping


def check(mapping: Mapping, chip: Hardware = CHIP) -> float:
    return validate_mapping(hand_program(), chip, mapping)


def constraint_of(mapping: Mapping, chip: Hardware = CHIP) -> str:
    with pytest.raises(ValidationError) as error:
        check(mapping, chip)
    return error.value.constraint


def test_planted_overlap_in_time_and_address() -> None:
    # y [0, 2) and z [1, 2) share operation 1; y at 0..1000 and z at 500..1000 share addresses.
    assert constraint_of(windows({Y: (0, 2, 0), Z: (1, 2, 500)})) == "no-overlap"
    # Apart in time (x's window closes at 1, z's opens at 1), the same addresses are fine.
    assert check(windows({X: (0, 1, 0), Z: (1, 2, 0)})) > 0


def test_planted_capacity_and_alignment_faults() -> None:
    assert constraint_of(windows({W: (0, 2, 9000)})) == "capacity"
    aligned = Hardware(name="aligned", fast_capacity=10_000, alignment=512, fast_bandwidth=4e9,
                       slow_bandwidth=1e9, compute=1e12, copy_bandwidth=1e9,
                       max_outstanding_copies=2)
    assert constraint_of(windows({W: (0, 2, 100)}), aligned) == "alignment"
    assert check(windows({W: (0, 2, 512)}), aligned) > 0


def test_planted_copy_limit_fault() -> None:
    one_copy = Hardware(name="one copy", fast_capacity=10_000, alignment=1, fast_bandwidth=4e9,
                        slow_bandwidth=1e9, compute=1e12, copy_bandwidth=1e9,
                        max_outstanding_copies=1)
    # W's prefetch is outstanding over [0, 1) and x's over [0, 1): two at operation 0.
    assert constraint_of(windows({W: (0, 2, 0), X: (0, 1, 2000)}), one_copy) == "copy-limit"
    # W issued at boundary 1 (due at 1) no longer meets x's.
    assert check(windows({W: (1, 2, 0), X: (0, 1, 2000)}), one_copy) > 0


def test_planted_window_faults() -> None:
    # y is born at operation 0 by its writer: its window cannot open before, and must hold a use.
    assert constraint_of(windows({Z: (0, 2, 0)})) == "window"  # z is first written at op 1
    assert constraint_of(windows({Y: (0, 5, 0)})) == "window"  # beyond the program's end
    mapping = windows({W: (0, 1, 0)})  # W is only used at operation 1
    assert constraint_of(mapping) == "window"
    slow_with_offset = Mapping.all_slow(4)
    slow_with_offset.offset[W] = 0
    assert constraint_of(slow_with_offset) == "window"
    placed_nowhere = windows({W: (0, 2, -1)})
    assert constraint_of(placed_nowhere) == "placed"


def test_placements_name_prefetch_and_eviction() -> None:
    rows = windows({W: (0, 2, 0), Z: (1, 2, 3000)}).placements(hand_program())
    assert rows[W] == {"buffer": "W", "memory": "fast", "offset": 0, "prefetch": 0,
                       "evict": None}
    assert rows[Z]["evict"] == 2 and rows[Z]["prefetch"] is None
    assert rows[X]["memory"] == "slow"
