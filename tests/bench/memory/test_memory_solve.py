"""One workload, one method, re-validated (``decisiongym.bench.memory.solve``): a planted wrong
answer is caught and the command exits 1; capacities resolve by the documented rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from decisiongym.bench.memory import methods
from decisiongym.bench.memory.solve import (
    allocation_problem,
    load_instance,
    mapping_chip,
    solve_allocation,
    solve_json,
    solve_mapping,
)
from decisiongym.cli import main
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.hardware import hardware_preset
from decisiongym.envs.memory.mapping import Mapping
from decisiongym.envs.memory.minimalloc_csv import write_minimalloc_csv
from decisiongym.envs.memory.problem import AllocationProblem
from decisiongym.envs.memory.program import BufferKind, Program

JSON_KEYS = {"workload", "mode", "method", "capacity", "bound", "status", "wall_s", "compile_s",
             "valid", "placements"}


def hand_problem(capacity: int = 3) -> AllocationProblem:
    """Live bytes 3 at every step: ``a`` [0, 2) size 2, ``b`` [0, 1) 1, ``c`` [1, 3) 1,
    ``d`` [2, 3) 2."""
    return AllocationProblem(np.array([0, 0, 1, 2]), np.array([2, 1, 3, 3]),
                             np.array([2, 1, 1, 2]), capacity, ("a", "b", "c", "d"))


def two_buffer_program() -> Program:
    """Operation 0 writes ``x`` (1,024 bytes) from ``w``; operation 1 reads both."""
    return Program.from_lists("two", [("w", 2048, BufferKind.PARAMETER),
                                      ("x", 1024, BufferKind.ACTIVATION)],
                              [("first", 1e6, [0], [1]), ("second", 1e6, [0, 1], [])])


def _all_at_zero(problem: AllocationProblem,
                 options: methods.SolveOptions) -> methods.AllocationOutcome:
    """A wrong method: every buffer at offset 0, so buffers live together overlap."""
    return methods.AllocationOutcome("feasible", np.zeros(problem.n_buffers, dtype=np.int64), 0)


def _both_at_zero(program: Program, chip: object,
                  options: methods.SolveOptions) -> methods.MappingOutcome:
    """A wrong mapping: both buffers in fast memory over their whole range, at offset 0."""
    return methods.MappingOutcome("feasible", Mapping(np.array([0, 0]), np.array([2, 2]),
                                                      np.array([0, 0])))


def test_a_planted_overlap_is_not_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(methods.ALLOCATION_METHODS, "greedy", _all_at_zero)
    record = solve_allocation(hand_problem(), "greedy")
    assert record.valid is False and record.objective is None


def test_a_planted_fast_memory_overlap_is_not_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(methods.MAPPING_METHODS, "greedy", _both_at_zero)
    program = two_buffer_program()
    record = solve_mapping(program, mapping_chip(program, "tpu-like", 1.0), "greedy")
    assert record.valid is False and record.objective is None and record.extra["in_fast"] == 2


def test_the_command_exits_1_on_an_answer_the_validator_refuses(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(methods.ALLOCATION_METHODS, "greedy", _all_at_zero)
    path = tmp_path / "hand.3.csv"
    write_minimalloc_csv(hand_problem(), path)
    assert main(["solve", "memory", str(path), "--mode", "allocation", "--method", "greedy",
                 "--json"]) == 1
    assert '"valid": false' in capsys.readouterr().out


def test_an_honest_answer_is_valid_and_printed_whole() -> None:
    record = solve_allocation(hand_problem(), "exact")
    assert record.valid and record.objective == 3 and record.status == "optimal"
    body = solve_json(hand_problem(), record)
    assert JSON_KEYS | {"peak", "objective", "max_live"} == set(body)
    program = two_buffer_program()
    mapped = solve_mapping(program, mapping_chip(program), "xla-greedy")
    body = solve_json(program, mapped)
    assert JSON_KEYS | {"hardware", "time_all_slow", "time", "speedup"} == set(body)


def test_capacities_resolve_by_the_documented_rules(tmp_path: Path) -> None:
    program = two_buffer_program()
    # both buffers are live at operation 1: 3,072 bytes at most
    assert program.peak_live_bytes() == 3072
    assert allocation_problem(program).capacity == 3072
    assert allocation_problem(program, 0.5).capacity == 1536
    assert allocation_problem(program, 1000).capacity == 1000
    # tpu-like fast offsets are multiples of 512: a fraction is rounded down to it
    assert mapping_chip(program).fast_capacity == 1536
    assert mapping_chip(program, "tpu-like", 0.3).fast_capacity == 512
    assert mapping_chip(program, "gpu-like", 0.3).fast_capacity == 768
    assert mapping_chip(program, "gpu-like", 777).fast_capacity == 777
    assert mapping_chip(program, hardware_preset("gpu-like")).name == "gpu-like"
    named = tmp_path / "hand.5.csv"
    write_minimalloc_csv(hand_problem(), named)
    loaded = load_instance(str(named))
    assert isinstance(loaded, AllocationProblem) and loaded.capacity == 5
    assert allocation_problem(loaded, 2.0 / 3.0).capacity == 2  # of the max live bytes, 3
    assert allocation_problem(load_instance(str(named), 4)).capacity == 4
    bare = tmp_path / "hand.csv"
    write_minimalloc_csv(hand_problem(), bare)
    assert allocation_problem(load_instance(str(bare), 1.0), 1.0).capacity == 3
    with pytest.raises(InputError) as error:
        load_instance(str(bare))
    assert error.value.field == "capacity"
    for wrong in (0, -1, 1.5, 0.0, True, 2**62 + 1):
        with pytest.raises(InputError):
            allocation_problem(program, wrong)  # type: ignore[arg-type]
