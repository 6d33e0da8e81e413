"""``decisiongym solve memory`` and ``decisiongym trace memory``: both modes with ``--json`` on a
shipped program and on a MiniMalloc CSV, every answer checked again here from the instance,
the errors named, and a user's model traced from a factory in this module."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from decisiongym.baselines.memory.xla_greedy import xla_greedy
from decisiongym.cli import main
from decisiongym.cli import memory as memory_cli
from decisiongym.envs.memory.hardware import HARDWARE_PRESETS, hardware_preset
from decisiongym.envs.memory.mapping import time_all_slow, validate_mapping
from decisiongym.envs.memory.minimalloc_csv import write_minimalloc_csv
from decisiongym.envs.memory.problem import AllocationProblem, validate_allocation
from decisiongym.envs.memory.program_file import read_program
from decisiongym.envs.memory.workloads import load_workload

PLACEMENT_KEYS = {"buffer", "offset", "memory", "prefetch", "evict"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def solve_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, "solve", "memory", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def hand_problem(capacity: int = 3) -> AllocationProblem:
    """Four buffers whose live bytes are 3 at every step: the least peak is exactly 3.

    ``a`` [0, 2) size 2, ``b`` [0, 1) size 1, ``c`` [1, 3) size 1, ``d`` [2, 3) size 2.
    """
    return AllocationProblem(np.array([0, 0, 1, 2]), np.array([2, 1, 3, 3]),
                             np.array([2, 1, 1, 2]), capacity, ("a", "b", "c", "d"))


def tiny_factory() -> tuple[Any, tuple[Any, ...]]:
    """A user's factory: a 4 -> 3 linear layer and a batch of two inputs."""
    import torch

    torch.manual_seed(0)
    return torch.nn.Linear(4, 3), (torch.randn(2, 4),)


def test_the_light_name_lists_match_the_library() -> None:
    from decisiongym.bench.memory import methods

    assert memory_cli.MODES == methods.MODES
    assert memory_cli.OBJECTIVES == methods.OBJECTIVES
    assert memory_cli.ORDERS == methods.ORDERS
    assert set(memory_cli.HARDWARE) == set(HARDWARE_PRESETS)


def test_allocation_of_a_shipped_program(capsys: pytest.CaptureFixture[str]) -> None:
    program = load_workload("mlp-b32")
    record = solve_json(capsys, "mlp-b32", "--mode", "allocation", "--method", "greedy")
    # default capacity: the program's peak live bytes, the least any allocation can reach
    assert record["capacity"] == record["max_live"] == program.peak_live_bytes() == 1773568
    assert record["workload"] == "mlp-b32" and record["mode"] == "allocation"
    assert record["method"] == "greedy" and record["order"] == "size"
    assert record["valid"] is True and record["bound"] == 1773568
    rows = record["placements"]
    assert [row["buffer"] for row in rows] == list(program.buffer_names)
    assert all(set(row) == PLACEMENT_KEYS and row["memory"] == "fast" for row in rows)
    offsets = np.array([row["offset"] for row in rows])
    problem = program.allocation_problem(2**62)
    assert validate_allocation(problem, offsets, record["peak"]) == record["peak"]
    assert record["status"] == ("feasible" if record["peak"] <= record["capacity"] else "unknown")


def test_a_fraction_is_of_the_peak_live_bytes_and_an_integer_is_bytes(
        capsys: pytest.CaptureFixture[str]) -> None:
    half = solve_json(capsys, "mlp-b32", "--mode", "allocation", "--method", "greedy",
                      "--capacity", "0.5")
    assert half["capacity"] == 1773568 // 2
    assert half["status"] == "unknown"  # under the max live bytes no packing exists
    exact = solve_json(capsys, "mlp-b32", "--mode", "allocation", "--method", "greedy",
                       "--capacity", "2000000")
    assert exact["capacity"] == 2000000
    # mapping: half the peak live bytes, rounded down to the tpu-like chip's 512-byte alignment
    mapped = solve_json(capsys, "mlp-b32", "--mode", "mapping", "--method", "greedy")
    assert mapped["capacity"] == 1773568 // 2 // 512 * 512 == 886784


def test_mapping_of_a_shipped_program_is_the_greedy_s_checked_again(
        capsys: pytest.CaptureFixture[str]) -> None:
    record = solve_json(capsys, "decode-b1-c512", "--mode", "mapping", "--method",
                        "xla-greedy", "--capacity", "0.25", "--hardware", "gpu-like")
    program = load_workload("decode-b1-c512")
    chip = hardware_preset("gpu-like").with_capacity(0.25, program.peak_live_bytes())
    assert record["capacity"] == chip.fast_capacity and record["hardware"] == "gpu-like"
    mapping = xla_greedy(program, chip)
    assert record["time"] == pytest.approx(validate_mapping(program, chip, mapping), rel=1e-12)
    assert record["time_all_slow"] == pytest.approx(time_all_slow(program, chip), rel=1e-12)
    assert record["speedup"] == pytest.approx(record["time_all_slow"] / record["time"])
    assert record["speedup"] >= 1.0 and record["valid"] is True
    assert record["status"] == "feasible" and record["bound"] is None
    rows = record["placements"]
    fast = [row for row in rows if row["memory"] == "fast"]
    assert len(rows) == program.n_buffers and len(fast) == int(mapping.in_fast.sum())
    assert [row["offset"] for row in fast] == [int(o) for o in mapping.offset if o >= 0]
    assert all(row["offset"] is None and row["prefetch"] is None for row in rows
               if row["memory"] == "slow")


def test_the_planner_is_never_slower_than_the_xla_greedy(
        capsys: pytest.CaptureFixture[str]) -> None:
    greedy = solve_json(capsys, "mlp-b32", "--mode", "mapping", "--method", "xla-greedy")
    planned = solve_json(capsys, "mlp-b32", "--mode", "mapping", "--method", "planner")
    assert planned["valid"] is True and planned["status"] == "feasible"
    assert planned["time"] <= greedy["time"] * (1 + 1e-12)
    assert planned["time_all_slow"] == greedy["time_all_slow"]


def test_a_minimalloc_csv_exact_packs_at_capacity_and_proves_capacity_minus_one(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "hand.3.csv"
    write_minimalloc_csv(hand_problem(), path)
    record = solve_json(capsys, str(path), "--mode", "allocation", "--method", "exact")
    assert record["workload"] == "hand" and record["capacity"] == 3
    assert record["status"] == "optimal" and record["peak"] == 3 and record["valid"] is True
    offsets = [row["offset"] for row in record["placements"]]
    assert validate_allocation(hand_problem(), offsets) == 3
    below = solve_json(capsys, str(path), "--mode", "allocation", "--method", "exact",
                       "--capacity", "2")
    assert below["status"] == "infeasible" and below["peak"] is None
    assert below["placements"] == [] and below["bound"] == 3
    cpsat = solve_json(capsys, str(path), "--mode", "allocation", "--method", "cpsat",
                       "--time-limit", "5", "--workers", "1")
    assert cpsat["status"] == "optimal" and cpsat["peak"] == 3 and cpsat["valid"] is True
    least = solve_json(capsys, str(path), "--mode", "allocation", "--method", "exact",
                       "--objective", "peak")
    assert least["status"] == "optimal" and least["peak"] == 3 and least["bound"] == 3


def test_a_csv_without_a_capacity_takes_a_fraction_of_its_max_live_bytes(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "hand.csv"
    write_minimalloc_csv(hand_problem(), path)
    code, _, err = run(capsys, "solve", "memory", str(path), "--mode", "allocation",
                       "--method", "greedy")
    assert code == 2 and "--capacity" in err and "NAME.CAPACITY.csv" in err
    record = solve_json(capsys, str(path), "--mode", "allocation", "--method", "greedy",
                        "--capacity", "1.0", "--order", "start")
    assert record["capacity"] == 3 and record["order"] == "start"


def test_text_output_and_exit_status(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "hand.2.csv"
    write_minimalloc_csv(hand_problem(2), path)
    code, out, _ = run(capsys, "solve", "memory", str(path), "--mode", "allocation",
                       "--method", "exact")
    assert code == 0  # a proof that no packing exists is an answer
    assert "hand, allocation (feasibility), exact: no packing, capacity 2" in out
    assert "infeasible" in out


@pytest.mark.parametrize(("argv", "fragment"), [
    (["nope", "--mode", "mapping", "--method", "greedy"], "workload: no shipped workload 'nope'"),
    (["mlp-b32", "--mode", "mapping", "--method", "ppo"],
     "--method: ppo is not available yet in mapping mode"),
    (["mlp-b32", "--mode", "allocation", "--method", "xla-greedy"],
     "--method: xla-greedy answers the mapping question only; use --mode mapping"),
    (["mlp-b32", "--mode", "mapping", "--method", "exact"],
     "--method: exact answers the allocation question only; use --mode allocation"),
    (["mlp-b32", "--mode", "allocation", "--method", "greedy", "--hardware", "gpu-like"],
     "--hardware: applies to --mode mapping only"),
    (["mlp-b32", "--mode", "mapping", "--method", "greedy", "--objective", "peak"],
     "--objective: applies to --mode allocation only"),
    (["mlp-b32", "--mode", "allocation", "--method", "exact", "--order", "area"],
     "--order: applies to --method greedy only"),
])
def test_errors_name_the_flag(capsys: pytest.CaptureFixture[str], argv: list[str],
                              fragment: str) -> None:
    code, out, err = run(capsys, "solve", "memory", *argv)
    assert code == 2 and out == ""
    assert err.startswith("decisiongym: error: ") and fragment in err
    assert len(err.strip().splitlines()) == 1


def test_a_csv_in_mapping_mode_is_refused(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    path = tmp_path / "hand.3.csv"
    write_minimalloc_csv(hand_problem(), path)
    code, _, err = run(capsys, "solve", "memory", str(path), "--mode", "mapping", "--method",
                       "greedy")
    assert code == 2 and "holds buffers without operations" in err


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "nan", "inf", str(2**62 + 1), "0.0"])
def test_a_capacity_out_of_range_is_refused_by_the_parser(
        capsys: pytest.CaptureFixture[str], value: str) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["solve", "memory", "mlp-b32", "--mode", "mapping", "--method", "greedy",
              f"--capacity={value}"])
    assert stop.value.code == 2
    assert "argument --capacity" in capsys.readouterr().err


def test_a_malformed_csv_names_file_and_line(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    path = tmp_path / "bad.8.csv"
    path.write_text("id,lower,upper,size\n0,0,2,4\n1,0,x,4\n")
    code, _, err = run(capsys, "solve", "memory", str(path), "--mode", "allocation",
                       "--method", "greedy")
    assert code == 2 and str(path) in err and "line 3" in err and "'upper'" in err


def test_trace_a_user_factory_then_solve_its_program(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    out = tmp_path / "models" / "linear.json.gz"
    code, printed, err = run(capsys, "trace", "memory", f"{__name__}:tiny_factory", "--out",
                             str(out), "--name", "linear")
    assert code == 0, err
    assert f"written to {out}" in printed
    program = read_program(out)
    # addmm of (2 x 4) by (4 x 3) plus the bias: 2 m n k = 2 * 2 * 3 * 4 FLOPs; the transposed
    # weight is a view, so no operation
    assert program.name == "linear" and program.n_operations == 1
    assert program.op_flops.tolist() == [48.0]
    # float32: weight 3 x 4, bias 3, input 2 x 4, output 2 x 3
    assert sorted(program.buffer_size.tolist()) == [12, 24, 32, 48]
    record = solve_json(capsys, str(out), "--mode", "mapping", "--method", "xla-greedy")
    assert record["workload"] == "linear" and record["valid"] is True
    chip = hardware_preset("tpu-like").with_capacity(0.5, program.peak_live_bytes())
    answer = xla_greedy(program, chip)
    assert record["time"] == pytest.approx(validate_mapping(program, chip, answer), rel=1e-12)
    assert [row["offset"] for row in record["placements"]] == [
        None if o < 0 else int(o) for o in answer.offset]


@pytest.mark.parametrize(("reference", "fragment"), [
    ("no_such_module_here:f", "cannot import 'no_such_module_here'"),
    ("decisiongym.envs.memory.zoo", "expected MODULE:FACTORY"),
    ("decisiongym.envs.memory.zoo:nothing", "has no 'nothing'"),
    ("decisiongym.envs.memory.zoo:ZOO", "is a dict, not a function"),
    (f"{__name__}:hand_problem", "expected the pair (model, example_inputs)"),
])
def test_trace_errors_name_the_factory(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                       reference: str, fragment: str) -> None:
    out = tmp_path / "program.json"
    code, _, err = run(capsys, "trace", "memory", reference, "--out", str(out))
    assert code == 2 and err.startswith("decisiongym: error: factory: ") and fragment in err
    assert not out.exists()


def test_trace_finds_a_module_in_the_working_folder(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_memory_model.py").write_text(
        "import torch\n\n\ndef build():\n"
        "    return torch.nn.ReLU(), (torch.ones(3, 5),)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.path", [p for p in __import__("sys").path if p not in ("", ".")])
    code, _, err = run(capsys, "trace", "memory", "my_memory_model:build", "--out", "relu.json")
    assert code == 0, err
    program = read_program(tmp_path / "relu.json")
    # relu reads 15 floats and writes 15: one FLOP per output element
    assert program.name == "build" and program.op_flops.tolist() == [15.0]
    assert sorted(program.buffer_size.tolist()) == [60, 60]
