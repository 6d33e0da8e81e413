"""CP-SAT's allocation model on small instances of known optimum."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.baselines.memory.cpsat import solve_cpsat_allocation
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.generator import tight_problem
from decisiongym.envs.memory.minimalloc_csv import parse_minimalloc_csv
from decisiongym.envs.memory.problem import AllocationProblem, validate_allocation

EXAMPLE = "id,lower,upper,size\nb1,0,3,4\nb2,3,9,4\nb3,0,9,4\nb4,9,21,4\nb5,0,21,4\n"

# Max live 17, least peak 18 (see test_allocation_exact.py).
FRAGMENTED = AllocationProblem([6, 5, 0, 2, 4, 7, 4, 0, 1, 2, 0, 4, 3],
                               [10, 9, 4, 7, 9, 11, 6, 3, 6, 5, 1, 9, 7],
                               [3, 6, 6, 2, 1, 3, 1, 4, 2, 2, 6, 3, 2], 17)


def test_minimalloc_example_feasible_at_12_infeasible_at_11() -> None:
    problem = parse_minimalloc_csv(EXAMPLE, 12)[0]
    found = solve_cpsat_allocation(problem, workers=1)
    assert found.status == "optimal"
    assert validate_allocation(problem, found.offsets) == found.peak <= 12
    assert solve_cpsat_allocation(problem, capacity=11, workers=1).status == "infeasible"


def test_least_peak_on_a_tight_instance_is_its_capacity() -> None:
    problem = tight_problem(14, seed=3, capacity=256, alignment=16)
    result = solve_cpsat_allocation(problem, minimize=True, workers=1, time_limit=20)
    assert result.status == "optimal" and result.peak == result.bound == 256
    assert np.all(result.offsets % 16 == 0)
    validate_allocation(problem, result.offsets, 256)


def test_least_peak_above_the_load_when_fragmentation_forces_it() -> None:
    result = solve_cpsat_allocation(FRAGMENTED, minimize=True, workers=1, time_limit=20)
    assert result.status == "optimal" and result.peak == result.bound == 18
    validate_allocation(FRAGMENTED, result.offsets, 18)
    assert solve_cpsat_allocation(FRAGMENTED, workers=1, time_limit=20).status == "infeasible"


def test_fixed_offsets_are_kept() -> None:
    problem = parse_minimalloc_csv(EXAMPLE, 12)[0]
    fixed = AllocationProblem(problem.lower, problem.upper, problem.size, 12,
                              fixed_offsets=np.array([-1, -1, -1, -1, 8]))
    result = solve_cpsat_allocation(fixed, workers=1)
    assert result.status == "optimal" and result.offsets[4] == 8
    validate_allocation(fixed, result.offsets)
    best = solve_cpsat_allocation(fixed, minimize=True, workers=1)
    assert best.peak == 12 and best.offsets[4] == 8


@pytest.mark.parametrize(("kwargs", "field"), [({"time_limit": 0}, "time_limit"),
                                               ({"workers": 0}, "workers"),
                                               ({"capacity": 0}, "capacity")])
def test_bad_arguments_name_the_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(InputError) as error:
        solve_cpsat_allocation(parse_minimalloc_csv(EXAMPLE, 12)[0], **kwargs)  # type: ignore[arg-type]
    assert error.value.field == field
