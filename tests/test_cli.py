"""Tests of the ``decisiongym`` command, in process through ``main`` and once as the installed
console script."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from decisiongym.cli import main
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.formats import write_orlib
from decisiongym.envs.jobshop.solution import Schedule, validate

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RECORD_KEYS = {"job", "op", "machine", "start", "duration"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def solve_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, _ = run(capsys, "solve", "jobshop", *argv, "--json")
    assert code == 0
    return json.loads(out)


def console_script() -> str:
    found = shutil.which("decisiongym")
    if found is None:
        found = str(Path(sys.executable).parent / "decisiongym")
    assert Path(found).is_file(), "the decisiongym console script is not installed"
    return found


def check_ft06_cpsat_record(record: dict[str, Any]) -> None:
    assert {"instance", "method", "scheme", "makespan", "bound", "wall_s", "valid",
            "schedule"} <= record.keys()
    assert record["instance"] == "ft06" and record["method"] == "cpsat"
    assert record["scheme"] is None
    assert record["makespan"] == 55 and record["bound"] == 55
    assert record["valid"] is True and record["wall_s"] >= 0
    rows = record["schedule"]
    assert len(rows) == 36 and all(set(row) == RECORD_KEYS for row in rows)
    instance = load_instance("ft06")
    start = np.full(instance.machines.shape, -1)
    for row in rows:
        assert row["machine"] == instance.machines[row["job"], row["op"]]
        assert row["duration"] == instance.durations[row["job"], row["op"]]
        start[row["job"], row["op"]] = row["start"]
    assert validate(instance, Schedule(instance, start)) == 55


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert out.splitlines()[0].startswith("decisiongym/JobShop-v0 ")


def test_solve_cpsat_json(capsys: pytest.CaptureFixture[str]) -> None:
    check_ft06_cpsat_record(solve_json(capsys, "ft06", "--method", "cpsat", "--time-limit", "5"))


def test_solve_rule_json(capsys: pytest.CaptureFixture[str]) -> None:
    record = solve_json(capsys, "ta01", "--method", "mopnr")
    assert (record["instance"], record["method"], record["scheme"]) == ("ta01", "mopnr",
                                                                        "non-delay")
    assert record["makespan"] == 1438 and record["valid"] is True and record["bound"] is None
    assert len(record["schedule"]) == 225


def test_solve_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "solve", "jobshop", "ft06", "--method", "spt", "--scheme",
                       "active")
    assert code == 0
    assert out.startswith("ft06 spt, active scheme: makespan ")
    assert "best known 55" in out and "valid=True" in out


def test_gantt_writes_a_png(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "solve", "jobshop", "ft06", "--method", "spt", "--gantt",
                       "tmp/x.png")
    assert code == 0 and "tmp/x.png" in out
    assert (tmp_path / "tmp" / "x.png").read_bytes()[:8] == PNG_SIGNATURE


def test_instance_from_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "mine.txt"
    write_orlib(load_instance("ft06"), path)
    from_file = solve_json(capsys, str(path), "--method", "cpsat", "--time-limit", "5")
    assert from_file["makespan"] == 55 and from_file["valid"] is True
    builtin = solve_json(capsys, "ft06", "--method", "lpt")
    assert solve_json(capsys, str(path), "--method", "lpt")["makespan"] == builtin["makespan"]


def test_malformed_file_exits_2_naming_file_and_line(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("2 2\n0 3 1\n1 2 0 4\n")
    code, out, err = run(capsys, "solve", "jobshop", str(path), "--method", "spt")
    assert code == 2 and out == ""
    assert str(path) in err and "line 2" in err


def test_unknown_instance_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "solve", "jobshop", "ta99x", "--method", "spt")
    assert code == 2 and out == ""
    assert "unknown instance 'ta99x'" in err


@pytest.mark.parametrize("argv", [
    ["--help"], ["list", "--help"], ["solve", "--help"], ["solve", "jobshop", "--help"],
    ["bench", "--help"], ["bench", "jobshop", "--help"],
])
def test_help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    usage = " ".join(["usage: decisiongym", *argv[:-1]])
    assert out.startswith(usage)


@pytest.mark.parametrize("argv", [
    ["solve", "jobshop", "ft06", "--method", "edd"],
    ["solve", "jobshop", "ft06", "--method", "cpsat", "--time-limit", "0"],
    ["solve", "jobshop", "ft06", "--method", "cpsat", "--workers", "0"],
    ["bench", "jobshop", "--time-limit", "-1"],
])
def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_console_script() -> None:
    script = console_script()
    done = subprocess.run([script, "solve", "jobshop", "ft06", "--method", "cpsat",
                           "--time-limit", "5", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 1
    check_ft06_cpsat_record(json.loads(done.stdout))
    listed = subprocess.run([script, "list"], capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and "decisiongym/JobShop-v0" in listed.stdout


def test_bench_writes_markdown_and_csv(capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    out_dir = tmp_path / "results"
    argv = ["bench", "jobshop", "--instances", "ft06", "--time-limit", "1", "--workers", "1",
            "--no-speed", "--out-dir", str(out_dir)]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    markdown = (out_dir / "jobshop.md").read_text()
    assert markdown in out
    header = markdown.split("\n## ", 1)[0]
    assert "decisiongym " + shlex.join(argv) in header
    records = pd.read_csv(out_dir / "jobshop.csv")
    # 8 rules x 3 schemes, CP-SAT, CP-SAT warm-started (and the learned rule once one ships).
    assert (~records["method"].str.startswith("learned")).sum() == 26
    assert records["valid"].all()
    assert set(records["method"]) >= {"spt", "random", "cpsat", "cpsat-warm"}
    cpsat = records[records["method"].str.startswith("cpsat")]
    assert (cpsat["objective"] == 55).all()
    assert (records["objective"] >= 55).all()
    assert not (out_dir / "jobshop_speed.csv").exists()


def test_solve_soc_heft_reproduces_topcuoglu_and_cpsat_proves_the_optimum(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["solve", "soc", "topcuoglu", "--platform", "topcuoglu", "--method", "heft",
                 "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["makespan"] == pytest.approx(80.0)
    assert record["valid"] is True
    assert len(record["trace"]) == 10
    assert set(record["trace"][0]) == {"task", "task_name", "pe", "pe_name", "start", "finish"}
    assert main(["solve", "soc", "topcuoglu", "--platform", "topcuoglu", "--method", "cpsat",
                 "--time-limit", "5", "--workers", "1", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["status"] == "OPTIMAL"
    assert record["makespan"] == pytest.approx(record["bound"]) and record["makespan"] < 80


def test_solve_soc_unknown_dag_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "soc", "no_such_dag", "--method", "heft"]) == 2
    assert "no_such_dag" in capsys.readouterr().err


def test_simulate_soc_reports_stream_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", "soc", "--scheduler", "etf", "--jobs", "300", "--noise", "0.1",
            "--seed", "3", "--json"]
    assert main(args + ["--rate", "2"]) == 0
    low = json.loads(capsys.readouterr().out)
    assert low["warmup_jobs"] == 30 and low["completed_jobs"] == 270
    assert low["throughput_jobs_per_ms"] == pytest.approx(2.0, rel=0.25)
    assert 0 < low["latency_mean_us"] <= low["latency_p95_us"]
    assert main(args + ["--rate", "200"]) == 0
    high = json.loads(capsys.readouterr().out)
    # Far past saturation, jobs queue: latency must grow.
    assert high["latency_mean_us"] > 2 * low["latency_mean_us"]
    assert main(["simulate", "soc", "--scheduler", "met-soonest", "--mix", "nope",
                 "--jobs", "5"]) == 2
    assert "nope" in capsys.readouterr().err


def test_simulate_soc_ds3_mode_runs_dss_rules_only(capsys: pytest.CaptureFixture[str]) -> None:
    from decisiongym.baselines.soc.online import simulate
    from decisiongym.envs.soc.builtin import default_platform
    from decisiongym.envs.soc.workload import ds3_workload

    args = ["simulate", "soc", "--jobs", "200", "--rate", "40", "--seed", "4", "--json"]
    assert main(args + ["--scheduler", "met", "--mode", "ds3"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["mode"] == "ds3" and record["scheduler"] == "met"
    workload = ds3_workload(40.0, 200, np.random.default_rng(4))
    expected = simulate(default_platform(), workload, "met", mode="ds3", warmup_jobs=20)
    assert record["latency_mean_us"] == pytest.approx(expected.latency_mean_us)
    # DS3's MET in the default mode, and this library's in the ds3 mode, are refused
    assert main(args + ["--scheduler", "met"]) == 2
    assert "--mode ds3" in capsys.readouterr().err
    assert main(args + ["--scheduler", "met-soonest", "--mode", "ds3"]) == 2
    assert "DS3's schedulers" in capsys.readouterr().err
    assert main(args + ["--scheduler", "learned", "--mode", "ds3"]) == 2
