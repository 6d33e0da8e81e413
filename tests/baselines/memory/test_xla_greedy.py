"""The greedy mappers: valid answers, never slower than all-slow memory, the documented order."""

from __future__ import annotations

import numpy as np
import pytest
from memory_two_weights import ROOM_FOR_ONE, two_weights

from decisiongym.baselines.memory.xla_greedy import size_greedy, xla_greedy
from decisiongym.envs.memory.hardware import Hardware, hardware_preset
from decisiongym.envs.memory.mapping import time_all_slow, validate_mapping
from decisiongym.envs.memory.program_generator import SyntheticProgramGenerator


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("shape", ["layers", "decode"])
@pytest.mark.parametrize("fraction", [0.25, 0.5, 0.75])
@pytest.mark.parametrize("preset", ["tpu-like", "gpu-like"])
def test_answers_are_valid_and_never_slower_than_all_slow(seed: int, shape: str,
                                                         fraction: float, preset: str) -> None:
    program = SyntheticProgramGenerator(shape=shape, n_layers=6).generate(seed)
    chip = hardware_preset(preset).with_capacity(fraction, program.peak_live_bytes())
    slow = time_all_slow(program, chip)
    for mapping in (xla_greedy(program, chip), xla_greedy(program, chip, mode="basic"),
                    size_greedy(program, chip)):
        assert validate_mapping(program, chip, mapping) <= slow * (1 + 1e-12)


def test_memory_boundedness_order_differs_from_size_order_by_hand() -> None:
    # All slow: max(4.5, 5.008) = 5.008 us. S alone fast saves 5.008 - max(4.5, 0.5 + 4 +
    # 0.008) = 0.5 us, 0.5 / sqrt(1000) = 0.0158 per root byte; B alone saves 5.008 - 4.5 =
    # 0.508 us, 0.508 / sqrt(4000) = 0.0080. XLA's order takes S (then o), size's takes B.
    program = two_weights()
    xla, by_size = xla_greedy(program, ROOM_FOR_ONE), size_greedy(program, ROOM_FOR_ONE)
    assert xla.in_fast.tolist() == [True, False, True]
    assert by_size.in_fast.tolist() == [False, True, False]
    # XLA: S's prefetch (1000 B at 1 TB/s = 0.001 us) stalls the op, which then takes
    # max(4.5, 0.5 + 4 + 0.004) = 4.504 us, and o's eviction (0.000008 us) ends the program.
    assert validate_mapping(program, ROOM_FOR_ONE, xla) == pytest.approx(4.505008, rel=1e-9)
    # Size: B's prefetch stalls 0.004 us, then max(4.5, 1 + 2 + 0.008) = 4.5 us.
    assert validate_mapping(program, ROOM_FOR_ONE, by_size) == pytest.approx(4.504, rel=1e-9)


def test_stalling_copies_fall_back_to_copy_free_windows() -> None:
    # A copy engine at 1 KB/s: S's prefetch alone stalls a second, slower than all-slow, so the
    # greedy keeps only windows that need no copy; here none is (S and B must be prefetched,
    # o evicted), hence the all-slow mapping.
    chip = Hardware(name="slow copies", fast_capacity=10_000, alignment=1, fast_bandwidth=2e9,
                    slow_bandwidth=1e9, compute=1e12, copy_bandwidth=1e3,
                    max_outstanding_copies=4)
    program = two_weights()
    mapping = xla_greedy(program, chip)
    assert validate_mapping(program, chip, mapping) == pytest.approx(
        time_all_slow(program, chip))
    assert not np.any(mapping.in_fast)
