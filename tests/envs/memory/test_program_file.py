"""Program files round-trip and refuse malformed files naming the field; the shipped workloads
load by name and by path."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from shared_data import shared_data

from decisiongym.envs.core.errors import InputError, InstanceFormatError, MissingFileError
from decisiongym.envs.memory.problem import AllocationProblem
from decisiongym.envs.memory.program import BufferKind, Program
from decisiongym.envs.memory.program_file import (
    FORMAT_VERSION,
    PROGRAM_FORMAT,
    format_program,
    parse_program,
    program_to_dict,
    read_program,
    write_program,
)
from decisiongym.envs.memory.workloads import WORKLOAD_NAMES, load_workload

SHARED = shared_data("memory")


def small_program() -> Program:
    return Program.from_lists(
        "small",
        [("w", 64, BufferKind.PARAMETER), ("x", 32, BufferKind.INPUT),
         ("h", 16, BufferKind.ACTIVATION), ("y", 8, BufferKind.OUTPUT)],
        [("aten.mm.default", 1024, [0, 1], [2]), ("aten.relu.default", 2.5, [2], [3])],
    )


def same_program(a: Program, b: Program) -> None:
    assert (a.name, a.buffer_names, a.op_names) == (b.name, b.buffer_names, b.op_names)
    for field in ("buffer_size", "buffer_kind", "op_flops", "read_ptr", "read_idx",
                  "write_ptr", "write_idx"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"small{suffix}"
    write_program(small_program(), path, origin={"model": "hand-made"})
    same_program(read_program(path), small_program())
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == suffix.endswith(".gz")
    assert parse_program(path.read_bytes())[1] == {"model": "hand-made"}


def test_compressed_files_are_reproducible(tmp_path: Path) -> None:
    write_program(small_program(), tmp_path / "a.json.gz")
    write_program(small_program(), tmp_path / "b.json.gz")
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()


def test_the_text_is_json_with_one_row_per_line() -> None:
    text = format_program(small_program())
    assert json.loads(text) == program_to_dict(small_program())
    assert '  ["w",64,"parameter"],\n' in text


def test_gzip_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "program.json"
    path.write_bytes(gzip.compress(format_program(small_program()).encode()))
    same_program(read_program(path), small_program())


def tree() -> dict:
    return json.loads(format_program(small_program()))


@pytest.mark.parametrize(("change", "field", "message"), [
    (lambda d: d.update(format="other"), "format", "expected 'decisiongym/memory-program'"),
    (lambda d: d.update(version=FORMAT_VERSION + 1), "version", "newer than this library"),
    (lambda d: d.pop("buffers"), None, "missing field 'buffers'"),
    (lambda d: d.update(extra=1), "extra", "unknown field"),
    (lambda d: d.update(name=""), "name", "non-empty string"),
    (lambda d: d.update(source={"torch": 2}), "source.torch", "expected a string"),
    (lambda d: d.update(buffers=[]), "buffers", "at least one entry"),
    (lambda d: d["buffers"][2].__setitem__(1, 0), "buffers[2].size", "in [1, "),
    (lambda d: d["buffers"][2].__setitem__(1, 1.5), "buffers[2].size", "an integer"),
    (lambda d: d["buffers"][1].__setitem__(2, "weights"), "buffers[1].kind", "parameter, input"),
    (lambda d: d["buffers"][3].__setitem__(0, "w"), "buffers[3].name", "already buffers[0]"),
    (lambda d: d["buffers"][0].pop(), "buffers[0]", "[name, size, kind]"),
    (lambda d: d["operations"][1].__setitem__(1, -1), "operations[1].flops", ">= 0"),
    (lambda d: d["operations"][0][2].append(7), "operations[0].reads[2]", "[0, 3]"),
    (lambda d: d["operations"][1].__setitem__(3, 3), "operations[1].writes", "a list"),
    (lambda d: d["operations"][1][3].clear(), "buffers[3]", "no operation"),
])
def test_malformed_trees_name_the_field(tmp_path: Path, change, field: str | None,
                                        message: str) -> None:
    data = tree()
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InstanceFormatError) as error:
        read_program(path)
    text = str(error.value)
    assert error.value.file == str(path)
    if field is not None:
        assert f"field {field!r}" in text
    assert message in text


@pytest.mark.parametrize(("raw", "message", "line"), [
    (b'{"format": "x",\n "format": "y"}', "appears twice", None),
    (b'{"format":\n ', "not valid JSON", 2),
    (b"\xff\xfe", "not UTF-8", None),
    (b"\x1f\x8b\x08 broken", "not a readable gzip file", None),
    (b"[1, 2]", "JSON object at the top level", None),
])
def test_unreadable_bytes_are_typed_errors(raw: bytes, message: str, line: int | None) -> None:
    with pytest.raises(InstanceFormatError, match=message) as error:
        parse_program(raw, "the-file")
    assert error.value.file == "the-file" and error.value.line == line


def test_missing_file_and_unknown_name() -> None:
    with pytest.raises(MissingFileError):
        read_program("/nonexistent/program.json")
    with pytest.raises(InputError, match="no shipped workload 'nope'; the workloads are"):
        load_workload("nope")


def test_shipped_workloads_load_by_name_and_path() -> None:
    assert len(WORKLOAD_NAMES) >= 10
    for name in WORKLOAD_NAMES:
        program = load_workload(name)
        assert isinstance(program, Program) and program.name == name
        assert program.peak_live_bytes() > 0 and program.op_flops.sum() > 0
    for family in ("mlp", "resnet", "encoder", "decoder", "decode", "train"):
        assert any(name.startswith(family + "-") for name in WORKLOAD_NAMES), family


def test_shipped_files_are_small() -> None:
    from decisiongym.envs.memory.workloads import DATA_FOLDER

    assert sum(p.stat().st_size for p in DATA_FOLDER.iterdir()) < 300 * 1024


def test_a_minimalloc_csv_loads_as_an_allocation_problem(tmp_path: Path) -> None:
    path = tmp_path / "example.12.csv"
    path.write_text("id,lower,upper,size\nb1,0,3,4\nb2,3,9,4\n")
    problem = load_workload(path)
    assert isinstance(problem, AllocationProblem) and problem.capacity == 12
    assert load_workload(str(path), capacity=20).capacity == 20


def test_a_program_file_loads_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.json.gz"
    write_program(small_program(), path)
    same_program(load_workload(str(path)), small_program())


@pytest.mark.skipif(not (SHARED / "minimalloc_challenging").is_dir(),
                    reason="the MiniMalloc benchmarks are not here")
def test_the_minimalloc_benchmarks_load() -> None:
    files = sorted((SHARED / "minimalloc_challenging").glob("*.csv"))
    assert files
    problem = load_workload(files[0])
    assert isinstance(problem, AllocationProblem) and problem.capacity == 1048576


def test_format_constants() -> None:
    assert tree()["format"] == PROGRAM_FORMAT and tree()["version"] == FORMAT_VERSION
