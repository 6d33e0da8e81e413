"""What the command line does with numbers, sizes, paths and files it cannot use: one line on
stderr and exit status 2, before anything heavy runs or any file is written."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pytest

from decisiongym.cli import build_parser, main
from decisiongym.cli.common import finite_or_null, parse_params, print_json
from decisiongym.envs.core.errors import InputError

MAB = "decisiongym/MAB-Bernoulli-Easy-K5-Video-v1"


def fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the command, check it ends with exit status 2 and no traceback; its stderr."""
    try:
        code = main(list(argv))
    except SystemExit as stop:  # argparse refuses a flag's value
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in err and err.strip()
    return err


def numeric_flags() -> list[tuple[tuple[str, ...], str]]:
    """Every flag of every subcommand whose value is a number: (subcommand, flag)."""
    found = []

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, (*path, name))
            elif action.type is not None and getattr(action.type, "__name__", "") in (
                    "number", "integer", "count"):
                found.append((path, action.option_strings[0]))

    walk(build_parser(), ())
    return found


def test_the_parser_walk_finds_the_numeric_flags() -> None:
    flags = {(" ".join(path), flag) for path, flag in numeric_flags()}
    assert ("solve jobshop", "--time-limit") in flags
    assert ("simulate soc", "--jobs") in flags
    assert ("simulate bandits", "--horizon") in flags
    assert ("train soc", "--episodes") in flags


def test_no_flag_takes_a_bare_int_or_float() -> None:
    def walk(parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    walk(sub)
            else:
                assert action.type not in (int, float), action.option_strings

    walk(build_parser())


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-5", "1e400", "10" * 20, "x"])
def test_every_numeric_flag_refuses_what_is_out_of_range(value: str) -> None:
    parser = build_parser()
    for path, flag in numeric_flags():
        positional = {"solve jobshop": ["ft06"], "solve soc": ["wifi_tx"],
                      "simulate bandits": [MAB]}.get(" ".join(path), [])
        required = {"solve jobshop": ["--method", "spt"], "solve soc": ["--method", "heft"],
                    "simulate soc": ["--scheduler", "etf"], "simulate bandits": ["--agent",
                    "ucb1"], "train jobshop": ["--method", "ppo"]}.get(" ".join(path), [])
        argv = [*path, *positional, *required, flag, value]
        if value == "-5" and flag == "--samples" and path[0] == "solve":
            continue  # refused by the handler, naming --method learned's rule
        with pytest.raises(SystemExit) as stop:
            parser.parse_args(argv)
        assert stop.value.code == 2, argv


def test_numeric_flag_errors_name_the_flag_and_the_range(
        capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(capsys, "solve", "jobshop", "ft06", "--method", "cpsat", "--time-limit", "inf")
    assert "argument --time-limit: expected a finite number, got 'inf'" in err
    err = fails(capsys, "solve", "jobshop", "ft06", "--method", "cpsat", "--seed",
                "99999999999999999999")
    assert "argument --seed: must be an integer in [0, 2,147,483,647]" in err
    err = fails(capsys, "simulate", "soc", "--scheduler", "etf", "--jobs", "1000000000000")
    assert "--jobs: must be an integer in [1, 1,000,000]" in err and "Python" in err
    err = fails(capsys, "train", "soc", "--episodes", "-5")
    assert "argument --episodes: must be an integer in [0, 1,000,000], got -5" in err


@pytest.mark.parametrize("argv", [
    ["solve", "jobshop", "ft06", "--method", "learned", "--samples", "1000000000000"],
    ["simulate", "bandits", MAB, "--agent", "ucb1", "--horizon", "1000000000000"],
    ["simulate", "bandits", MAB, "--agent", "ucb1", "--seeds", "1000000000000"],
    ["bench", "soc", "--seeds", "1000000000000"],
    ["bench", "jobshop", "--speed-seconds", "nan"],
    ["simulate", "soc", "--scheduler", "etf", "--rate", "1e-300"],
    ["simulate", "soc", "--scheduler", "etf", "--noise", "nan"],
    ["solve", "jobshop", "ft06", "--method", "spt", "--workers", "1000000000000"],
])
def test_sizes_are_refused_before_anything_is_allocated(capsys: pytest.CaptureFixture[str],
                                                        argv: list[str]) -> None:
    assert "argument --" in fails(capsys, *argv)


def test_warmup_that_leaves_nothing_to_measure(capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(capsys, "simulate", "soc", "--scheduler", "etf", "--jobs", "100",
                "--warmup-jobs", "100", "--json")
    assert "--warmup-jobs: must be below --jobs 100" in err


def test_json_output_has_no_nan(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"latency": math.nan, "energy": [1.0, math.inf], "nested": {"x": -math.inf}})
    line = capsys.readouterr().out
    assert json.loads(line) == {"latency": None, "energy": [1.0, None], "nested": {"x": None}}
    assert finite_or_null((1, 2.5, "a")) == [1, 2.5, "a"]


def test_params_refuse_non_finite_numbers_and_huge_integers() -> None:
    assert parse_params(["alpha=0.5", "k=3", "on=true"], "--param") == {
        "alpha": 0.5, "k": 3, "on": True}
    with pytest.raises(InputError, match="--param: c=nan: expected a finite number"):
        parse_params(["c=nan"], "--param")
    with pytest.raises(InputError, match="more than 30 digits"):
        parse_params(["c=" + "9" * 400], "--param")
    with pytest.raises(InputError, match="given twice"):
        parse_params(["c=1", "c=2"], "--param")


def test_unknown_param_and_env_param_keys(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["simulate", "bandits", MAB, "--agent", "ucb1", "--seeds", "1", "--horizon", "10"]
    assert "--param: agent ucb1 takes no parameter 'nope'" in fails(
        capsys, *base, "--param", "nope=1")
    assert "--env-param: env " in fails(capsys, *base, "--env-param", "nope=1")
    assert "unknown bandit agent 'nope'" in fails(
        capsys, "simulate", "bandits", MAB, "--agent", "nope")
    assert "is not a bandit env" in fails(capsys, "simulate", "bandits", "nope-v0", "--agent",
                                          "ucb1")
    assert "--suites: unknown suites nope" in fails(capsys, "bench", "bandits", "--suites",
                                                    "nope")


def test_output_paths(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    assert "is a file; expected a folder" in fails(
        capsys, "bench", "jobshop", "--out-dir", str(a_file))
    assert "is a folder; give the name of a file" in fails(
        capsys, "train", "soc", "--out", str(tmp_path))
    assert "is a folder; give the name of an image file" in fails(
        capsys, "solve", "jobshop", "ft06", "--method", "spt", "--gantt", str(tmp_path))
    assert "is a file, so" in fails(capsys, "solve", "jobshop", "ft06", "--method", "spt",
                                    "--gantt", str(a_file / "x.png"))
    assert "expected a file ending in .png" in fails(
        capsys, "solve", "jobshop", "ft06", "--method", "spt", "--gantt",
        str(tmp_path / "x.txt"))
    assert "no file" in fails(capsys, "train", "soc", "--resume", str(tmp_path / "none.pt"))


def test_gantt_names_the_file_written(capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    assert main(["solve", "jobshop", "ft06", "--method", "spt", "--gantt", str(chart)]) == 0
    out = capsys.readouterr().out
    assert f"Gantt chart written to {chart}.png" in out
    assert Path(f"{chart}.png").is_file() and not chart.exists()


def test_job_shop_files(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.txt"
    big.write_text("2 2\n0 4000000000000000000 1 4000000000000000000\n"
                   "1 4000000000000000000 0 4000000000000000000\n")
    assert "durations add up to 16000000000000000000, above the limit of 2**53" in fails(
        capsys, "solve", "jobshop", str(big), "--method", "spt")
    header = tmp_path / "header.txt"
    header.write_text("100000 100000\n0 1\n")
    assert f"{header}, line 1: 100000 jobs x 100000 machines is above the limit" in fails(
        capsys, "solve", "jobshop", str(header), "--method", "spt")
    undecodable = tmp_path / "bytes.txt"
    undecodable.write_bytes(b"2 2\n0 3 1 \xff\xfe2\n1 2 0 4\n")
    assert f"{undecodable}, line 2" in fails(capsys, "solve", "jobshop", str(undecodable),
                                             "--method", "spt")
    assert "is a folder; expected an instance file" in fails(
        capsys, "solve", "jobshop", str(tmp_path), "--method", "spt")
    monkeypatch.chdir(tmp_path)
    Path("ta01").write_text("2 2\n0 3 1 2\n1 2 0 4\n")
    assert main(["solve", "jobshop", "./ta01", "--method", "spt"]) == 0
    assert capsys.readouterr().out.startswith("./ta01 spt")


@pytest.mark.parametrize(("content", "fragment"), [
    ('{"ft06": {"ub": 0}}', "ft06.ub: expected at least 1 (a makespan), found 0"),
    ('{"ft06": {"ub": 1' + "0" * 400 + "}}", "ft06.ub: expected at most 2**53"),
    ('{"ft06": {"ub": 1}}', "ft06: upper bound 1 is below 47"),
    ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
])
def test_bounds_files_the_benchmark_refuses(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            content: str, fragment: str) -> None:
    bounds = tmp_path / "bounds.json"
    bounds.write_text(content)
    out_dir = tmp_path / "results"
    err = fails(capsys, "bench", "jobshop", "--instances", "ft06", "--bounds", str(bounds),
                "--out-dir", str(out_dir), "--no-speed")
    assert f"{bounds}: " in err and fragment in err
    assert not out_dir.exists()


def test_bounds_a_run_disproves_are_warned_about(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    path = tmp_path / "low.txt"
    path.write_text("Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower "
                    "bound\n2 2 0 0 3 2\nTimes\n3 2\n2 4\nMachines\n1 2\n2 1\n")
    assert main(["solve", "jobshop", str(path), "--method", "spt"]) == 0
    err = capsys.readouterr().err
    assert "decisiongym: warning: low: upper bound 3 is below 7" in err


@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("huge.json", {"pe_types": [{"name": "A7", "count": 10**12, "frequency_mhz": 1,
                                 "busy_power_w": 1, "idle_power_w": 0}], "bandwidth": 1},
     "pe_types[0].count: expected at most 4,096"),
    ("nested.json", None, "nested too deeply"),
    ("bytes.json", None, "not a UTF-8 text file"),
])
def test_soc_platform_files(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str,
                            content: object, fragment: str) -> None:
    path = tmp_path / name
    if name == "nested.json":
        path.write_text("[" * 100_000 + "]" * 100_000)
    elif name == "bytes.json":
        path.write_bytes(b'{"name": "\xff\xfe"}')
    else:
        path.write_text(json.dumps(content))
    err = fails(capsys, "simulate", "soc", "--scheduler", "etf", "--jobs", "10", "--platform",
                str(path))
    assert f"{path}: " in err and fragment in err


def test_soc_costs_too_large_for_cp_sat(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    path = tmp_path / "app.json"
    path.write_text(json.dumps({"tasks": [{"name": "a", "cost": {"A7": 1e308}}]}))
    err = fails(capsys, "solve", "soc", str(path), "--method", "cpsat", "--time-limit", "1")
    assert "tasks[0].cost.A7: expected at most 1e+09" in err
    assert "neither a built-in application" in fails(capsys, "solve", "soc", "nope",
                                                     "--method", "heft")
    assert "mix: weight 'nan' of wifi_tx" in fails(capsys, "simulate", "soc", "--scheduler",
                                                   "etf", "--mix", "wifi_tx:nan")
