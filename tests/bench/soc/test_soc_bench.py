"""The SoC benchmark end to end on a smoke run, and its saturation rule on hand-made tables."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from decisiongym.bench.record import COMMON_COLUMNS, read_frame
from decisiongym.bench.soc import grid as soc
from decisiongym.bench.soc.report import comparison_rate, dag_table, saturation_rate
from decisiongym.cli import main


def test_bench_soc_quick_writes_tables_and_plot(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["bench", "soc", "--quick", "--seeds", "2", "--no-speed", "--out-dir", str(tmp_path)]
    assert main(argv) == 0
    markdown = (tmp_path / "soc.md").read_text()
    assert "decisiongym bench soc --quick --seeds 2 --no-speed" in markdown
    assert "## Saturation rate" in markdown
    assert "learned" in markdown  # either the agent's comparison or the note that it is absent
    assert (tmp_path / "soc_latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    results = pd.read_csv(tmp_path / "soc.csv")
    if soc.learned_unavailable() is None:
        # the agent runs on the whole grid, every noise level and rate, like the heuristics
        learned = results[results["method"] == "learned"]
        etf_cells = results[results["method"] == "etf"]
        assert len(learned) == len(etf_cells)
        assert set(learned["sigma"]) == set(soc.SIGMAS)
        assert "at every swept rate" in markdown
    etf = results[results["method"] == "etf"].groupby("rate")["objective"].mean()
    assert len(etf) >= 3
    # queueing: more load never makes the average job faster, and overload makes it far slower
    assert etf.is_monotonic_increasing
    assert etf.iloc[-1] > 1.5 * etf.iloc[0]

    dags = dag_table(read_frame(tmp_path / "soc_dags.csv"))
    assert len(dags) >= 3
    # CP-SAT starts from HEFT's schedule, so it can only improve on it, and its bound holds
    assert (dags["cpsat"] <= dags["heft"] + 1e-6).all()
    assert (dags["cpsat_bound"] <= dags["cpsat"] + 1e-6).all()

    # every cell re-checked its answer with validate, and the file counts the valid ones
    dag_records = read_frame(tmp_path / "soc_dags.csv")
    assert set(dag_records["method"]) == set(soc.DAG_METHODS)
    for frame in (results, dag_records):
        assert tuple(frame.columns[:len(COMMON_COLUMNS)]) == COMMON_COLUMNS
        assert frame["valid"].all()
    total = len(results) + len(dag_records)
    assert f"{total} of {total} valid" in markdown

    # the DS3-mode table, from its own records, with DS3's published points beside ours
    ds3 = pd.read_csv(tmp_path / "soc_ds3.csv")
    assert set(ds3["scheduler"]) == {"etf", "met", "stf"} and ds3["valid"].all()
    assert "## DS3 mode" in markdown and "16.5 jobs/ms at 560 µs" in markdown

    # --speed-only keeps the stream and DAG records and replaces the speed table
    row = {"what": "a measured row", "ours": "1", "peer": "-", "ratio": "-", "target": "-",
           "met": "-"}
    monkeypatch.setattr(soc, "measure_speed", lambda: [row])
    assert main(["bench", "soc", "--speed-only", "--out-dir", str(tmp_path)]) == 0
    again = (tmp_path / "soc.md").read_text()
    assert "the records of `decisiongym bench soc --quick --seeds 2 --no-speed --out-dir" in again
    assert "Written by `decisiongym bench soc --speed-only" in again
    assert "a measured row" in again
    assert "## DS3 mode" in again  # re-rendered from soc_ds3.csv
    assert pd.read_csv(tmp_path / "soc.csv").equals(results)


def test_speed_only_needs_a_full_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "soc", "--speed-only", "--out-dir", str(tmp_path)]) == 2
    assert "no soc.csv, soc_dags.csv, soc.md" in capsys.readouterr().err


def test_speed_only_refuses_records_of_an_older_version(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pd.DataFrame({"scheduler": ["etf"], "rate": [5.0], "latency_mean_us": [100.0]}).to_csv(
        tmp_path / "soc.csv", index=False)
    (tmp_path / "soc_dags.csv").write_text("dag,heft\n0,10.0\n")
    (tmp_path / "soc.md").write_text("Written by `decisiongym bench soc` on a day.\n")
    assert main(["bench", "soc", "--speed-only", "--out-dir", str(tmp_path)]) == 2
    assert "older version" in capsys.readouterr().err


def test_stream_cell_validates_its_trace() -> None:
    record = soc.run_cell(soc.SocCell("etf", 15.0, 0.3, 1, 60))
    assert (record.family, record.method, record.seed) == ("soc", "etf", 1)
    assert record.valid and record.objective_name == "latency_mean_us"
    assert record.objective is not None and record.objective > 0
    assert record.extra["rate"] == 15.0 and record.extra["completed"] > 0


def test_dag_cell_records_a_broken_schedule_as_invalid(monkeypatch: pytest.MonkeyPatch) -> None:
    import decisiongym.baselines.soc.list_scheduling as list_scheduling
    from decisiongym.envs.soc.solution import Trace

    cell = soc.DagCell(0, 3, 3, (10, 12), 1.0, "peft")
    good = soc.run_dag_cell(cell)
    assert good.valid and good.status == "FEASIBLE" and good.bound is None

    real_peft = list_scheduling.peft

    def early_peft(graph: Any, platform: Any) -> Any:  # every task starts 1 µs too early
        result = real_peft(graph, platform)
        trace = result.trace
        shifted = Trace(trace.job, trace.task, trace.pe, trace.start - 1.0, trace.finish - 1.0)
        return replace(result, trace=shifted)

    monkeypatch.setitem(list_scheduling.SCHEDULERS, "peft", early_peft)
    bad = soc.run_dag_cell(cell)
    assert not bad.valid and bad.objective == good.objective


def test_saturation_rate_is_the_last_sustained_rate() -> None:
    rates = [2.0, 10.0, 20.0, 30.0, 40.0]
    throughput = [2.0, 9.9, 19.5, 27.0, 28.0]  # 30 falls below 95 % of its rate
    latency = [100.0, 110.0, 150.0, 250.0, 3000.0]
    assert saturation_rate(rates, throughput, latency) == 20.0
    # latency beyond 3x the low-load latency saturates even at full throughput
    assert saturation_rate(rates, rates, [100.0, 120.0, 310.0, 400.0, 500.0]) == 10.0
    # order of the sweep does not matter
    assert saturation_rate(rates[::-1], throughput[::-1], latency[::-1]) == 20.0
    # a realised arrival rate below the nominal one is what throughput is compared with
    assert saturation_rate([10.0], [9.0], [100.0], offered=[9.2]) == 10.0
    assert math.isnan(saturation_rate([10.0, 20.0], [5.0, 6.0], [100.0, 500.0]))
    assert comparison_rate(rates, 30.0) == 20.0
    assert math.isnan(comparison_rate(rates, 1.0))
