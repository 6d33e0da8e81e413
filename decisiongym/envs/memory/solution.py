"""The memory family's answers and the family's one validator, ``validate(instance, answer)``.

An allocation answer is one offset per buffer (:class:`Allocation`, or the offsets alone); it
is re-checked by :func:`~decisiongym.envs.memory.problem.validate_allocation`, which derives
every constraint from the problem alone. The instance may be an
:class:`~decisiongym.envs.memory.problem.AllocationProblem` or a
:class:`~decisiongym.envs.memory.program.Program` (its buffers over their live ranges).

A mapping answer (:class:`MappingAnswer`: the mapping and the chip it was made for) is
re-checked by :func:`~decisiongym.envs.memory.mapping.validate_mapping`, which recomputes the
run time in plain Python; the instance is then the program.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.hardware import Hardware
from decisiongym.envs.memory.mapping import Mapping, validate_mapping
from decisiongym.envs.memory.problem import MAX_VALUE, AllocationProblem, validate_allocation
from decisiongym.envs.memory.program import Program


@dataclass(frozen=True)
class Allocation:
    """One offset per buffer in one memory.

    :param offsets: one offset per buffer, in the problem's (or program's) buffer order.
    :param capacity: the limit the answer claims to respect: ``None`` for the problem's own
        capacity (for a program: no limit, as when minimising the peak); a larger value to
        check a peak-minimising answer that overshoots the problem's capacity on purpose.
    """

    offsets: np.ndarray
    capacity: int | None = None


@dataclass(frozen=True)
class MappingAnswer:
    """A mapping and the chip it was made for (its fast capacity is the limit checked).

    :param mapping: one fast window (or none) per buffer.
    :param hardware: the chip.
    """

    mapping: Mapping
    hardware: Hardware


def validate(instance: AllocationProblem | Program,
             answer: Allocation | MappingAnswer | Any) -> int | float:
    """Re-check an answer from the instance alone; return the objective it recomputes (an
    allocation's peak, or a mapping's run time in microseconds).

    :param instance: the problem, or the program whose buffers were allocated or mapped.
    :param answer: an :class:`Allocation` or the offsets alone, or a :class:`MappingAnswer`.
    :raises ValidationError: naming the broken constraint and the buffers involved.
    :raises InputError: when the instance or the answer is of a kind this family has not.
    """
    if isinstance(answer, MappingAnswer):
        if not isinstance(instance, Program):
            raise InputError(f"a mapping answer needs the Program it maps, got "
                             f"{type(instance).__name__}", field="instance")
        return validate_mapping(instance, answer.hardware, answer.mapping)
    allocation = answer if isinstance(answer, Allocation) else Allocation(np.asarray(answer))
    limit: int | None
    if isinstance(instance, Program):
        problem = instance.allocation_problem(MAX_VALUE)
        limit = MAX_VALUE if allocation.capacity is None else allocation.capacity
    elif isinstance(instance, AllocationProblem):
        problem = instance
        limit = allocation.capacity
    else:
        raise InputError(f"expected an AllocationProblem or a Program, got "
                         f"{type(instance).__name__}", field="instance")
    return validate_allocation(problem, allocation.offsets, capacity=limit)
