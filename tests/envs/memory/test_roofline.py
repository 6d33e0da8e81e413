"""The roofline simulator: a hand example, and the numba kernel against the validator's
plain-Python recomputation on generated programs."""

from __future__ import annotations

import numpy as np
import pytest
from memory_hand_example import CHIP, W, X, Y, Z, hand_program, windows

from decisiongym.envs.memory.best_fit import place_in_order
from decisiongym.envs.memory.hardware import Hardware
from decisiongym.envs.memory.mapping import Mapping, time_all_slow, validate_mapping
from decisiongym.envs.memory.program import Program
from decisiongym.envs.memory.program_generator import SyntheticProgramGenerator
from decisiongym.envs.memory.roofline import buffer_savings, program_arrays, simulate_windows


def both_times(mapping: Mapping) -> tuple[float, float]:
    program = hand_program()
    kernel = simulate_windows(program_arrays(program), CHIP, mapping.fast_start,
                              mapping.fast_end)
    return validate_mapping(program, CHIP, mapping), kernel


def test_all_slow_by_hand() -> None:
    # op 0: (1000 + 1000) B / 1 GB/s = 2 us; op 1: max(3 us, 3500 B / 1 GB/s) = 3.5 us.
    program = hand_program()
    assert time_all_slow(program, CHIP) == pytest.approx(5.5)
    assert both_times(Mapping.all_slow(4)) == pytest.approx((5.5, 5.5))


def test_prefetch_stall_and_memory_times_add_by_hand() -> None:
    # W prefetched at boundary 0 (2 us copy, done at 2.0) and y born fast at op 0:
    # op 0 = 1 us (x slow) + 0.25 us (y fast) = 1.25 us; op 1 waits for W until 2.0, then
    # max(3 us compute, 0.25 + 0.5 + 0.5 us memory) = 3 us: the program ends at 5.0 us.
    assert both_times(windows({W: (0, 2, 0), Y: (0, 2, 2000)})) == pytest.approx((5.0, 5.0))


def test_output_eviction_delays_the_end_by_hand() -> None:
    # z in fast memory must be evicted at the end: the copy starts at 5.0 and lasts 0.5 us.
    mapping = windows({W: (0, 2, 0), Y: (0, 2, 2000), Z: (1, 2, 3000)})
    assert both_times(mapping) == pytest.approx((5.5, 5.5))


def test_copies_go_first_in_first_out_by_hand() -> None:
    # Both prefetches are issued at boundary 0; W (lower index) goes first (done at 2.0), x
    # then finishes at 3.0, so op 0 starts at 3.0 and takes 0.25 (x fast) + 1 (y slow) us;
    # op 1 = max(3, 1 + 0.5 + 0.5) = 3 us: 7.25 us in all.
    assert both_times(windows({W: (0, 2, 0), X: (0, 1, 2000)})) == pytest.approx((7.25, 7.25))


def test_savings_of_one_buffer_by_hand() -> None:
    # W alone in fast memory: op 1 goes from 3.5 us to max(3, 1 + 0.5 + 0.5) = 3 us.
    savings = buffer_savings(program_arrays(hand_program()), CHIP)
    assert savings[W] == pytest.approx(0.5)
    # x alone: op 0 from 2 us to 0.25 + 1 = 1.25 us.
    assert savings[X] == pytest.approx(0.75)


def random_windows(program: Program, rng: np.random.Generator) -> Mapping:
    """Windows that follow the rules (a use inside, born-fast buffers not opened early),
    drawn at random, at offsets that never overlap."""
    arrays = program_arrays(program)
    n, n_ops = program.n_buffers, program.n_operations
    start = np.full(n, -1, dtype=np.int64)
    end = np.full(n, -1, dtype=np.int64)
    for b in range(n):
        if rng.random() < 0.4:
            continue
        uses = arrays.use_op[arrays.use_ptr[b]:arrays.use_ptr[b + 1]]
        k1 = int(rng.integers(0, uses.size))
        k2 = int(rng.integers(k1, uses.size))
        earliest = 0 if k1 == 0 else int(uses[k1 - 1]) + 1
        if k1 == 0 and not arrays.starts_in_slow[b]:
            earliest = int(uses[0])
        latest = n_ops if k2 == uses.size - 1 else int(uses[k2 + 1])
        start[b] = int(rng.integers(earliest, uses[k1] + 1))
        end[b] = int(rng.integers(uses[k2] + 1, latest + 1))
    chosen = np.flatnonzero(start >= 0)
    offsets = place_in_order(start, end, arrays.size, chosen.astype(np.int64), 2**50, 1, True)
    return Mapping(start, end, np.where(start >= 0, offsets, -1))


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("shape", ["layers", "decode"])
def test_kernel_matches_the_plain_python_time(seed: int, shape: str) -> None:
    rng = np.random.default_rng(seed)
    program = SyntheticProgramGenerator(shape=shape, n_layers=int(rng.integers(2, 7))).generate(
        rng)
    chip = Hardware(name="roomy", fast_capacity=2**50, alignment=1,
                    fast_bandwidth=float(rng.uniform(2e9, 8e9)), slow_bandwidth=1e9,
                    compute=float(rng.choice([1e10, 1e12, 1e14])),
                    copy_bandwidth=float(rng.uniform(0.5e9, 2e9)),
                    max_outstanding_copies=10**6)
    mapping = random_windows(program, rng)
    kernel = simulate_windows(program_arrays(program), chip, mapping.fast_start,
                              mapping.fast_end)
    assert kernel == pytest.approx(validate_mapping(program, chip, mapping), rel=1e-9)
