"""Exact static allocation in the spirit of MiniMalloc: feasibility at a capacity, and the least
peak by binary search over capacities.

:func:`solve_exact` decides whether the buffers pack under a capacity. It runs the iterative
numba search of :mod:`~decisiongym.baselines.memory.exact_kernel` with MiniMalloc's restart
scheme: each of the preorderings (``"WAT"``, ``"TAW"``, ``"TWA"`` by default) gets a node
budget that doubles every round, starting at twice the number of buffers, so the ordering that
suits the instance finishes early. On problems whose every section is full (the tight
generator's strips) the search also checks that the rows at the section floors can still be
tiled (see :mod:`~decisiongym.baselines.memory.exact_kernel`). "infeasible" is only ever a
proof: a search that exhausted its whole (canonical, dominance-pruned) space, or the max
live bytes above the capacity.

:func:`minimize_peak_exact` finds the least capacity that packs: binary search between the max
live bytes (a lower bound) and a greedy's peak (an upper bound), one feasibility search per
probe.

Buffers with fixed offsets are not supported by this search (:class:`InputError`); the CP-SAT
model takes them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from decisiongym.baselines.memory import exact_kernel as kernel
from decisiongym.baselines.memory.timeline import Timeline, build_timeline
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.problem import FREE, AllocationProblem, peak

DEFAULT_HEURISTICS = ("WAT", "TAW", "TWA")
"""MiniMalloc's default preorderings (W: live length, A: area, T: section total)."""

_CHUNK_NODES = 2_000


@dataclass(frozen=True)
class ExactResult:
    """What the exact search returned.

    :param status: ``"optimal"`` (a packing under the capacity; for :func:`minimize_peak_exact`
        the least peak, proven), ``"feasible"`` (a packing, least peak not proven),
        ``"infeasible"`` (proven: no packing exists) or ``"unknown"`` (time or nodes ran out).
    :param offsets: one offset per buffer, ``None`` when no packing was found.
    :param peak: the packing's peak, ``None`` without one.
    :param capacity: the capacity searched under (for minimisation, the best one packed).
    :param bound: the largest capacity proven too small plus one (a lower bound on the peak),
        at least the max live bytes.
    :param nodes: search nodes explored (over all restarts and probes).
    :param backtracks: nodes whose every child failed.
    :param wall_s: wall-clock seconds.
    """

    status: str
    offsets: np.ndarray | None
    peak: int | None
    capacity: int
    bound: int
    nodes: int
    backtracks: int
    wall_s: float


class _Search:
    """One feasibility search (one preordering), its state kept between kernel calls."""

    def __init__(self, problem: AllocationProblem, timeline: Timeline, capacity: int,
                 heuristic: str) -> None:
        n, n_sections = problem.n_buffers, timeline.n_sections
        self.size = problem.size
        self.width = problem.upper - problem.lower
        self.area = self.width.astype(np.float64) * problem.size
        self.timeline = timeline
        self.heuristic = np.array([kernel.HEURISTIC_CODES[c] for c in heuristic], dtype=np.int64)
        self.capacity = capacity
        self.alignment = problem.alignment
        self.offset = np.full(n, -1, dtype=np.int64)
        self.min_offset = np.zeros(n, dtype=np.int64)
        self.solution = np.full(n, -1, dtype=np.int64)
        self.floor = np.zeros(n_sections, dtype=np.int64)
        total = np.zeros(n_sections, dtype=np.int64)
        for s in range(n_sections):
            total[s] = problem.size[timeline.section_buffers[timeline.section_ptr[s]:
                                                             timeline.section_ptr[s + 1]]].sum()
        self.total = total
        # The full-row checks pay only where every section is full (a full strip); with
        # spare room somewhere they seldom cut and cost up to twice the time (MiniMalloc's
        # A, B and F, measured), so they are off there.
        full = capacity - total < problem.alignment
        if not full.all():
            full[:] = False
        self.is_full = full.astype(np.int64)
        self.full_sections = np.flatnonzero(full).astype(np.int64)
        self.cuts = timeline.cuts.copy()
        self.frames = np.zeros((3 * n + 4, kernel.N_COLUMNS), dtype=np.int64)
        self.trail = np.zeros((4 * (n + n_sections) + 16, 3), dtype=np.int64)
        self.arena = np.zeros(8 * n + 4 * n_sections + 16, dtype=np.int64)
        self.registers = np.zeros(kernel.N_REGISTERS, dtype=np.int64)
        self.sec_mark = np.zeros(n_sections, dtype=np.int64)
        self.affected = np.zeros(n_sections, dtype=np.int64)
        self.reach = np.zeros(n_sections + 1, dtype=np.int64)
        # The root is a split frame over the whole timeline at its zero cuts.
        self.arena[:n] = np.arange(n)
        cut_points = [0] + [s + 1 for s in np.flatnonzero(self.cuts == 0).tolist()] + [n_sections]
        self.arena[n:n + len(cut_points)] = cut_points
        root = self.frames[0]
        root[kernel.C_KIND] = kernel.SPLIT
        root[kernel.C_PHASE] = kernel.FRESH
        root[kernel.C_PRE] = 0
        root[kernel.C_NPRE] = n
        root[kernel.C_CUT] = n
        root[kernel.C_NCUT] = len(cut_points)
        root[kernel.C_ARENA] = 0
        self.registers[kernel.R_ARENA] = n + len(cut_points)

    @property
    def nodes(self) -> int:
        return int(self.registers[kernel.R_NODES])

    @property
    def backtracks(self) -> int:
        return int(self.registers[kernel.R_BACKTRACKS])

    def run(self, node_stop: int) -> int:
        """Search until solved, proven infeasible, or ``node_stop`` nodes in all."""
        t = self.timeline
        while True:
            code = kernel.search(self.size, self.width, self.area, t.section_lower,
                                 t.section_upper, t.section_ptr, t.section_buffers,
                                 t.overlap_ptr, t.overlap_buffers, self.heuristic,
                                 self.capacity, self.alignment, self.offset, self.min_offset,
                                 self.solution, self.floor, self.total, self.cuts, self.frames,
                                 self.trail, self.arena, self.registers, self.sec_mark,
                                 self.affected, self.reach,
                                 self.full_sections, self.is_full, node_stop)
            if code == kernel.NEED_ARENA:
                self.arena = np.concatenate([self.arena, np.zeros_like(self.arena)])
            elif code == kernel.NEED_TRAIL:
                self.trail = np.concatenate([self.trail, np.zeros_like(self.trail)])
            else:
                return int(code)


def _check_problem(problem: AllocationProblem) -> None:
    if not isinstance(problem, AllocationProblem):
        raise InputError(f"expected an AllocationProblem, got {type(problem).__name__}",
                         field="problem")
    if problem.fixed_offsets is not None and (problem.fixed_offsets != FREE).any():
        raise InputError("the exact search places every buffer itself; buffers with fixed "
                         "offsets need the CP-SAT model (solve_cpsat_allocation)",
                         field="fixed_offsets")


def _check_limits(time_limit: float, node_limit: int | None) -> None:
    if not time_limit > 0:
        raise InputError(f"must be > 0 seconds, got {time_limit}", field="time_limit")
    if node_limit is not None and node_limit < 1:
        raise InputError(f"must be >= 1, got {node_limit}", field="node_limit")


def _feasible(problem: AllocationProblem, timeline: Timeline, capacity: int,
              heuristics: Sequence[str], deadline: float,
              node_limit: int | None) -> tuple[str, np.ndarray | None, int, int]:
    """One feasibility question: (``"optimal"``/``"infeasible"``/``"unknown"``, offsets,
    nodes, backtracks)."""
    if problem.n_buffers == 0:
        return "optimal", np.zeros(0, dtype=np.int64), 0, 0
    if int(problem.size.max()) > capacity or problem.max_live() > capacity:
        return "infeasible", None, 0, 0
    nodes = backtracks = 0
    budget = problem.n_buffers
    while True:
        budget *= 2
        for heuristic in heuristics:
            search = _Search(problem, timeline, capacity, heuristic)
            stop = budget if node_limit is None else min(budget, node_limit - nodes)
            code = kernel.PAUSED
            while search.nodes < stop:
                code = search.run(min(stop, search.nodes + _CHUNK_NODES))
                if code != kernel.PAUSED or time.perf_counter() > deadline:
                    break
            nodes += search.nodes
            backtracks += search.backtracks
            if code == kernel.SOLVED:
                return "optimal", search.solution.copy(), nodes, backtracks
            if code == kernel.INFEASIBLE:
                return "infeasible", None, nodes, backtracks
            if time.perf_counter() > deadline or (node_limit is not None
                                                   and nodes >= node_limit):
                return "unknown", None, nodes, backtracks


def solve_exact(problem: AllocationProblem, capacity: int | None = None,
                time_limit: float = 60.0, node_limit: int | None = None,
                heuristics: Sequence[str] = DEFAULT_HEURISTICS) -> ExactResult:
    """Decide whether the buffers pack under ``capacity``, exactly.

    :param problem: the buffers (no fixed offsets).
    :param capacity: the limit; the problem's capacity when ``None``.
    :param time_limit: wall-clock seconds before giving up with ``"unknown"``.
    :param node_limit: the most search nodes over all restarts (``None``: no limit).
    :param heuristics: the preorderings to take turns with, each a string over ``W``, ``A``,
        ``T`` (all decreasing; ties by buffer index).
    :return: ``"optimal"`` with a packing (the peak may be below the capacity),
        ``"infeasible"`` (proven) or ``"unknown"``.
    :raises InputError: on fixed offsets, a bad limit or an unknown heuristic letter.
    """
    _check_problem(problem)
    _check_limits(time_limit, node_limit)
    for heuristic in heuristics:
        if not heuristic or any(c not in kernel.HEURISTIC_CODES for c in heuristic):
            raise InputError(f"{heuristic!r} is not a string over W, A and T", "heuristics")
    limit = problem.capacity if capacity is None else int(capacity)
    if limit < 1:
        raise InputError(f"must be >= 1, got {capacity}", field="capacity")
    start = time.perf_counter()
    status, offsets, nodes, backtracks = _feasible(problem, build_timeline(problem), limit,
                                                   tuple(heuristics), start + time_limit,
                                                   node_limit)
    bound = max(problem.max_live(), limit + 1 if status == "infeasible" else 0)
    return ExactResult(status, offsets, None if offsets is None else peak(problem, offsets),
                       limit, bound, nodes, backtracks, time.perf_counter() - start)


def minimize_peak_exact(problem: AllocationProblem, upper_offsets: np.ndarray | None = None,
                        time_limit: float = 60.0, node_limit: int | None = None,
                        heuristics: Sequence[str] = DEFAULT_HEURISTICS) -> ExactResult:
    """The least peak, by binary search over capacities with the feasibility search.

    The search space runs from the max live bytes (no packing is lower) to the peak of
    ``upper_offsets`` (a packing in hand). Each probe is one
    :func:`solve_exact`; a probe that ends ``"unknown"`` counts as "too small" for the
    bisection but not for the bound, so the answer is then ``"feasible"`` rather than proven.

    :param problem: the buffers; its capacity is ignored.
    :param upper_offsets: a full packing to start from; decreasing-size best fit when ``None``.
    :param time_limit: wall-clock seconds for all probes together.
    :param node_limit: the most search nodes per probe.
    :param heuristics: as in :func:`solve_exact`.
    :return: ``"optimal"`` (least peak proven), ``"feasible"`` or, with no buffers,
        ``"optimal"`` at 0. ``capacity`` and ``peak`` are the best packing's peak.
    """
    from decisiongym.baselines.memory.greedy import greedy_allocation

    _check_problem(problem)
    _check_limits(time_limit, node_limit)
    start = time.perf_counter()
    if upper_offsets is None:
        upper_offsets = greedy_allocation(problem, "size").offsets
    best = np.asarray(upper_offsets, dtype=np.int64).copy()
    best_peak = peak(problem, best)
    proven = problem.max_live()  # every capacity below it is proven too small
    timeline = build_timeline(problem)
    nodes = backtracks = 0
    low, high = proven, best_peak
    while low < high:
        middle = (low + high) // 2
        remaining = start + time_limit - time.perf_counter()
        if remaining <= 0:
            break
        status, offsets, used, back = _feasible(problem, timeline, middle, tuple(heuristics),
                                                time.perf_counter() + remaining, node_limit)
        nodes += used
        backtracks += back
        if offsets is not None:
            best, best_peak = offsets, peak(problem, offsets)
            high = best_peak
        else:
            if status == "infeasible":
                # Too small at one capacity means too small at every lower one.
                proven = max(proven, middle + 1)
            low = middle + 1
    status = "optimal" if best_peak <= proven else "feasible"
    return ExactResult(status, best, best_peak, best_peak, min(proven, best_peak), nodes,
                       backtracks, time.perf_counter() - start)
