"""`decisiongym solve jobshop --method learned` end to end, its errors, and a parser that stays
light (`--help` and `list` load no numba, torch or OR-Tools)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from decisiongym.agents.jobshop.network import DispatchNetwork
from decisiongym.cli import main
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.solution import Schedule, validate

HEAVY = ("numba", "torch", "ortools")


@pytest.fixture(scope="module")
def checkpoint(untrained_checkpoint: Path) -> Path:
    return untrained_checkpoint


def test_learned_json_is_one_record_with_the_extras(capsys: pytest.CaptureFixture[str],
                                                     checkpoint: Path) -> None:
    code = main(["solve", "jobshop", "ft06", "--method", "learned", "--checkpoint",
                 str(checkpoint), "--samples", "4", "--workers", "1", "--json"])
    out = capsys.readouterr().out
    assert code == 0 and len(out.strip().splitlines()) == 1
    record = json.loads(out)
    assert (record["instance"], record["method"], record["scheme"]) == ("ft06", "learned",
                                                                        "non-delay")
    assert record["bound"] is None and record["status"] == "FEASIBLE"
    assert record["valid"] is True and record["seed"] == 0
    assert record["samples"] == 4 and record["checkpoint"] == str(checkpoint)
    assert isinstance(record["temperature"], float)
    instance = load_instance("ft06")
    start = [[0] * instance.n_ops for _ in range(instance.n_jobs)]
    for row in record["schedule"]:
        start[row["job"]][row["op"]] = row["start"]
    assert validate(instance, Schedule(instance, start)) == record["makespan"]


def test_learned_text_output(capsys: pytest.CaptureFixture[str], checkpoint: Path) -> None:
    code = main(["solve", "jobshop", "ft06", "--method", "learned", "--checkpoint",
                 str(checkpoint), "--workers", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("ft06 learned, non-delay scheme: makespan ")
    assert "valid=True" in out and " s, greedy (1 sample)" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--method", "learned", "--checkpoint", "{missing}"], "no job-shop dispatching checkpoint"),
    (["--method", "learned", "--checkpoint", "{not_a_network}"], "not a readable torch"),
    (["--method", "learned", "--checkpoint", "{checkpoint}", "--samples", "0"],
     "--samples must be >= 1, got 0"),
    (["--method", "spt", "--samples", "4"], "--samples applies only to --method learned"),
    (["--method", "cpsat", "--checkpoint", "{checkpoint}"],
     "--checkpoint applies only to --method learned"),
    (["--method", "learned", "--checkpoint", "{checkpoint}", "--scheme", "active"],
     "--scheme active does not apply"),
])
def test_learned_errors_exit_2(capsys: pytest.CaptureFixture[str], checkpoint: Path,
                               tmp_path: Path, argv: list[str], message: str) -> None:
    not_a_network = tmp_path / "notes.pt"
    not_a_network.write_text("not a network\n")
    paths = {"missing": str(tmp_path / "missing.pt"), "not_a_network": str(not_a_network),
             "checkpoint": str(checkpoint)}
    code = main(["solve", "jobshop", "ft06", *[a.format(**paths) for a in argv]])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("decisiongym: error: ") and message in err


def test_help_and_list_import_nothing_heavy() -> None:
    code = textwrap.dedent(f"""
        import json
        import sys

        from decisiongym.cli import main

        for argv in (["--help"], ["solve", "jobshop", "--help"], ["bench", "jobshop", "--help"]):
            try:
                main(argv)
            except SystemExit:
                pass
        main(["list"])
        print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "learned" in done.stdout  # the methods are listed without importing their code
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_train_jobshop_writes_a_network_the_solver_reads(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ppo.pt"
    code = main(["train", "jobshop", "--method", "ppo", "--timesteps", "256", "--out", str(out),
                 "--log-dir", str(tmp_path / "tb")])
    assert code == 0
    assert "network written to" in capsys.readouterr().out
    assert DispatchNetwork.load(out).metadata["method"] == "ppo"
    assert any((tmp_path / "tb").rglob("events.out.tfevents.*"))
    code = main(["solve", "jobshop", "ft06", "--method", "learned", "--checkpoint", str(out),
                 "--json"])
    record = json.loads(capsys.readouterr().out)
    assert code == 0 and record["valid"] is True


def test_train_jobshop_refuses_an_unknown_method(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "jobshop", "--method", "dqn"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'dqn'" in capsys.readouterr().err
