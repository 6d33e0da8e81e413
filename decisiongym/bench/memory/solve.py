"""One memory workload answered by one method and re-validated: what ``decisiongym solve
memory`` asks and what each cell of the memory benchmark runs.

A workload is a shipped program (by name), a program file or a MiniMalloc CSV
(:func:`~decisiongym.envs.memory.workloads.load_workload`). Its capacity is given in bytes (an
integer) or as a fraction in ``(0, 1]`` of its peak live bytes (a float): the max-live lower
bound of an allocation, or the most bytes a program holds at once for a mapping. Every answer
goes through the family's validator (:func:`decisiongym.envs.memory.solution.validate`) before
it is recorded, and the record's objective is the value the validator recomputes, never the
method's own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from decisiongym.bench.memory.methods import (
    AllocationOutcome,
    MappingOutcome,
    SolveOptions,
    method_for,
)
from decisiongym.bench.memory.warmup import warm_allocation, warm_mapping
from decisiongym.bench.record import Record
from decisiongym.envs.core.errors import InputError, ValidationError
from decisiongym.envs.memory.hardware import Hardware, hardware_preset
from decisiongym.envs.memory.mapping import Mapping, time_all_slow
from decisiongym.envs.memory.minimalloc_csv import capacity_from_name
from decisiongym.envs.memory.problem import MAX_VALUE, AllocationProblem, peak
from decisiongym.envs.memory.program import Program
from decisiongym.envs.memory.solution import Allocation, MappingAnswer, validate
from decisiongym.envs.memory.workloads import load_workload

FAMILY = "memory"
DEFAULT_MAPPING_CAPACITY = 0.5
"""A mapping's fast capacity when none is given: half the program's peak live bytes."""

DEFAULT_HARDWARE = "tpu-like"
"""The chip a mapping runs on when none is named."""

Capacity = int | float | None
"""Bytes (an integer), a fraction of the peak live bytes (a float in (0, 1]), or the default."""


def _check_capacity(capacity: Capacity) -> None:
    if capacity is None:
        return
    if isinstance(capacity, bool) or not isinstance(capacity, int | float):
        raise InputError(f"expected bytes (an integer) or a fraction (a float), got "
                         f"{capacity!r}", field="capacity")
    if isinstance(capacity, float) and not 0 < capacity <= 1:
        raise InputError(f"a fraction of the peak live bytes is in (0, 1], got {capacity}",
                         field="capacity")
    if isinstance(capacity, int) and not 1 <= capacity <= MAX_VALUE:
        raise InputError(f"bytes are between 1 and 2**62, got {capacity}", field="capacity")


def load_instance(workload: str, capacity: Capacity = None) -> Program | AllocationProblem:
    """The program or allocation problem a workload names.

    :param workload: a shipped name, a program file or a MiniMalloc CSV.
    :param capacity: for a CSV, bytes to read it at (its file name's capacity otherwise; a
        file whose name carries none needs one, bytes or a fraction).
    :raises InputError: for an unknown name, or a CSV with no capacity anywhere.
    """
    _check_capacity(capacity)
    if Path(workload).suffix.lower() != ".csv":
        return load_workload(workload)
    if isinstance(capacity, int):
        return load_workload(workload, capacity)
    if capacity_from_name(workload) is not None:
        return load_workload(workload)
    if capacity is None:
        raise InputError(f"{workload} carries no capacity in its name (MiniMalloc's files are "
                         "NAME.CAPACITY.csv); give one in bytes or as a fraction",
                         field="capacity")
    # read at a capacity nothing overflows; the fraction is applied to its max live bytes
    return load_workload(workload, MAX_VALUE)


def allocation_problem(instance: Program | AllocationProblem,
                       capacity: Capacity = None) -> AllocationProblem:
    """The allocation problem of a workload at a capacity.

    :param instance: a program (its buffers over their live ranges) or a problem.
    :param capacity: bytes, a fraction of the max live bytes, or ``None``: a problem's own
        capacity (a CSV's from its file name), a program's peak live bytes.
    """
    _check_capacity(capacity)
    problem = (instance.allocation_problem(MAX_VALUE) if isinstance(instance, Program)
               else instance)
    if capacity is None:
        return problem.with_capacity(problem.max_live() or 1) if isinstance(instance, Program) \
            else problem
    if isinstance(capacity, float):
        return problem.with_capacity(max(int(capacity * problem.max_live()), 1))
    return problem.with_capacity(capacity)


def mapping_chip(program: Program, hardware: str | Hardware | None = None,
                 capacity: Capacity = None) -> Hardware:
    """The chip a program is mapped on, its fast capacity set.

    :param program: the program.
    :param hardware: a preset name or a chip; :data:`DEFAULT_HARDWARE` when ``None``.
    :param capacity: bytes, or a fraction of the program's peak live bytes (rounded down to
        the chip's alignment); :data:`DEFAULT_MAPPING_CAPACITY` when ``None``.
    """
    _check_capacity(capacity)
    chip = hardware_preset(hardware or DEFAULT_HARDWARE) if not isinstance(hardware, Hardware) \
        else hardware
    wanted = DEFAULT_MAPPING_CAPACITY if capacity is None else capacity
    return chip.with_capacity(wanted, program.peak_live_bytes())


def _accepted(check: Any) -> tuple[bool, Any]:
    """Whether the validator accepts (``check()`` returns), and what it recomputed."""
    try:
        return True, check()
    except ValidationError:
        return False, None


def solve_allocation(problem: AllocationProblem, method: str,
                     options: SolveOptions | None = None) -> Record:
    """Allocate ``problem`` with ``method`` and re-check the answer from the problem alone.

    The record's objective is the validated peak (``None`` without an answer); ``bound`` is a
    proven lower bound on the peak; ``extra`` holds ``mode``, ``question`` (the objective
    asked), ``capacity``, ``max_live``, ``n_buffers``, ``ratio`` (peak / capacity),
    ``compile_s`` and the method's own figures;
    ``solution`` is the offsets. A packing the method claims fits is checked against the
    capacity, any other answer (a greedy that overshoots, a least-peak answer) at its own peak.

    :param problem: the buffers and the capacity.
    :param method: a name of :data:`~decisiongym.bench.memory.methods.ALLOCATION_METHODS`.
    :param options: what the method is given (:class:`SolveOptions`).
    :raises InputError: for a method that does not allocate or is not available.
    """
    options = options or SolveOptions()
    run = method_for("allocation", method)
    compile_s = warm_allocation(method, options)
    t0, c0 = time.perf_counter(), time.process_time()
    outcome: AllocationOutcome = run(problem, options)
    wall_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    found = None
    valid = False
    if outcome.offsets is not None:
        claimed = peak(problem, outcome.offsets)
        fits = options.objective == "feasibility" and outcome.status in ("optimal", "feasible")
        valid, found = _accepted(lambda: validate(problem, Allocation(
            outcome.offsets, problem.capacity if fits else claimed)))
        valid = valid and found == claimed
    bound = outcome.bound
    gap = (100.0 * (found - bound) / bound if found is not None and bound else None)
    searched = method in ("exact", "cpsat")
    return Record(
        family=FAMILY, method=method, instance=problem.name, seed=options.seed,
        budget=options.limit(method) if searched else None, objective=found,
        objective_name="peak_bytes", sense="min", bound=bound, gap=gap, status=outcome.status,
        valid=valid, wall_s=wall_s, cpu_s=cpu_s,
        extra={"mode": "allocation", "question": options.objective,
               "capacity": problem.capacity, "max_live": problem.max_live(),
               "n_buffers": problem.n_buffers,
               "ratio": None if found is None else found / problem.capacity,
               "compile_s": compile_s, **outcome.extra},
        solution=outcome.offsets,
    )


def solve_mapping(program: Program, chip: Hardware, method: str,
                  options: SolveOptions | None = None) -> Record:
    """Map ``program`` on ``chip`` with ``method`` and re-check the mapping from the program.

    The record's objective is the run time in microseconds that
    :func:`~decisiongym.envs.memory.mapping.validate_mapping` recomputes; ``extra`` holds
    ``mode``, ``hardware``, ``capacity`` (fast bytes), ``peak_live``, ``time_all_slow_us``,
    ``speedup`` (all-slow time / time), ``in_fast`` (buffers given a window), ``compile_s`` and
    the method's own figures (``fell_back`` for a method that may return another's answer);
    ``solution`` is the mapping.

    :param program: the scheduled program.
    :param chip: the chip, its fast capacity set (:func:`mapping_chip`).
    :param method: a name of :data:`~decisiongym.bench.memory.methods.MAPPING_METHODS`.
    :param options: what the method is given.
    :raises InputError: for a method that does not map or is not available.
    """
    options = options or SolveOptions()
    run = method_for("mapping", method)
    compile_s = warm_mapping(method, options)
    t0, c0 = time.perf_counter(), time.process_time()
    outcome: MappingOutcome = run(program, chip, options)
    wall_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    slow = time_all_slow(program, chip)
    valid, found = False, None
    if outcome.mapping is not None:
        valid, found = _accepted(lambda: validate(program, MappingAnswer(outcome.mapping, chip)))
    gap = (100.0 * (found - outcome.bound) / outcome.bound
           if found is not None and outcome.bound else None)
    return Record(
        family=FAMILY, method=method, instance=program.name, seed=options.seed,
        budget=options.limit(method) if method in ("cpsat",) else None, objective=found,
        objective_name="time_us", sense="min", bound=outcome.bound, gap=gap,
        status=outcome.status, valid=valid, wall_s=wall_s, cpu_s=cpu_s,
        extra={"mode": "mapping", "hardware": chip.name, "capacity": chip.fast_capacity,
               "peak_live": program.peak_live_bytes(), "time_all_slow_us": slow,
               "speedup": None if not found else slow / found,
               "in_fast": None if outcome.mapping is None
               else int(outcome.mapping.in_fast.sum()),
               "compile_s": compile_s, **outcome.extra},
        solution=outcome.mapping,
    )


@dataclass(frozen=True)
class Prepared:
    """A workload ready to answer: the allocation problem at its capacity, or the program with
    the chip it is mapped on.

    :param mode: ``"allocation"`` or ``"mapping"``.
    :param instance: the allocation problem, or the program.
    :param chip: the chip of a mapping (``None`` for an allocation).
    """

    mode: str
    instance: Program | AllocationProblem
    chip: Hardware | None = None


def prepare_workload(workload: str, mode: str, method: str, capacity: Capacity = None,
                     hardware: str | None = None) -> Prepared:
    """Load a workload for ``mode`` and check that ``method`` answers it, before any work.

    :param workload: a shipped name, a program file or a MiniMalloc CSV.
    :param mode: ``"allocation"`` or ``"mapping"``.
    :param method: the method's name.
    :param capacity: see :func:`allocation_problem` and :func:`mapping_chip`.
    :param hardware: a preset name, for a mapping only.
    :raises InputError: for a CSV in mapping mode, hardware in allocation mode, a method of
        the other mode, or anything :func:`load_instance` refuses.
    """
    method_for(mode, method)
    instance = load_instance(workload, capacity)
    if mode == "allocation":
        if hardware is not None:
            raise InputError("a chip applies to --mode mapping; an allocation has one memory, "
                             "of the capacity given", field="hardware")
        return Prepared(mode, allocation_problem(instance, capacity))
    if not isinstance(instance, Program):
        raise InputError(f"{workload} holds buffers without operations, so nothing has a run "
                         "time to map; use --mode allocation, or a program file",
                         field="workload")
    return Prepared(mode, instance, mapping_chip(instance, hardware, capacity))


def solve_prepared(prepared: Prepared, method: str,
                   options: SolveOptions | None = None) -> Record:
    """Answer a prepared workload (:func:`solve_allocation` or :func:`solve_mapping`)."""
    if prepared.mode == "allocation":
        assert isinstance(prepared.instance, AllocationProblem)
        return solve_allocation(prepared.instance, method, options)
    assert isinstance(prepared.instance, Program) and prepared.chip is not None
    return solve_mapping(prepared.instance, prepared.chip, method, options)


def solve_workload(workload: str, mode: str, method: str, capacity: Capacity = None,
                   hardware: str | None = None, options: SolveOptions | None = None
                   ) -> tuple[Program | AllocationProblem, Record]:
    """Load a workload and answer it (:func:`prepare_workload`, then :func:`solve_prepared`).

    :return: the instance answered (the allocation problem, or the program) and the record.
    """
    prepared = prepare_workload(workload, mode, method, capacity, hardware)
    return prepared.instance, solve_prepared(prepared, method, options)


def placements(instance: Program | AllocationProblem, record: Record) -> list[dict[str, Any]]:
    """One ``{buffer, offset, memory, prefetch, evict}`` per buffer of a record's answer (empty
    without one). An allocation places every buffer in its one memory, reported as ``fast``."""
    answer = record.solution
    if answer is None:
        return []
    if isinstance(answer, Mapping):
        assert isinstance(instance, Program)
        return answer.placements(instance)
    assert isinstance(instance, AllocationProblem)
    return [{"buffer": name, "offset": int(offset), "memory": "fast", "prefetch": None,
             "evict": None} for name, offset in zip(instance.names, answer)]


def solve_json(instance: Program | AllocationProblem, record: Record) -> dict[str, Any]:
    """A :func:`solve_workload` record as ``decisiongym solve memory --json`` prints it."""
    extra = record.extra
    body: dict[str, Any] = {"workload": record.instance, "mode": extra["mode"],
                            "method": record.method, "capacity": extra["capacity"]}
    if extra["mode"] == "allocation":
        body.update({"objective": extra["question"], "peak": record.objective,
                     "max_live": extra["max_live"]})
        if "order" in extra:
            body["order"] = extra["order"]
    else:
        body.update({"hardware": extra["hardware"], "time_all_slow": extra["time_all_slow_us"],
                     "time": record.objective, "speedup": extra["speedup"]})
    body.update({"bound": record.bound, "status": record.status,
                 "wall_s": round(record.wall_s, 6), "compile_s": extra.get("compile_s"),
                 "valid": record.valid, "placements": placements(instance, record)})
    return body
