"""The synthetic and tight allocation generators: reproducible, well-formed, known optima."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.generator import (
    SyntheticAllocationGenerator,
    TightAllocationGenerator,
    synthetic_problem,
    tight_problem,
)
from decisiongym.envs.memory.problem import AllocationProblem


def same(a: AllocationProblem, b: AllocationProblem) -> bool:
    return (a.capacity == b.capacity and np.array_equal(a.lower, b.lower)
            and np.array_equal(a.upper, b.upper) and np.array_equal(a.size, b.size))


@pytest.mark.parametrize("make", [synthetic_problem, tight_problem])
def test_same_seed_same_problem_other_seed_other_problem(make) -> None:  # type: ignore[no-untyped-def]
    assert same(make(120, 7), make(120, 7))
    assert not same(make(120, 7), make(120, 8))


def test_generators_draw_from_the_given_rng_only() -> None:
    for generator in (SyntheticAllocationGenerator(50), TightAllocationGenerator(50)):
        a = generator(np.random.default_rng(3))
        b = generator.sample(3)
        assert same(a, b)


@pytest.mark.parametrize("n", [1, 5, 100, 1000])
def test_tight_strip_is_full_so_the_optimum_is_the_capacity(n: int) -> None:
    problem = tight_problem(n, seed=n, capacity=2**16, alignment=256)
    assert problem.n_buffers == n
    # Every step of the horizon carries exactly the capacity: max live = capacity = optimum.
    assert np.all(problem.live_bytes() == 2**16)
    assert problem.max_live() == problem.capacity == 2**16
    assert np.all(problem.size % 256 == 0)


@pytest.mark.parametrize("seed", range(40))
def test_tight_count_is_exact_with_pinwheels(seed: int) -> None:
    # A pinwheel adds four pieces at once; near the count it must give way to a straight cut.
    generator = TightAllocationGenerator(n_buffers=12, capacity=64, horizon=32, alignment=1,
                                         pinwheel=0.9)
    assert generator.sample(seed).n_buffers == 12


def test_tight_pieces_tile_the_strip_without_gaps() -> None:
    # Area bookkeeping: the rectangles' areas add up to horizon x capacity.
    problem = tight_problem(300, seed=1, capacity=4096, horizon=50, alignment=16)
    area = int(((problem.upper - problem.lower) * problem.size).sum())
    assert area == 50 * 4096
    assert problem.horizon == 50 and problem.lower.min() == 0


def test_tight_cuts_include_pinwheels_that_no_straight_cut_separates() -> None:
    # With only pinwheel cuts allowed (when there is room), a 5-buffer strip is one pinwheel:
    # no time step and no address line splits it into two independent halves.
    problem = tight_problem(5, seed=0, capacity=64, horizon=10, alignment=1, pinwheel=1.0)
    times = set(problem.lower.tolist()) | set(problem.upper.tolist())
    for t in sorted(times)[1:-1]:
        assert ((problem.lower < t) & (problem.upper > t)).any()


def test_synthetic_looks_like_a_program() -> None:
    problem = synthetic_problem(2000, seed=0, alignment=64, long_lived=0.1)
    length = problem.upper - problem.lower
    assert np.median(length) <= 4  # mostly short activations
    assert (length > problem.horizon // 4).mean() > 0.05  # and some long-lived buffers
    assert np.all(problem.size % 64 == 0)
    assert problem.capacity == -(-problem.max_live() // 64) * 64
    assert problem.alignment == 64


@pytest.mark.parametrize(("make", "kwargs", "field"), [
    (TightAllocationGenerator, {"n_buffers": 0}, "n_buffers"),
    (TightAllocationGenerator, {"capacity": 1000, "alignment": 64}, "capacity"),
    (TightAllocationGenerator, {"n_buffers": 100, "capacity": 4, "horizon": 4, "alignment": 1},
     "n_buffers"),
    (TightAllocationGenerator, {"pinwheel": 1.5}, "pinwheel"),
    (SyntheticAllocationGenerator, {"long_lived": -0.1}, "long_lived"),
    (SyntheticAllocationGenerator, {"alignment": 0}, "alignment"),
    (SyntheticAllocationGenerator, {"capacity_factor": 0.5}, "capacity_factor"),
])
def test_bad_arguments_name_the_field(make, kwargs, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as error:
        make(**kwargs)
    assert error.value.field == field


def test_a_seed_is_not_a_generator() -> None:
    with pytest.raises(InputError) as error:
        TightAllocationGenerator(10)(3)  # type: ignore[arg-type]
    assert error.value.field == "rng"


def test_holes_leave_the_peak_step_full_and_the_count_exact() -> None:
    problem = tight_problem(400, seed=2, capacity=2**16, alignment=256, holes=0.2)
    assert problem.n_buffers == 400
    live = problem.live_bytes()
    assert live.max() == problem.capacity == 2**16  # the optimum is still the capacity
    assert (live < problem.capacity).mean() > 0.5  # and most steps have slack
