"""OR-Tools CP-SAT on the allocation problem, stated as strip packing with fixed x.

One rectangle per buffer: its x-interval is the live range ``[lower, upper)``, fixed; its
y-interval ``[offset, offset + size)`` has a variable start, a multiple of the alignment;
``AddNoOverlap2D`` keeps rectangles apart. Two questions:

* feasibility: every ``offset + size <= capacity``, no objective;
* least peak: ``peak >= offset + size`` for every buffer, ``peak >= max live bytes``, minimise
  ``peak``, with the capacity relaxed to a greedy's peak (a packing known to exist).

The greedy's offsets (best fit by decreasing size) are given as a hint. Fixed offsets are
constraints. OR-Tools is imported inside the function, so importing this module stays light.
With several workers CP-SAT races them, so two runs with the same seed may differ; one worker
with a seed is repeatable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from decisiongym.baselines.memory.greedy import greedy_allocation
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.problem import FREE, AllocationProblem, peak


@dataclass(frozen=True)
class CpSatAllocationResult:
    """What CP-SAT returned.

    :param status: ``"optimal"`` (feasibility: a packing under the capacity; least peak: the
        peak proven least), ``"feasible"`` (least peak: a packing, not proven least),
        ``"infeasible"`` (proven: no packing under the capacity) or ``"unknown"``.
    :param offsets: one offset per buffer, ``None`` when none was found.
    :param peak: the packing's peak, or ``None``.
    :param bound: a proven lower bound on the peak.
    :param wall_s: wall-clock seconds of the solve.
    """

    status: str
    offsets: np.ndarray | None
    peak: int | None
    bound: int
    wall_s: float


def solve_cpsat_allocation(problem: AllocationProblem, capacity: int | None = None,
                           minimize: bool = False, time_limit: float = 10.0, workers: int = 2,
                           seed: int = 0, hint: bool = True) -> CpSatAllocationResult:
    """Pack the buffers with CP-SAT.

    :param problem: the buffers (fixed offsets are kept).
    :param capacity: the limit for feasibility; the problem's capacity when ``None``. Ignored
        when ``minimize`` (the greedy's peak bounds the search then).
    :param minimize: minimise the peak instead of asking for a packing under the capacity.
    :param time_limit: seconds of search.
    :param workers: CP-SAT search workers (at most the number of cores).
    :param seed: CP-SAT's random seed.
    :param hint: start from the greedy's offsets (best fit by decreasing size).
    :return: the status, the offsets, their peak and the proven bound.
    :raises InputError: on a bad limit, worker count or capacity.
    """
    from ortools.sat.python import cp_model

    if not time_limit > 0:
        raise InputError(f"must be > 0 seconds, got {time_limit}", field="time_limit")
    if workers < 1:
        raise InputError(f"must be >= 1, got {workers}", field="workers")
    limit = problem.capacity if capacity is None else int(capacity)
    if limit < 1:
        raise InputError(f"must be >= 1, got {capacity}", field="capacity")
    start = time.perf_counter()
    n, alignment = problem.n_buffers, problem.alignment
    max_live = problem.max_live()
    fixed = problem.fixed_offsets if problem.fixed_offsets is not None \
        else np.full(n, FREE, dtype=np.int64)
    has_fixed = bool((fixed != FREE).any())
    greedy = None
    if not has_fixed and (hint or minimize):
        greedy = greedy_allocation(problem, "size", None if minimize else limit)
    if minimize:
        if greedy is not None:
            limit = greedy.peak
        else:
            # Every free buffer stacked above the highest fixed one: a packing if any exists.
            fixed_top = int(np.where(fixed != FREE, fixed + problem.size, 0).max()) if n else 0
            limit = max(fixed_top + int(problem.size.sum()) + alignment * n, 1)
    if n == 0:
        return CpSatAllocationResult("optimal", np.zeros(0, dtype=np.int64), 0, 0,
                                     time.perf_counter() - start)
    if not minimize and (max_live > limit or int(problem.size.max()) > limit):
        return CpSatAllocationResult("infeasible", None, None, max(max_live, limit + 1),
                                     time.perf_counter() - start)
    model = cp_model.CpModel()
    slots, xs, ys, tops = [], [], [], []
    for i in range(n):
        most = (limit - int(problem.size[i])) // alignment
        slot = model.new_int_var(0, max(most, 0), f"slot_{i}")
        if fixed[i] != FREE:
            if fixed[i] % alignment or fixed[i] // alignment > most:
                return CpSatAllocationResult("infeasible", None, None, limit + 1,
                                             time.perf_counter() - start)
            model.add(slot == int(fixed[i]) // alignment)
        offset = slot if alignment == 1 else slot * alignment
        length = int(problem.upper[i] - problem.lower[i])
        xs.append(model.new_fixed_size_interval_var(int(problem.lower[i]), length, f"x_{i}"))
        ys.append(model.new_fixed_size_interval_var(offset, int(problem.size[i]), f"y_{i}"))
        slots.append(slot)
        tops.append(offset + int(problem.size[i]))
    model.add_no_overlap_2d(xs, ys)
    if minimize:
        peak_var = model.new_int_var(max_live, limit, "peak")
        for top_expr in tops:
            model.add(peak_var >= top_expr)
        model.minimize(peak_var)
    if hint and greedy is not None:
        for i in range(n):
            model.add_hint(slots[i], int(greedy.offsets[i]) // alignment)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = int(seed)
    status = solver.solve(model)
    wall_s = time.perf_counter() - start
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        offsets = np.array([solver.value(s) * alignment for s in slots], dtype=np.int64)
        found = peak(problem, offsets)
        if minimize:
            bound = max(max_live, int(np.ceil(solver.best_objective_bound - 1e-6)))
            label = "optimal" if status == cp_model.OPTIMAL else "feasible"
            return CpSatAllocationResult(label, offsets, found, bound, wall_s)
        return CpSatAllocationResult("optimal", offsets, found, max_live, wall_s)
    if status == cp_model.INFEASIBLE:
        return CpSatAllocationResult("infeasible", None, None, limit + 1, wall_s)
    return CpSatAllocationResult("unknown", None, None, max_live, wall_s)
