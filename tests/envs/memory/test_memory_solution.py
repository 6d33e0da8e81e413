"""The family's one validator dispatches on the answer: allocations and mappings."""

from __future__ import annotations

import numpy as np
import pytest
from memory_hand_example import CHIP, W, Y, Z, hand_program, windows

from decisiongym.envs import family
from decisiongym.envs.core.errors import InputError, ValidationError
from decisiongym.envs.memory.mapping import validate_mapping
from decisiongym.envs.memory.problem import AllocationProblem
from decisiongym.envs.memory.solution import Allocation, MappingAnswer


def test_allocation_answers_return_the_peak() -> None:
    memory = family("memory")
    problem = AllocationProblem([0, 1], [2, 3], [4, 4], 8)
    assert memory.validate(problem, Allocation(np.array([0, 4]))) == 8
    assert memory.validate(problem, np.array([4, 0])) == 8
    with pytest.raises(ValidationError):
        memory.validate(problem, np.array([0, 2]))


def test_mapping_answers_return_the_validated_time() -> None:
    memory = family("memory")
    mapping = windows({Y: (0, 2, 0), Z: (1, 2, 1000), W: (0, 2, 2000)})
    expected = validate_mapping(hand_program(), CHIP, mapping)
    assert memory.validate(hand_program(), MappingAnswer(mapping, CHIP)) == expected
    with pytest.raises(ValidationError):
        memory.validate(hand_program(), MappingAnswer(windows({Y: (0, 2, 0), Z: (1, 2, 500)}),
                                                      CHIP))
    with pytest.raises(InputError, match="needs the Program"):
        memory.validate(AllocationProblem([0], [1], [1], 1), MappingAnswer(mapping, CHIP))
