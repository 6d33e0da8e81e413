"""OR-Tools CP-SAT on the memory mapping problem, hinted by the XLA-style greedy.

The model is stated as the math, over the candidate windows of
:mod:`decisiongym.envs.memory.windows` (the ones the mapping env and the greedy choose from, so
every answer is a :class:`~decisiongym.envs.memory.mapping.Mapping` the validator accepts):

* **Choice.** A boolean ``x[b, w]`` per buffer ``b`` and candidate window ``w``;
  ``sum_w x[b, w] <= 1`` (none chosen: slow memory).
* **Space.** Per window an optional box, present when ``x[b, w]``: the fixed time interval
  ``[fast_start, fast_end)`` (the window's whole fast span, prefetch and eviction spans
  included) by the address interval ``[offset_b, offset_b + size_b)``, with
  ``offset_b = alignment * k_b`` and ``offset_b + size_b <= capacity``; ``AddNoOverlap2D`` over
  all boxes. A redundant per-operation sum (the sizes of the windows holding an operation fit
  the capacity) strengthens the linear relaxation.
* **Copies.** The prefetch and eviction a window implies
  (:func:`~decisiongym.envs.memory.roofline.buffer_copies`) exist when it is chosen; at each
  operation the chosen copies outstanding there number at most ``max_outstanding_copies``.
* **Time**, in integer *ticks*. ``arrive[t]`` is the clock at boundary ``t`` before it waits for
  copies, ``ready[t]`` after; ``engine[c]`` is when the copy engine is free after potential copy
  ``c``, the copies taken in the engine's first-in first-out order (issue boundary, buffer,
  prefetch before eviction)::

      arrive[0] = 0,    ready[t] >= arrive[t],    ready[due(c)] >= engine[c]  if x(c)
      arrive[t+1] >= ready[t] + compute[t]
      arrive[t+1] >= ready[t] + slow_bytes_time[t] - sum saving[b, t] * x[b, w]
                     (over the windows that hold a use of operation t)
      engine[c] >= engine[c-1] + duration(c) * x(c)
      engine[c] >= arrive[issue(c)] + duration(c) * x(c)
      minimise ready[T]

**What is exact.** For fixed choices the least solution of these inequalities is the roofline
simulator's recursion (:mod:`decisiongym.envs.memory.roofline`): an operation's time is the
larger of its compute and its memory time, a copy is done at the later of its issue clock and the
engine's free time plus its duration, a boundary waits for every copy due there. An absent copy
passes ``max(engine, arrive[issue])`` on, which changes no later copy (the clock never goes back).
So the copy stalls of the first-in first-out engine, the copy limit, capacity, alignment and
the time x address overlap are all modelled exactly, and minimising ``ready[T]`` minimises the
run time over the mappings built from candidate windows.

**What is relaxed: rounding only.** A tick is ``time_all_slow / 10**7``. Each operation's
compute time, its all-slow memory time and each copy's duration are rounded *down* to a tick,
each saving (slow minus fast time of one use) *up*. The model's time of any mapping is therefore
at most its true time, within about one tick per term, and CP-SAT's bound (times the tick) is a
valid lower bound on the run time of every mapping of candidate windows. It bounds nothing
outside that space (windows of other shapes). The time reported for the answer is always
:func:`~decisiongym.envs.memory.mapping.validate_mapping`'s, never the model's.

**Hint.** The greedy's mapping (:func:`~decisiongym.baselines.memory.xla_greedy.xla_greedy`,
or any mapping of candidate windows) is given as a complete hint (choices, offsets and its clock
values), its model time caps the objective, and it is returned when CP-SAT finds nothing faster
once validated, so the answer is never slower than the hint.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from decisiongym.baselines.memory.xla_greedy import xla_greedy
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.hardware import MICROSECONDS_PER_SECOND, Hardware
from decisiongym.envs.memory.mapping import Mapping, time_all_slow, validate_mapping
from decisiongym.envs.memory.mapping_env import MODES
from decisiongym.envs.memory.program import Program
from decisiongym.envs.memory.roofline import (
    ProgramArrays,
    buffer_copies,
    op_times_all_slow,
    program_arrays,
)
from decisiongym.envs.memory.windows import N_WINDOWS, candidate_windows

TICKS_PER_ALL_SLOW_TIME = 10**7
"""The model's time resolution: the all-slow run time is this many ticks."""

# Float sums of the same quantities in another order differ by a few ulps; this keeps each
# rounding on its safe side.
_FLOAT_SLACK = 1e-12


def _ticks_down(value: float) -> int:
    return math.floor(value - abs(value) * _FLOAT_SLACK)


def _ticks_up(value: float) -> int:
    return math.ceil(value + abs(value) * _FLOAT_SLACK)


@dataclass(frozen=True)
class CpSatMappingResult:
    """What the CP-SAT mapping model returned.

    :param mapping: the answer: CP-SAT's best mapping, or the hint when that is faster.
    :param time_us: its run time, recomputed by ``validate_mapping`` (microseconds).
    :param time_all_slow_us: the run time with every buffer in slow memory.
    :param bound_us: a lower bound on the run time of every mapping of candidate windows
        (CP-SAT's bound on the model, which rounds in the bound's favour, times the tick).
    :param status: ``"optimal"`` when CP-SAT proved the model's optimum (optimal among mappings
        of candidate windows, up to the rounding of one tick per term), else ``"feasible"``;
        a valid mapping always exists (all-slow), so the answer is never ``"unknown"``.
    :param solver_status: CP-SAT's own status name (``"OPTIMAL"``, ``"FEASIBLE"``,
        ``"UNKNOWN"``).
    :param wall_s: wall time of the whole call (model, solve and validation).
    :param from_hint: True when the answer is the hint, CP-SAT having found nothing faster.
    :param hint_time_us: the hint's validated run time.
    """

    mapping: Mapping
    time_us: float
    time_all_slow_us: float
    bound_us: float
    status: str
    solver_status: str
    wall_s: float
    from_hint: bool
    hint_time_us: float


@dataclass(frozen=True)
class _Window:
    buffer: int
    index: int
    start: int
    end: int
    savings: tuple[tuple[int, int], ...]  # (operation, ticks saved) per use inside


@dataclass(frozen=True)
class _Copy:
    window: int
    issue: int
    due: int
    duration: int


@dataclass(frozen=True)
class _Encoding:
    """The integer data of the model, in ticks of ``tick_us`` microseconds."""

    tick_us: float
    compute: list[int]
    slow_bytes_time: list[int]
    windows: list[_Window]
    copies: list[_Copy]  # in the engine's first-in first-out order


def _encode(program: Program, hardware: Hardware, arrays: ProgramArrays,
            n_windows: int) -> _Encoding:
    a = arrays
    n_ops = a.n_operations
    est_times = op_times_all_slow(a.op_flops, a.read_ptr, a.read_idx, a.write_ptr, a.write_idx,
                                  a.size, hardware.compute, hardware.slow_bandwidth)
    tick_us = max(float(est_times.sum()), 1e-300) / TICKS_PER_ALL_SLOW_TIME
    per_second = MICROSECONDS_PER_SECOND / tick_us
    compute = [_ticks_down(float(a.op_flops[t]) / hardware.compute * per_second)
               for t in range(n_ops)]
    slow_bytes_time = []
    uses_at: list[dict[int, int]] = []  # per operation: buffer -> 1 (read or write) or 2 (both)
    for t in range(n_ops):
        count: dict[int, int] = {}
        for b in np.concatenate([program.reads(t), program.writes(t)]).tolist():
            count[b] = count.get(b, 0) + 1
        uses_at.append(count)
        slow_bytes_time.append(_ticks_down(sum(
            m * float(a.size[b]) / hardware.slow_bandwidth for b, m in count.items())
            * per_second))
    window_start, window_end = candidate_windows(a.use_ptr, a.use_op, a.use_writes,
                                                 a.starts_in_slow, a.ends_in_slow, a.size,
                                                 est_times, hardware.copy_bandwidth, n_windows)
    windows: list[_Window] = []
    keyed_copies: list[tuple[tuple[int, int, int, int], _Copy]] = []
    for b in range(program.n_buffers):
        size = int(a.size[b])
        if size > hardware.fast_capacity:
            continue
        saving_per_use = size * (1.0 / hardware.slow_bandwidth - 1.0 / hardware.fast_bandwidth)
        duration = _ticks_down(size / hardware.copy_bandwidth * per_second)
        uses = a.use_op[a.use_ptr[b]:a.use_ptr[b + 1]].tolist()
        for w in range(n_windows):
            start, end = int(window_start[b, w]), int(window_end[b, w])
            if start < 0:
                continue
            savings = tuple((t, _ticks_up(uses_at[t][b] * saving_per_use * per_second))
                            for t in uses if start <= t < end)
            index = len(windows)
            windows.append(_Window(b, w, start, end, savings))
            p_issue, p_due, e_issue, e_due = buffer_copies(
                b, a.use_ptr, a.use_op, a.use_writes, a.starts_in_slow, a.ends_in_slow,
                start, end)
            for kind, (issue, due) in enumerate(((p_issue, p_due), (e_issue, e_due))):
                if issue >= 0:
                    keyed_copies.append(((int(issue), b, kind, w),
                                         _Copy(index, int(issue), int(due), duration)))
    keyed_copies.sort(key=lambda pair: pair[0])
    return _Encoding(tick_us, compute, slow_bytes_time, windows, [c for _, c in keyed_copies])


def _model_clock(encoding: _Encoding, chosen: set[int]) -> tuple[list[int], list[int], list[int]]:
    """The least solution of the model's time inequalities for the chosen windows:
    ``(arrive, ready, engine)`` in ticks, the values the hint gives CP-SAT."""
    n_ops = len(encoding.compute)
    saved = [0] * n_ops
    for i in chosen:
        for t, ticks in encoding.windows[i].savings:
            saved[t] += ticks
    due_at: list[list[int]] = [[] for _ in range(n_ops + 1)]
    for c, copy in enumerate(encoding.copies):
        due_at[copy.due].append(c)
    issued_at: list[list[int]] = [[] for _ in range(n_ops + 1)]
    for c, copy in enumerate(encoding.copies):
        issued_at[copy.issue].append(c)
    arrive, ready = [0] * (n_ops + 1), [0] * (n_ops + 1)
    engine = [0] * len(encoding.copies)
    free = 0
    for t in range(n_ops + 1):
        for c in issued_at[t]:
            copy = encoding.copies[c]
            free = max(free, arrive[t]) + (copy.duration if copy.window in chosen else 0)
            engine[c] = free
        ready[t] = max([arrive[t]] + [engine[c] for c in due_at[t]
                                      if encoding.copies[c].window in chosen])
        if t < n_ops:
            memory = encoding.slow_bytes_time[t] - saved[t]
            arrive[t + 1] = ready[t] + max(encoding.compute[t], memory, 0)
    return arrive, ready, engine


def _chosen_windows(encoding: _Encoding, program: Program, mapping: Mapping) -> set[int]:
    by_span = {(w.buffer, w.start, w.end): i for i, w in enumerate(encoding.windows)}
    chosen = set()
    for b in np.flatnonzero(mapping.in_fast).tolist():
        span = (b, int(mapping.fast_start[b]), int(mapping.fast_end[b]))
        if span not in by_span:
            raise InputError(f"buffer {program.buffer_names[b]!r} has window "
                             f"[{span[1]}, {span[2]}), not one of its candidate windows",
                             field="hint")
        chosen.add(by_span[span])
    return chosen


def _check_arguments(mode: str, time_limit: float, workers: int,
                     deterministic_limit: float | None) -> None:
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}",
                         field="mode")
    if not time_limit > 0:
        raise InputError(f"must be > 0 seconds, got {time_limit}", field="time_limit")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(f"must be an integer >= 1, got {workers!r}", field="workers")
    if deterministic_limit is not None and not deterministic_limit > 0:
        raise InputError(f"must be > 0, got {deterministic_limit}", field="deterministic_limit")


def solve_mapping_cpsat(
    program: Program,
    hardware: Hardware,
    mode: str = "full",
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    hint: Mapping | None = None,
    deterministic_limit: float | None = None,
    arrays: ProgramArrays | None = None,
) -> CpSatMappingResult:
    """Minimise the program's run time with CP-SAT (the model of the module docstring).

    With several workers and a time limit, CP-SAT's result can vary between runs even with the
    same seed (its workers race); one worker with a fixed seed and ``deterministic_limit`` is
    repeatable.

    :param program: the scheduled program.
    :param hardware: the chip; its fast capacity is the limit.
    :param mode: ``"full"`` (the five candidate windows) or ``"basic"`` (the whole live range at
        the preferred prefetch only), as in the mapping env.
    :param time_limit: seconds of search.
    :param workers: CP-SAT search workers (at most the number of cores).
    :param seed: CP-SAT's random seed.
    :param hint: a mapping of candidate windows to start from; the XLA-style greedy's
        (:func:`~decisiongym.baselines.memory.xla_greedy.xla_greedy` in the same mode) when
        ``None``.
    :param deterministic_limit: a limit in CP-SAT's deterministic time units as well.
    :param arrays: the program's kernel arrays when the caller has them already.
    :return: the answer, its validated time and the model's bound.
    :raises InputError: for a bad argument, or a hint with a window that is not a candidate.
    :raises ValidationError: for a hint that breaks a constraint.
    """
    _check_arguments(mode, time_limit, workers, deterministic_limit)
    t0 = time.perf_counter()
    arrays = program_arrays(program) if arrays is None else arrays
    if hint is None:
        hint = xla_greedy(program, hardware, mode=mode, arrays=arrays)
    hint_time = validate_mapping(program, hardware, hint)
    encoding = _encode(program, hardware, arrays, N_WINDOWS if mode == "full" else 1)
    hinted = _chosen_windows(encoding, program, hint)
    hint_clock = _model_clock(encoding, hinted)
    horizon = hint_clock[1][-1]

    cp, choice, slot, clock = _build(program, hardware, encoding, horizon)
    arrive, ready, engine = clock
    for i, x in enumerate(choice):
        cp.add_hint(x, i in hinted)
    for b, k in slot.items():
        in_fast = hint.fast_start[b] >= 0
        cp.add_hint(k, int(hint.offset[b]) // hardware.alignment if in_fast else 0)
    hinted_clock: set[int] = set()  # ready[t] is arrive[t] where no copy is due at t
    clock_variables: list[cp_model.IntVar | int] = [*arrive, *ready, *engine]
    clock_values = [value for values in hint_clock for value in values]
    for variable, value in zip(clock_variables, clock_values, strict=True):
        if isinstance(variable, cp_model.IntVar) and variable.index not in hinted_clock:
            hinted_clock.add(variable.index)
            cp.add_hint(variable, value)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = int(seed)
    # The clock chains make CP-SAT's default presolve (probing, dual reductions) take all of a
    # 10 s budget on programs of a thousand buffers, leaving it no time to search.
    solver.parameters.max_presolve_iterations = 1
    solver.parameters.presolve_probing_deterministic_time_limit = 0.05
    if deterministic_limit is not None:
        solver.parameters.max_deterministic_time = float(deterministic_limit)
    status = solver.solve(cp)
    if status in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        # The hint satisfies every constraint by construction, so this is a bug, not an answer.
        raise RuntimeError(f"the CP-SAT mapping model of {program.name!r} is "
                           f"{solver.status_name(status)} although its hint is feasible")
    # CP-SAT's bound on an integer objective is an integer held in a float.
    raw_bound = solver.best_objective_bound
    bound_ticks = min(math.floor(raw_bound + 1e-6), horizon) if math.isfinite(raw_bound) else 0
    bound_ticks = max(bound_ticks, 0)
    mapping, found_time = hint, hint_time
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        candidate = _read_mapping(solver, program, hardware, encoding, choice, slot)
        candidate_time = validate_mapping(program, hardware, candidate)
        if candidate_time < hint_time:
            mapping, found_time = candidate, candidate_time
    return CpSatMappingResult(
        mapping=mapping, time_us=found_time,
        time_all_slow_us=time_all_slow(program, hardware),
        bound_us=bound_ticks * encoding.tick_us,
        status="optimal" if status == cp_model.OPTIMAL else "feasible",
        solver_status=solver.status_name(status), wall_s=time.perf_counter() - t0,
        from_hint=mapping is hint, hint_time_us=hint_time)


_ClockVariables = tuple[list[cp_model.IntVar | int], list[cp_model.IntVar | int],
                        list[cp_model.IntVar]]


def _build(program: Program, hardware: Hardware, encoding: _Encoding, horizon: int
           ) -> tuple[cp_model.CpModel, list[cp_model.IntVar], dict[int, cp_model.IntVar],
                      _ClockVariables]:
    """The CP-SAT model: ``(model, choice per window, offset slot per buffer, clock)``."""
    cp = cp_model.CpModel()
    n_ops = len(encoding.compute)
    capacity, alignment = hardware.fast_capacity, hardware.alignment
    choice = [cp.new_bool_var(f"x_{w.buffer}_{w.index}") for w in encoding.windows]
    per_buffer: dict[int, list[int]] = {}
    for i, w in enumerate(encoding.windows):
        per_buffer.setdefault(w.buffer, []).append(i)
    slot: dict[int, cp_model.IntVar] = {}
    time_boxes, address_boxes = [], []
    for b, indices in per_buffer.items():
        size = int(program.buffer_size[b])
        slot[b] = cp.new_int_var(0, (capacity - size) // alignment, f"k_{b}")
        cp.add_at_most_one(choice[i] for i in indices)
        for i in indices:
            w = encoding.windows[i]
            time_boxes.append(cp.new_optional_fixed_size_interval_var(
                w.start, w.end - w.start, choice[i], f"time_{b}_{w.index}"))
            address_boxes.append(cp.new_optional_fixed_size_interval_var(
                alignment * slot[b], size, choice[i], f"address_{b}_{w.index}"))
    if time_boxes:
        cp.add_no_overlap_2d(time_boxes, address_boxes)

    holding: list[list[int]] = [[] for _ in range(n_ops)]
    for i, w in enumerate(encoding.windows):
        for t in range(w.start, w.end):
            holding[t].append(i)
    for t in range(n_ops):
        sizes = [int(program.buffer_size[encoding.windows[i].buffer]) for i in holding[t]]
        if sum(sizes) > capacity:
            cp.add(sum(s * choice[i] for s, i in zip(sizes, holding[t], strict=True))
                   <= capacity)
    outstanding: list[list[int]] = [[] for _ in range(n_ops + 1)]
    for copy in encoding.copies:
        for t in range(copy.issue, max(copy.due, copy.issue + 1)):
            outstanding[t].append(copy.window)
    for t in range(n_ops + 1):
        if len(outstanding[t]) > hardware.max_outstanding_copies:
            cp.add(sum(choice[i] for i in outstanding[t]) <= hardware.max_outstanding_copies)

    due_at: list[list[int]] = [[] for _ in range(n_ops + 1)]
    for c, copy in enumerate(encoding.copies):
        due_at[copy.due].append(c)
    saving_terms: list[list[tuple[int, int]]] = [[] for _ in range(n_ops)]
    best_saving: list[dict[int, int]] = [{} for _ in range(n_ops)]
    for i, w in enumerate(encoding.windows):
        for t, ticks in w.savings:
            saving_terms[t].append((ticks, i))
            best_saving[t][w.buffer] = max(ticks, best_saving[t].get(w.buffer, ticks))
    # Each operation lasts at least its time with every window that can hold it chosen; the
    # clock's domains follow (before t: at least the fastest prefix; from t on: the hint's time
    # less the fastest suffix), sparing the presolve from finding them one step at a time.
    fastest = [max(encoding.compute[t],
                   encoding.slow_bytes_time[t] - sum(best_saving[t].values()), 0)
               for t in range(n_ops)]
    earliest = np.concatenate([[0], np.cumsum(fastest, dtype=np.int64)]).tolist()
    latest = [horizon - (earliest[n_ops] - earliest[t]) for t in range(n_ops + 1)]
    if latest[0] < 0:
        raise RuntimeError(f"the CP-SAT mapping model of {program.name!r} times its hint "
                           "below the fastest operation times")
    arrive: list[cp_model.IntVar | int] = [0]
    arrive += [cp.new_int_var(earliest[t], latest[t], f"arrive_{t}")
               for t in range(1, n_ops + 1)]
    ready: list[cp_model.IntVar | int] = [
        cp.new_int_var(earliest[t], latest[t], f"ready_{t}") if due_at[t] else arrive[t]
        for t in range(n_ops + 1)]
    for t in range(n_ops):
        if ready[t] is not arrive[t]:
            cp.add(ready[t] >= arrive[t])
        cp.add(arrive[t + 1] >= ready[t] + encoding.compute[t])
        saved = sum(ticks * choice[i] for ticks, i in saving_terms[t])
        cp.add(arrive[t + 1] >= ready[t] + encoding.slow_bytes_time[t] - saved)
    if ready[n_ops] is not arrive[n_ops]:
        cp.add(ready[n_ops] >= arrive[n_ops])
    engine: list[cp_model.IntVar] = []
    for c, copy in enumerate(encoding.copies):
        free = cp.new_int_var(earliest[copy.issue], horizon, f"engine_{c}")
        busy = copy.duration * choice[copy.window]
        if engine:
            cp.add(free >= engine[-1] + busy)
        cp.add(free >= arrive[copy.issue] + busy)
        cp.add(ready[copy.due] >= free).only_enforce_if(choice[copy.window])
        engine.append(free)
    cp.minimize(ready[n_ops])
    return cp, choice, slot, (arrive, ready, engine)


def _read_mapping(solver: cp_model.CpSolver, program: Program, hardware: Hardware,
                  encoding: _Encoding, choice: list[cp_model.IntVar],
                  slot: dict[int, cp_model.IntVar]) -> Mapping:
    fast_start = np.full(program.n_buffers, -1, dtype=np.int64)
    fast_end, offset = fast_start.copy(), fast_start.copy()
    for i, w in enumerate(encoding.windows):
        if solver.boolean_value(choice[i]):
            fast_start[w.buffer], fast_end[w.buffer] = w.start, w.end
            offset[w.buffer] = hardware.alignment * solver.value(slot[w.buffer])
    return Mapping(fast_start, fast_end, offset)
