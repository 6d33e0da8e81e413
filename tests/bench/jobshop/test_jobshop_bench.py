"""The job-shop benchmark grid with the learned rule: which cells run where, CP-SAT matched to
best-of-N's wall time, and a tiny end-to-end run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from decisiongym.bench.jobshop import grid as jobshop
from decisiongym.bench.jobshop.grid import grid, learned_checkpoint, matched_cells
from decisiongym.bench.record import COMMON_COLUMNS, Record
from decisiongym.cli import main


@pytest.fixture(scope="module")
def checkpoint(untrained_checkpoint: Path) -> Path:
    return untrained_checkpoint


def _methods(cells: list[jobshop.JobShopCell], instance: str) -> list[str]:
    return [jobshop.describe(c).split(" ")[1] for c in cells
            if c.instance == instance and c.scheme is None]


def test_grid_places_learned_best_of_and_cpsat_cells() -> None:
    cells = grid(["ta01", "ta51", "ta71"], 10.0, 2, 0, cpsat_instances=["ta01"],
                 checkpoint="net.pt", samples=32)
    # ta01 has 15 jobs: greedy only; ta51 and ta71 have 50 and 100: best of 32 too
    assert _methods(cells, "ta01") == ["learned", "cpsat", "cpsat-warm"]
    assert _methods(cells, "ta51") == ["learned", "learned-32"]
    assert _methods(cells, "ta71") == ["learned", "learned-32"]
    assert sum(c.scheme is not None for c in cells) == 3 * 8 * 3
    assert all(c.checkpoint == "net.pt" for c in cells if c.method == "learned")


def test_grid_without_a_checkpoint_or_samples_has_no_learned_cells() -> None:
    assert "learned" not in {c.method for c in grid(["ta51"], 1.0, 1, 0)}
    cells = grid(["ta51"], 1.0, 1, 0, checkpoint="net.pt", samples=1)
    assert _methods(cells, "ta51") == ["learned", "cpsat", "cpsat-warm"]


def test_cpsat_instances_must_be_among_the_instances() -> None:
    with pytest.raises(ValueError, match="ta02"):
        grid(["ta01"], 1.0, 1, 0, cpsat_instances=["ta01", "ta02"])


def _record(instance: str, method: str, wall_s: float, workers: int, seed: int,
            **extra: object) -> Record:
    return Record(family="jobshop", method=method, instance=instance, seed=seed,
                  objective_name="makespan", wall_s=wall_s, extra={"workers": workers, **extra})


def test_matched_cells_take_best_of_n_wall_time_and_workers() -> None:
    records = [
        _record("ta51", "learned", 0.4, 2, 0),
        _record("ta51", "learned-32", 3.25, 2, 0),
        _record("ta51", "cpsat", 10.0, 2, 0),
        _record("ta71", "learned-32", 7.5, 2, 0),
    ]
    cells = matched_cells(records)
    assert [(c.instance, c.method, c.time_limit, c.workers) for c in cells] == [
        ("ta51", "cpsat-matched", 3.25, 2), ("ta71", "cpsat-matched", 7.5, 2)]


def test_no_checkpoint_leaves_learned_out_with_a_note(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    import decisiongym.agents.jobshop.network as network

    monkeypatch.setattr(network, "default_checkpoint", lambda: tmp_path / "absent.pt")
    assert learned_checkpoint(None) is None
    assert "absent.pt" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError):
        learned_checkpoint(tmp_path / "given-but-absent.pt")


def test_bench_with_learned_rule_on_ft06(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         checkpoint: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    # ft06 has 6 jobs: lowering the threshold gives it the large instances' cells too
    monkeypatch.setattr(jobshop, "LARGE_JOBS", 6)
    argv = ["bench", "jobshop", "--instances", "ft06", "--cpsat-instances", "ft06",
            "--time-limit", "0.5", "--workers", "1", "--no-speed", "--no-warm",
            "--samples", "4", "--checkpoint", str(checkpoint), "--out-dir", str(tmp_path)]
    assert main(argv) == 0
    capsys.readouterr()
    records = pd.read_csv(tmp_path / "jobshop.csv")
    assert tuple(records.columns[:len(COMMON_COLUMNS)]) == COMMON_COLUMNS
    assert (records["family"] == "jobshop").all() and (records["sense"] == "min").all()
    # CP-SAT given a few hundredths of a second may find no schedule: only it may lack one
    assert records.loc[records["method"] != "cpsat-matched", "valid"].all()
    by_method = records.set_index("method")
    assert {"learned", "learned-4", "cpsat", "cpsat-matched"} <= set(by_method.index)
    assert by_method.loc["learned-4", "samples"] == 4
    assert by_method.loc["learned-4", "objective"] <= by_method.loc["learned", "objective"]
    assert by_method.loc["cpsat-matched", "budget"] == pytest.approx(
        by_method.loc["learned-4", "wall_s"])
    assert by_method.loc["cpsat-matched", "workers"] == 1
    markdown = (tmp_path / "jobshop.md").read_text()
    assert "## Learned dispatching rule" in markdown
    assert "best-of-4 below time-matched CP-SAT on " in markdown
    assert "untrained.pt" in markdown


def test_records_name_the_checkpoint_file_not_its_path(checkpoint: Path) -> None:
    cell = jobshop.JobShopCell("ft06", "learned", None, 1.0, 1, 0, 1, str(checkpoint))
    record = jobshop.run_cell(cell)
    assert record.extra["checkpoint"] == checkpoint.name
    assert record.solution is None  # validated in the cell, then dropped


def test_matched_cells_load_file_instances_from_their_file() -> None:
    records = [_record("big", "learned-8", 1.5, 1, 0, lb=90, ub=100)]
    (cell,) = matched_cells(records, {"big": "/data/big.txt"})
    assert (cell.instance, cell.bounds) == ("/data/big.txt", (90, 100))


def test_two_files_with_one_name_are_refused(tmp_path: Path) -> None:
    from decisiongym.envs.jobshop.catalog import load_instance
    from decisiongym.envs.jobshop.formats import write_orlib

    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        write_orlib(load_instance("ft06"), tmp_path / folder / "same.txt")
    with pytest.raises(ValueError, match="are both named 'same'"):
        grid([str(tmp_path / "one" / "same.txt"), str(tmp_path / "two" / "same.txt")],
             1.0, 1, 0)


def test_bench_on_a_folder_of_files_with_a_bounds_file(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import json

    import numpy as np

    from decisiongym.envs.jobshop.formats import write_orlib
    from decisiongym.envs.jobshop.instance import JobShopInstance

    folder = tmp_path / "set"
    folder.mkdir()
    machines = np.array([[0, 1, 2], [2, 0, 1], [1, 2, 0]])
    for k, name in enumerate(("s1", "s2")):
        durations = np.array([[3, 2, 4], [2, 4, 3], [4, 3, 2]]) + k
        write_orlib(JobShopInstance(machines, durations, name=name), folder / f"{name}.txt")
    bounds = tmp_path / "bounds.json"
    # a made-up upper bound: the gaps must follow the file, whatever the optimum is
    bounds.write_text(json.dumps({"s1": {"lb": 9, "ub": 10}}))
    out = tmp_path / "out"
    assert main(["bench", "jobshop", "--instances", f"{folder},ft06", "--bounds", str(bounds),
                 "--cpsat-instances", "s1", "--samples", "1", "--time-limit", "2",
                 "--no-speed", "--out-dir", str(out)]) == 0
    capsys.readouterr()
    results = pd.read_csv(out / "jobshop.csv")
    assert list(dict.fromkeys(results["instance"])) == ["s1", "s2", "ft06"]
    assert results["valid"].all()
    s1 = results[results["instance"] == "s1"]
    assert (s1["ub"] == 10).all() and (s1["lb"] == 9).all()
    cp = s1[s1["method"] == "cpsat"].iloc[0]
    assert cp["gap"] == pytest.approx(100.0 * (cp["objective"] - 10) / 10)
    assert results[results["instance"] == "s2"]["ub"].isna().all()
    assert (results[results["instance"] == "ft06"]["ub"] == 55).all()  # its shipped bound
    assert set(results[results["method"] == "cpsat"]["instance"]) == {"s1"}
    markdown = (out / "jobshop.md").read_text()
    assert "`bounds.json` (given with --bounds)" in markdown
