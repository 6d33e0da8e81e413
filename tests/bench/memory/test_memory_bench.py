"""``decisiongym bench memory --quick``: the tables rendered into a temporary folder from
records that hold the family's record columns and re-validated answers; the grid's instances;
a mapping method added to the registry getting its column and its comparison line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from decisiongym.bench.memory import grid, methods
from decisiongym.bench.memory.report import comparison, mapping_table
from decisiongym.bench.record import COMMON_COLUMNS, read_frame
from decisiongym.cli import main
from decisiongym.envs.memory.minimalloc_csv import write_minimalloc_csv
from decisiongym.envs.memory.problem import AllocationProblem


def hand_problem() -> AllocationProblem:
    """Live bytes 3 at every step, so the least peak is 3 and 2 is infeasible."""
    return AllocationProblem(np.array([0, 0, 1, 2]), np.array([2, 1, 3, 3]),
                             np.array([2, 1, 1, 2]), 3, ("a", "b", "c", "d"))


def test_tight_instances_spread_from_100_to_1000_buffers() -> None:
    sizes = [grid.tight_size(seed) for seed in grid.TIGHT_SEEDS]
    assert sizes[0] == 100 and sizes[-1] == 1000 and len(set(sizes)) == 20
    assert sizes[1] == 100 + round(900 / 19) == 147
    assert sizes == sorted(sizes)


def test_bench_memory_quick_writes_tables_from_validated_records(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    (data / grid.MINIMALLOC_FOLDER).mkdir(parents=True)
    write_minimalloc_csv(hand_problem(), data / grid.MINIMALLOC_FOLDER / "H.3.csv")
    out = tmp_path / "results"
    argv = ["bench", "memory", "--quick", "--data", str(data), "--out-dir", str(out)]
    assert main(argv) == 0
    markdown = (out / "memory.md").read_text()
    assert f"decisiongym bench memory --quick --data {data} --out-dir {out}" in markdown
    for heading in ("## Allocation", "### MiniMalloc's challenging workloads",
                    "### Tight generated strips (2 instances of 40-60 buffers", "## Mapping",
                    "## Speed"):
        assert heading in markdown
    allocation = read_frame(out / "memory_allocation.csv")
    mapping = read_frame(out / "memory_mapping.csv")
    for frame in (allocation, mapping):
        assert tuple(frame.columns[:len(COMMON_COLUMNS)]) == COMMON_COLUMNS
        assert set(frame["family"]) == {"memory"}
        answered = frame[frame["objective"].notna()]
        assert answered["valid"].all() and len(answered) > 0
    # per instance: 3 greedy orders, exact at capacity and capacity - 1, 2 CP-SAT questions
    assert len(allocation) == 3 * 7
    assert set(allocation["instance"]) == {"H", "tight-40", "tight-60"}
    exact = allocation[allocation["method"] == "exact"].set_index(["instance", "capacity_delta"])
    for name in ("H", "tight-40", "tight-60"):
        assert exact.loc[(name, 0), "status"] == "optimal"
        assert exact.loc[(name, 0), "objective"] == exact.loc[(name, 0), "capacity"]
        assert exact.loc[(name, -1), "status"] == "infeasible"
    assert exact.loc[("H", -1), "capacity"] == 2
    # the MiniMalloc table names its anchor column; the hand instance has no fact-sheet figure
    assert "| H | 4 | 1.000x |" in markdown and "MiniMalloc C++ CPU s (fact sheet)" in markdown
    assert "packed 1 of 1" in markdown and "proven infeasible on 2 of 2" in markdown
    # mapping: both shipped quick programs, 3 capacities, one chip, every registered method
    assert len(mapping) == 2 * 3 * len(methods.MAPPING_METHODS)
    assert (mapping["speedup"] >= 1.0).all()
    assert np.allclose(mapping["speedup"], mapping["time_all_slow_us"] / mapping["objective"])
    assert "greedy against xla-greedy on 6 programs x chips x capacities" in markdown
    speed = pd.read_csv(out / "memory_speed.csv")
    assert len(speed) == 4 and (speed["value"] > 0).all()
    assert "nodes per CPU second" in markdown


def test_the_minimalloc_table_says_when_the_data_is_absent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    files, why = grid.minimalloc_files(None)
    assert files == [] and why is not None and "not given" in why


def test_a_data_folder_without_the_workloads_is_refused(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    assert main(["bench", "memory", "--quick", "--data", str(tmp_path), "--out-dir",
                 str(tmp_path / "out")]) == 2
    assert "--data: " in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _planner_like(program: object, chip: object,
                  options: methods.SolveOptions) -> methods.MappingOutcome:
    """A stand-in for a method that may hand back the greedy's answer: it always does."""
    outcome = methods.MAPPING_METHODS["xla-greedy"](program, chip, options)  # type: ignore[arg-type]
    return methods.MappingOutcome("feasible", outcome.mapping, extra={"fell_back": True})


def test_a_mapping_method_joins_the_bench_by_one_registry_entry(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(methods.MAPPING_METHODS, "planner", _planner_like)
    monkeypatch.delitem(methods.MAPPING_METHODS, "cpsat")  # seconds of search, not needed here
    cells = grid.mapping_cells(("mlp-b32",), ("tpu-like",), 1.0, 1)
    assert {cell.method for cell in cells} == {"xla-greedy", "greedy", "planner"}
    records = [grid.run_mapping_cell(cell) for cell in cells]
    frame = pd.DataFrame.from_records([r.to_row() for r in records])
    header, rows = mapping_table(frame)
    assert "planner speed-up" in header
    assert all("(fell back)" in row[header.index("planner speed-up")] for row in rows)
    assert comparison(frame, "planner") == (
        "* planner against xla-greedy on 3 programs x chips x capacities: wins 0, ties 3, "
        "losses 0, fell back on 3; median gain +0.0 % (min +0.0 %, max +0.0 %).")


def test_comparison_counts_wins_ties_and_losses_by_hand() -> None:
    def row(method: str, fraction: float, time_us: float) -> dict[str, object]:
        return {"method": method, "instance": "p", "hardware": "tpu-like",
                "fraction": fraction, "objective": time_us}

    frame = pd.DataFrame([row("xla-greedy", 0.25, 10.0), row("xla-greedy", 0.5, 10.0),
                          row("xla-greedy", 0.75, 10.0), row("planner", 0.25, 8.0),
                          row("planner", 0.5, 10.0), row("planner", 0.75, 12.5)])
    # gains 10 / 8 - 1 = +25 %, 0 %, 10 / 12.5 - 1 = -20 %: one of each, median 0
    assert comparison(frame, "planner") == (
        "* planner against xla-greedy on 3 programs x chips x capacities: wins 1, ties 1, "
        "losses 1; median gain +0.0 % (min -20.0 %, max +25.0 %).")


def test_a_method_of_the_family_not_available_yet_is_refused_by_name() -> None:
    from decisiongym.envs.core.errors import InputError

    for mode, method, fragment in (("mapping", "ppo", "not available yet in mapping mode"),
                                   ("allocation", "ppo", "use --mode mapping"),
                                   ("mapping", "exact", "use --mode allocation"),
                                   ("allocation", "random", "unknown method 'random'")):
        with pytest.raises(InputError, match=fragment) as error:
            methods.method_for(mode, method)
        assert error.value.field == "method"
