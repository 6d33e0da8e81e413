"""The allocation problem, its validator, MiniMalloc's CSV format and the program type."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shared_data import shared_data

from decisiongym.envs.core.errors import InputError, InstanceFormatError, ValidationError
from decisiongym.envs.memory.minimalloc_csv import (
    capacity_from_name,
    format_minimalloc_csv,
    parse_minimalloc_csv,
    read_minimalloc_csv,
    write_minimalloc_csv,
)
from decisiongym.envs.memory.problem import AllocationProblem, validate_allocation
from decisiongym.envs.memory.program import BufferKind, Program

SHARED = shared_data("memory")

# MiniMalloc's example (benchmarks/examples/input.12.csv in google/minimalloc), capacity 12.
EXAMPLE = """id,lower,upper,size
b1,0,3,4
b2,3,9,4
b3,0,9,4
b4,9,21,4
b5,0,21,4
"""


def example() -> AllocationProblem:
    return parse_minimalloc_csv(EXAMPLE, 12, name="input")[0]


def test_example_max_live_and_a_hand_packing() -> None:
    problem = example()
    assert problem.max_live() == 12
    # b5 spans everything at 0; b3 then b4 at 4; b1 then b2 at 8.
    assert validate_allocation(problem, np.array([8, 8, 4, 4, 0])) == 12


@pytest.mark.parametrize(("offsets", "constraint"), [
    ([8, 8, 4, 4, 1], "no-overlap"),       # b5 [1, 5) meets b3 [4, 8)
    ([8, 8, 4, 4, 10], "capacity"),
    ([8, -1, 4, 4, 0], "placed"),
    ([8, 4, 4, 8, 0], "no-overlap"),       # b2 and b3 both at 4 over [3, 9)
])
def test_validator_catches_planted_faults(offsets: list[int], constraint: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_allocation(example(), np.array(offsets))
    assert error.value.constraint == constraint


def test_touching_live_ranges_may_share_addresses() -> None:
    # [0, 3) and [3, 9) are half-open: they never coexist.
    problem = AllocationProblem([0, 3], [3, 9], [4, 4], 4)
    assert validate_allocation(problem, np.array([0, 0])) == 4


def test_alignment_and_fixed_offsets() -> None:
    problem = AllocationProblem([0, 0], [2, 2], [3, 3], 8, alignment=4,
                                fixed_offsets=np.array([4, -1]))
    assert validate_allocation(problem, np.array([4, 0])) == 7
    with pytest.raises(ValidationError, match="multiple of 4"):
        validate_allocation(problem, np.array([4, 1]))
    with pytest.raises(ValidationError) as error:
        validate_allocation(problem.with_capacity(16), np.array([8, 0]))
    assert error.value.constraint == "fixed-offset"


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty file"),
    ("id,lower,size\n", "lacks the column 'upper'"),
    ("id,lower,upper,size,colour\n", "unknown column 'colour'"),
    ("id,lower,upper,size\nb,0,3\n", "line 2: 3 fields"),
    ("id,lower,upper,size\nb,0,3,x\n", "line 2: column 'size'"),
    ("id,lower,upper,size\nb,3,3,4\n", "line 2: column 'upper'"),
    ("id,lower,upper,size\nb,0,3,4\nb,0,3,4\n", "line 3: column 'id': buffer 'b' already"),
    ("id,lower,upper,size\nb,0,3,0\n", "sizes are > 0"),
    ("id,lower,upper,size\nb,0,3,99999999999999999999\n", "2\\*\\*62"),
])
def test_malformed_csv_names_line_and_column(text: str, message: str) -> None:
    with pytest.raises(InstanceFormatError, match=message):
        parse_minimalloc_csv(text, 12, source="bad.csv")


def test_round_trip_with_offsets(tmp_path: Path) -> None:
    problem = example()
    offsets = np.array([8, 8, 4, 4, 0])
    path = tmp_path / "input.12.csv"
    write_minimalloc_csv(problem, path, offsets)
    again, read_offsets = parse_minimalloc_csv(path.read_text(), 12)
    assert again.names == problem.names and read_offsets is not None
    assert np.array_equal(read_offsets, offsets)
    assert read_minimalloc_csv(path).capacity == 12
    assert format_minimalloc_csv(problem) == EXAMPLE
    assert capacity_from_name("A.1048576.csv") == 1048576 and capacity_from_name("x.csv") is None


def test_no_capacity_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text(EXAMPLE)
    with pytest.raises(InstanceFormatError, match="no capacity given"):
        read_minimalloc_csv(path)


@pytest.mark.skipif(not SHARED.is_dir(), reason="MiniMalloc's benchmark files are not present")
def test_challenging_set_statistics() -> None:
    # Max live / capacity as listed for the challenging set (data/memory/SOURCES.md).
    expected = {"A": (154, 1.0), "C": (203, 0.991), "D": (213, 0.940), "K": (454, 1.0)}
    for name, (n, ratio) in expected.items():
        problem = read_minimalloc_csv(SHARED / "minimalloc_challenging" / f"{name}.1048576.csv")
        assert problem.n_buffers == n and problem.name == name
        assert round(problem.max_live() / problem.capacity, 3) == ratio


def test_program_live_ranges_and_allocation_problem() -> None:
    program = Program.from_lists("tiny", [
        ("w", 64, BufferKind.PARAMETER), ("x", 32, BufferKind.INPUT),
        ("h", 16, BufferKind.ACTIVATION), ("y", 8, BufferKind.OUTPUT),
    ], [
        ("mm", 1000.0, [0, 1], [2]),
        ("relu", 16.0, [2], [2]),
        ("mm2", 500.0, [2, 0], [3]),
    ])
    lower, upper = program.live_ranges()
    assert lower.tolist() == [0, 0, 0, 2] and upper.tolist() == [3, 1, 3, 3]
    assert program.peak_live_bytes() == 64 + 32 + 16
    assert program.allocation_problem(128).max_live() == 112
    with pytest.raises(InputError, match="outside"):
        Program.from_lists("bad", [("w", 4, 0)], [("op", 1.0, [3], [])])
    with pytest.raises(InputError, match="used by no operation"):
        Program.from_lists("bad", [("w", 4, 0), ("v", 4, 0)], [("op", 1.0, [0], [])])


def test_problem_input_errors() -> None:
    with pytest.raises(InputError, match="upper"):
        AllocationProblem([0], [0], [4], 8)
    with pytest.raises(InputError, match="capacity"):
        AllocationProblem([0], [1], [4], 0)
    with pytest.raises(InputError, match="appears twice"):
        AllocationProblem([0, 0], [1, 1], [4, 4], 8, names=("a", "a"))
