"""The CP-SAT mapping model: valid answers never slower than the greedy, the optimum of a brute
force over every choice of candidate windows, and a bound below every valid mapping."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from memory_two_weights import ROOM_FOR_ONE, two_weights

from decisiongym.baselines.memory.cpsat_mapping import solve_mapping_cpsat
from decisiongym.baselines.memory.xla_greedy import xla_greedy
from decisiongym.envs.core.errors import InputError, ValidationError
from decisiongym.envs.memory.hardware import Hardware, hardware_preset
from decisiongym.envs.memory.mapping import (
    Mapping,
    time_all_slow,
    validate_mapping,
)
from decisiongym.envs.memory.program import BufferKind, Program
from decisiongym.envs.memory.program_generator import SyntheticProgramGenerator
from decisiongym.envs.memory.roofline import op_times_all_slow, program_arrays
from decisiongym.envs.memory.windows import N_WINDOWS, candidate_windows

# Rounding every constant to a tick of 1e-7 of the all-slow time moves the model's time by a few
# ticks per operation at most.
MODEL_ROUNDING = 1e-5


@pytest.mark.parametrize("shape", ["layers", "decode"])
@pytest.mark.parametrize("fraction", [0.25, 0.75])
def test_answers_are_valid_never_slower_than_the_greedy_and_above_the_bound(
        shape: str, fraction: float) -> None:
    program = SyntheticProgramGenerator(shape=shape, n_layers=3).generate(7)
    chip = hardware_preset("tpu-like").with_capacity(fraction, program.peak_live_bytes())
    greedy_time = validate_mapping(program, chip, xla_greedy(program, chip))
    result = solve_mapping_cpsat(program, chip, time_limit=2.0, workers=1)
    assert validate_mapping(program, chip, result.mapping) == result.time_us
    assert result.hint_time_us == greedy_time
    assert result.time_us <= greedy_time
    assert result.bound_us <= result.time_us * (1 + 1e-12)
    assert result.time_all_slow_us == pytest.approx(time_all_slow(program, chip))
    assert result.status in ("optimal", "feasible")


def test_beats_the_greedy_where_the_greedy_is_not_optimal_by_hand() -> None:
    # The greedy takes S and o: 4.505008 us. By hand, B alone: its prefetch (4 KB at 1 TB/s)
    # stalls 0.004 us, then max(4.5, 1 + 2 + 0.008) = 4.5 us, 4.504 us in all; S alone
    # 0.001 + max(4.5, 0.5 + 4 + 0.008) = 4.509; o alone 5.004 + 0.000008; all slow 5.008.
    # S and B together (5 KB) or B and o (4008 B) exceed the capacity, so B alone is optimal.
    result = solve_mapping_cpsat(two_weights(), ROOM_FOR_ONE, time_limit=5.0, workers=1)
    assert result.status == "optimal" and not result.from_hint
    assert result.mapping.in_fast.tolist() == [False, True, False]
    assert result.hint_time_us == pytest.approx(4.505008, rel=1e-9)
    assert result.time_us == pytest.approx(4.504, rel=1e-9)
    assert 4.504 * (1 - MODEL_ROUNDING) <= result.bound_us <= 4.504 * (1 + 1e-12)


def _pack(lower: list[int], upper: list[int], size: list[int], capacity: int,
          alignment: int) -> list[int] | None:
    """Offsets for every buffer by exhaustive search over aligned offsets, or None."""
    offsets: list[int] = []

    def place(i: int) -> bool:
        if i == len(size):
            return True
        for at in range(0, capacity - size[i] + 1, alignment):
            if all(upper[j] <= lower[i] or upper[i] <= lower[j]
                   or at + size[i] <= offsets[j] or offsets[j] + size[j] <= at
                   for j in range(i)):
                offsets.append(at)
                if place(i + 1):
                    return True
                offsets.pop()
        return False

    return offsets if place(0) else None


def brute_force(program: Program, chip: Hardware) -> list[float]:
    """The validated time of every valid mapping built from candidate windows (one per choice
    of a window or slow memory per buffer, at any offsets that fit)."""
    a = program_arrays(program)
    est_times = op_times_all_slow(a.op_flops, a.read_ptr, a.read_idx, a.write_ptr, a.write_idx,
                                  a.size, chip.compute, chip.slow_bandwidth)
    start, end = candidate_windows(a.use_ptr, a.use_op, a.use_writes, a.starts_in_slow,
                                   a.ends_in_slow, a.size, est_times, chip.copy_bandwidth,
                                   N_WINDOWS)
    choices = [[(-1, -1)] + [(int(start[b, w]), int(end[b, w])) for w in range(N_WINDOWS)
                             if start[b, w] >= 0]
               for b in range(program.n_buffers)]
    times = []
    for choice in itertools.product(*choices):
        fast = [b for b, (s, _) in enumerate(choice) if s >= 0]
        offsets = _pack([choice[b][0] for b in fast], [choice[b][1] for b in fast],
                        [int(program.buffer_size[b]) for b in fast], chip.fast_capacity,
                        chip.alignment)
        if offsets is None:
            continue
        offset = np.full(program.n_buffers, -1, dtype=np.int64)
        offset[fast] = offsets
        mapping = Mapping(np.array([s for s, _ in choice], dtype=np.int64),
                          np.array([e for _, e in choice], dtype=np.int64), offset)
        try:
            times.append(validate_mapping(program, chip, mapping))
        except ValidationError as error:
            assert error.constraint == "copy-limit"
    return times


# A slow copy engine (a quarter of the slow memory's bandwidth) so that prefetches stall, and
# one copy outstanding at a time so that the limit binds.
TINY_CHIP = Hardware(name="tiny", fast_capacity=2048, alignment=256, fast_bandwidth=4e9,
                     slow_bandwidth=1e9, compute=1e12, copy_bandwidth=0.25e9,
                     max_outstanding_copies=1)


def two_prefetches() -> Program:
    """A 6 us compute-bound operation, then two memory-bound ones, each reading a 4 KB weight
    (W1, then W2) and 8-byte activations."""
    return Program.from_lists("two-prefetches", [
        ("x", 8, BufferKind.INPUT), ("a", 8, BufferKind.ACTIVATION),
        ("W1", 4000, BufferKind.PARAMETER), ("b", 8, BufferKind.ACTIVATION),
        ("W2", 4000, BufferKind.PARAMETER), ("out", 8, BufferKind.OUTPUT)],
        [("mm0", 6e6, [0], [1]), ("mm1", 0.0, [1, 2], [3]), ("mm2", 0.0, [3, 4], [5])])


# 1 GB/s slow memory and copies, 4 GB/s fast, 1 TFLOP/s; room for both weights and nothing else
# (the alignment keeps the brute force over offsets small).
QUEUE_CHIP = Hardware(name="queue", fast_capacity=8000, alignment=1000, fast_bandwidth=4e9,
                      slow_bandwidth=1e9, compute=1e12, copy_bandwidth=1e9,
                      max_outstanding_copies=2)


def test_prefetches_queue_first_in_first_out_by_hand() -> None:
    # Both weights fast, both prefetched at boundary 0 (every candidate lead of W1 and the
    # preferred lead of W2 reach back there): W1's copy is done at 4 us, W2's waits behind it
    # and is done at 8 us. mm0 takes max(6, 0.016) = 6 us; mm1 0.008 + 1 + 0.008 = 1.016 us
    # (to 7.016); mm2 stalls until 8, then 1.016 us: 9.016 us. Copies in parallel would give
    # 8.032, which neither the answer nor the bound may claim.
    result = solve_mapping_cpsat(two_prefetches(), QUEUE_CHIP, time_limit=5.0, workers=1)
    assert result.status == "optimal"
    assert result.mapping.in_fast.tolist() == [False, False, True, False, True, False]
    assert result.mapping.fast_start.tolist()[2::2] == [0, 0]
    assert result.time_us == pytest.approx(9.016, rel=1e-9)
    assert 9.016 * (1 - MODEL_ROUNDING) <= result.bound_us <= 9.016 * (1 + 1e-12)


def _layers(n_layers: int, seed: int) -> Program:
    return SyntheticProgramGenerator(shape="layers", n_layers=n_layers, skip_every=2,
                                     min_width=16, max_width=64, batch=4).generate(seed)


@pytest.mark.parametrize(("program", "chip"), [
    (_layers(1, 0), TINY_CHIP),
    (_layers(1, 0), replace(TINY_CHIP, fast_capacity=6656)),
    (_layers(2, 1), replace(TINY_CHIP, fast_capacity=3584, copy_bandwidth=1e9)),
    (two_prefetches(), QUEUE_CHIP),
    (two_prefetches(), replace(QUEUE_CHIP, max_outstanding_copies=1)),
], ids=["layers-1", "layers-1-roomy", "layers-2", "queue", "queue-limit-1"])
def test_optimum_equals_brute_force_and_bound_is_below_every_mapping(
        program: Program, chip: Hardware) -> None:
    times = brute_force(program, chip)
    result = solve_mapping_cpsat(program, chip, time_limit=10.0, workers=1)
    assert result.status == "optimal"
    assert result.time_us == pytest.approx(min(times), rel=MODEL_ROUNDING)
    assert result.time_us >= min(times) * (1 - 1e-12)
    assert result.bound_us <= min(times) * (1 + 1e-12)
    # The model is exact but for the rounding: its bound meets the optimum.
    assert result.bound_us >= min(times) * (1 - MODEL_ROUNDING)


def test_same_seed_same_answer() -> None:
    program = SyntheticProgramGenerator(shape="decode", n_layers=2).generate(3)
    chip = hardware_preset("gpu-like").with_capacity(0.5, program.peak_live_bytes())
    first, second = (solve_mapping_cpsat(program, chip, time_limit=5.0, workers=1, seed=4,
                                         deterministic_limit=1.0) for _ in range(2))
    assert first.mapping == second.mapping and first.time_us == second.time_us


def test_bad_arguments_name_the_field() -> None:
    program = two_weights()
    for kwargs, field in (({"mode": "all"}, "mode"), ({"time_limit": 0}, "time_limit"),
                          ({"workers": 0}, "workers"), ({"deterministic_limit": -1.0},
                                                        "deterministic_limit")):
        with pytest.raises(InputError) as error:
            solve_mapping_cpsat(program, ROOM_FOR_ONE, **kwargs)  # type: ignore[arg-type]
        assert error.value.field == field
    # The second layer's weight, fast from its first use on: valid (its prefetch stalls) but
    # not a candidate, whose prefetches all lead the use.
    layers = SyntheticProgramGenerator(shape="layers", n_layers=2).generate(0)
    chip = hardware_preset("tpu-like")
    lower, upper = layers.live_ranges()
    weight = layers.buffer_names.index(next(n for n in layers.buffer_names
                                            if n.startswith("w1.")))
    assert lower[weight] > 0
    start, end, offset = (np.full(layers.n_buffers, -1, dtype=np.int64) for _ in range(3))
    start[weight], end[weight], offset[weight] = lower[weight], upper[weight], 0
    with pytest.raises(InputError, match=layers.buffer_names[weight]) as error:
        solve_mapping_cpsat(layers, chip, hint=Mapping(start, end, offset))
    assert error.value.field == "hint"
