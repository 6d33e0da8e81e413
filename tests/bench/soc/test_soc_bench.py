"""The SoC benchmark end to end on a smoke run, and its saturation rule on hand-made tables."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from decisiongym.bench.soc import grid as soc
from decisiongym.bench.soc.grid import comparison_rate, saturation_rate
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
        learned = results[results["scheduler"] == "learned"]
        etf_cells = results[results["scheduler"] == "etf"]
        assert len(learned) == len(etf_cells)
        assert set(learned["sigma"]) == set(soc.SIGMAS)
        assert "at every swept rate" in markdown
    etf = results[results["scheduler"] == "etf"].groupby("rate")["latency_mean_us"].mean()
    assert len(etf) >= 3
    # queueing: more load never makes the average job faster, and overload makes it far slower
    assert etf.is_monotonic_increasing
    assert etf.iloc[-1] > 1.5 * etf.iloc[0]

    dags = pd.read_csv(tmp_path / "soc_dags.csv")
    assert len(dags) >= 3
    # CP-SAT starts from HEFT's schedule, so it can only improve on it, and its bound holds
    assert (dags["cpsat"] <= dags["heft"] + 1e-6).all()
    assert (dags["cpsat_bound"] <= dags["cpsat"] + 1e-6).all()

    # --speed-only keeps the stream and DAG records and replaces the speed table
    row = {"what": "a measured row", "ours": "1", "peer": "-", "ratio": "-", "target": "-",
           "met": "-"}
    monkeypatch.setattr(soc, "measure_speed", lambda: [row])
    assert main(["bench", "soc", "--speed-only", "--out-dir", str(tmp_path)]) == 0
    again = (tmp_path / "soc.md").read_text()
    assert "the records of `decisiongym bench soc --quick --seeds 2 --no-speed --out-dir" in again
    assert "Written by `decisiongym bench soc --speed-only" in again
    assert "a measured row" in again
    assert pd.read_csv(tmp_path / "soc.csv").equals(results)


def test_speed_only_needs_a_full_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "soc", "--speed-only", "--out-dir", str(tmp_path)]) == 2
    assert "no soc.csv, soc_dags.csv, soc.md" in capsys.readouterr().err


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
