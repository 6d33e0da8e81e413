"""The memory family's methods by name, for each of its two questions: which method answers an
allocation (offsets under a capacity, or the least peak) and which answers a mapping (fast
windows on a chip).

Both tables map a method's name to one function of the same shape, so ``solve memory``, the
benchmark grid and its tables read the same entries: a method joins the command line's
dispatch and the benchmark's columns by one line in :data:`ALLOCATION_METHODS` or
:data:`MAPPING_METHODS`. The family's names (:data:`decisiongym.envs.memory.ids.FAMILY`) that
no table holds yet are refused with one message (:func:`method_for`).

Statuses are the family's four words: ``"optimal"`` (the question answered and proven:
a packing under the capacity, or the least peak), ``"feasible"`` (an answer, not proven best),
``"infeasible"`` (proven: no packing under the capacity) and ``"unknown"`` (no answer to the
question asked: a greedy that overshoots the capacity, a search out of time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.hardware import Hardware
from decisiongym.envs.memory.ids import FAMILY
from decisiongym.envs.memory.mapping import Mapping
from decisiongym.envs.memory.problem import AllocationProblem
from decisiongym.envs.memory.program import Program

MODES = ("allocation", "mapping")
"""The two questions: offsets in one memory (MiniMalloc's), or fast windows (mallocGame's)."""

OBJECTIVES = ("feasibility", "peak")
"""An allocation's question: a packing under the capacity, or the least peak."""

ORDERS = ("size", "area", "start")
"""The allocation greedy's orders (:mod:`decisiongym.baselines.memory.greedy`)."""

STATUSES = ("optimal", "feasible", "infeasible", "unknown")
"""The family's status words (module docstring)."""

DEFAULT_TIME_LIMITS = {"cpsat": 10.0, "exact": 60.0}
"""Seconds a search gets when no limit is given."""


@dataclass(frozen=True)
class SolveOptions:
    """What a method may be given besides its instance; each method reads what applies to it.

    :param objective: an allocation's question, one of :data:`OBJECTIVES`.
    :param order: the allocation greedy's order, one of :data:`ORDERS`.
    :param time_limit: seconds of search (CP-SAT, the exact search); ``None``: the method's
        default (:data:`DEFAULT_TIME_LIMITS`).
    :param workers: CP-SAT's search workers.
    :param seed: the seed of every method that draws or races (CP-SAT, the planner).
    :param simulations: the planner's tree-search simulations per decision.
    """

    objective: str = "feasibility"
    order: str = "size"
    time_limit: float | None = None
    workers: int = 2
    seed: int = 0
    simulations: int = 32

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise InputError(f"unknown objective {self.objective!r}; choose one of "
                             f"{', '.join(OBJECTIVES)}", field="objective")
        if self.order not in ORDERS:
            raise InputError(f"unknown order {self.order!r}; choose one of {', '.join(ORDERS)}",
                             field="order")
        if self.simulations < 0:
            raise InputError(f"must be >= 0, got {self.simulations}", field="simulations")
        if self.time_limit is not None and not self.time_limit > 0:
            raise InputError(f"must be > 0 seconds, got {self.time_limit}", field="time_limit")

    def limit(self, method: str) -> float:
        """The seconds ``method`` gets: the given limit, else its default."""
        return self.time_limit if self.time_limit is not None else DEFAULT_TIME_LIMITS[method]


@dataclass(frozen=True)
class AllocationOutcome:
    """What an allocation method returned.

    :param status: one of :data:`STATUSES`.
    :param offsets: one offset per buffer, ``None`` without an answer.
    :param bound: a proven lower bound on the peak, ``None`` without one.
    :param extra: the method's own figures (search nodes...), flat values.
    """

    status: str
    offsets: np.ndarray | None
    bound: int | None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MappingOutcome:
    """What a mapping method returned.

    :param status: one of :data:`STATUSES`.
    :param mapping: the fast windows, ``None`` without an answer.
    :param bound: a proven lower bound on the run time in microseconds, ``None`` without one.
    :param extra: the method's own figures, flat values; a method that may hand back another
        method's answer says so in ``fell_back`` (a boolean).
    """

    status: str
    mapping: Mapping | None
    bound: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


AllocationMethod = Callable[[AllocationProblem, SolveOptions], AllocationOutcome]
MappingMethod = Callable[[Program, Hardware, SolveOptions], MappingOutcome]


def _greedy_allocation(problem: AllocationProblem, options: SolveOptions) -> AllocationOutcome:
    from decisiongym.baselines.memory.greedy import greedy_allocation

    if options.objective == "peak":
        result = greedy_allocation(problem, options.order)
        return AllocationOutcome("feasible", result.offsets, problem.max_live(),
                                 {"order": options.order})
    # the gaps are searched under the capacity; a buffer that fits in none goes on top, so
    # the answer is a packing of the question only when its peak stays under the capacity
    result = greedy_allocation(problem, options.order, problem.capacity)
    status = "feasible" if result.peak <= problem.capacity else "unknown"
    return AllocationOutcome(status, result.offsets, problem.max_live(), {"order": options.order})


def _exact_allocation(problem: AllocationProblem, options: SolveOptions) -> AllocationOutcome:
    from decisiongym.baselines.memory.exact import minimize_peak_exact, solve_exact

    if options.objective == "peak":
        result = minimize_peak_exact(problem, time_limit=options.limit("exact"))
    else:
        result = solve_exact(problem, time_limit=options.limit("exact"))
    return AllocationOutcome(result.status, result.offsets, result.bound,
                             {"nodes": result.nodes, "backtracks": result.backtracks})


def _cpsat_allocation(problem: AllocationProblem, options: SolveOptions) -> AllocationOutcome:
    from decisiongym.baselines.memory.cpsat import solve_cpsat_allocation

    result = solve_cpsat_allocation(problem, minimize=options.objective == "peak",
                                    time_limit=options.limit("cpsat"), workers=options.workers,
                                    seed=options.seed)
    return AllocationOutcome(result.status, result.offsets, result.bound)


def _xla_greedy_mapping(program: Program, hardware: Hardware,
                        options: SolveOptions) -> MappingOutcome:
    from decisiongym.baselines.memory.xla_greedy import xla_greedy

    return MappingOutcome("feasible", xla_greedy(program, hardware))


def _size_greedy_mapping(program: Program, hardware: Hardware,
                         options: SolveOptions) -> MappingOutcome:
    from decisiongym.baselines.memory.xla_greedy import size_greedy

    return MappingOutcome("feasible", size_greedy(program, hardware))


def _planner_mapping(program: Program, hardware: Hardware,
                     options: SolveOptions) -> MappingOutcome:
    from decisiongym.agents.memory.planner import plan

    result = plan(program, hardware, "full", options.simulations, options.seed)
    return MappingOutcome("feasible", result.mapping,
                          extra={"fell_back": result.fell_back, "decisions": result.decisions,
                                 "simulations": result.simulations})


def _cpsat_mapping(program: Program, hardware: Hardware,
                   options: SolveOptions) -> MappingOutcome:
    from decisiongym.baselines.memory.cpsat_mapping import solve_mapping_cpsat

    result = solve_mapping_cpsat(program, hardware, "full", time_limit=options.limit("cpsat"),
                                 workers=options.workers, seed=options.seed)
    # the bound holds over every mapping made of the candidate windows (the model's docstring)
    bound = result.bound_us if result.bound_us > 0 else None
    return MappingOutcome(result.status, result.mapping, bound,
                          {"fell_back": result.from_hint, "solver_status": result.solver_status})


ALLOCATION_METHODS: dict[str, AllocationMethod] = {
    "greedy": _greedy_allocation,
    "exact": _exact_allocation,
    "cpsat": _cpsat_allocation,
}
"""Allocation methods by name: ``greedy`` (best fit by size or area, first fit by start),
``exact`` (the MiniMalloc-style search), ``cpsat`` (NoOverlap2D)."""

MAPPING_METHODS: dict[str, MappingMethod] = {
    "xla-greedy": _xla_greedy_mapping,
    "greedy": _size_greedy_mapping,
    "planner": _planner_mapping,
    "cpsat": _cpsat_mapping,
    # MaskablePPO joins here once trained weights ship
}
"""Mapping methods by name, in the benchmark's column order: ``xla-greedy`` (XLA's
memory-space assignment in outline), ``greedy`` (decreasing size, whole live ranges) and
``planner`` (tree search over the simulator, never slower than ``xla-greedy``) and ``cpsat``
(the candidate-window model, hinted by ``xla-greedy``; its bound holds over every mapping made
of the candidate windows)."""

_TABLES: dict[str, dict[str, Any]] = {"allocation": ALLOCATION_METHODS,
                                      "mapping": MAPPING_METHODS}

ONE_MODE_ONLY: dict[str, tuple[str, ...]] = {"allocation": ("exact",),
                                             "mapping": ("xla-greedy", "planner", "ppo")}
"""The family's methods that answer one question only (the others answer both, or will)."""


def method_for(mode: str, method: str) -> Any:
    """The function of ``method`` in ``mode`` (an :data:`AllocationMethod` or a
    :data:`MappingMethod`).

    :raises InputError: for an unknown mode, a method of the other mode only, a method of the
        family not available yet, or a name the family does not have.
    """
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}",
                         field="mode")
    table = _TABLES[mode]
    if method in table:
        return table[method]
    other = next(m for m in MODES if m != mode)
    if method in ONE_MODE_ONLY[other]:
        raise InputError(f"{method} answers the {other} question only; use --mode {other}, or "
                         f"for {mode} one of {', '.join(table)}", field="method")
    if method in FAMILY.baseline_names + FAMILY.agents:
        raise InputError(f"{method} is not available yet in {mode} mode; the methods available "
                         f"are {', '.join(table)}", field="method")
    raise InputError(f"unknown method {method!r}; the {mode} methods are {', '.join(table)}",
                     field="method")
