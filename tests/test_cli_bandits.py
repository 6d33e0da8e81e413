"""The bandit commands: `simulate bandits` and `bench bandits`, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from decisiongym.cli import main

EASY = "decisiongym/MAB-Bernoulli-Easy-K5-Video-v1"


def test_list_names_every_bandit_id(capsys: pytest.CaptureFixture[str]) -> None:
    from decisiongym.envs.bandits.ids import FAMILY

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for env in FAMILY.envs:
        assert env.id in out


def test_simulate_prints_regret_computed_from_the_oracle(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["simulate", "bandits", EASY, "--agent", "ucb1", "--seeds", "3", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["horizon"] == 300 and record["seeds"] == 3
    assert len(record["regret_per_seed"]) == 3
    # Uniform play loses 0.5 * 4/5 per round (120 over 300 rounds); UCB1 must do far better.
    assert 0 < record["regret_mean"] < 40
    assert 0.0 <= record["suffix_failure"] <= 1.0


def test_simulate_passes_hyperparameters_and_refuses_unknown_agents(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["simulate", "bandits", EASY, "--agent", "epsilon-greedy", "--param",
                 "epsilon=1.0", "--horizon", "200", "--seeds", "2", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["agent_params"] == {"epsilon": 1.0}
    # Always exploring is uniform play: regret near 0.4 per round.
    assert record["regret_mean"] == pytest.approx(80, rel=0.35)
    assert main(["simulate", "bandits", EASY, "--agent", "no-such-agent", "--seeds", "1"]) == 2
    assert "unknown bandit agent" in capsys.readouterr().err


@pytest.mark.parametrize(("env_id", "suggested"), [
    ("decisiongym/MAB-Bernouli-Hard-K5-Video-v1", "decisiongym/MAB-Bernoulli-Hard-K5-Video-v1"),
    ("decisiongym/JobShop-v0", None),
])
def test_an_id_that_is_no_bandit_env_exits_2(env_id: str, suggested: str | None,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "bandits", env_id, "--agent", "ts", "--seeds", "1"]) == 2
    err = capsys.readouterr().err
    assert f"{env_id!r} is not a bandit env" in err
    if suggested:
        assert f"did you mean {suggested}" in err


def test_bench_writes_tables_plot_and_records(tmp_path: Path) -> None:
    out = tmp_path / "results"
    args = ["bench", "bandits", "--quick", "--suites", "mab", "--seeds", "1", "--no-speed",
            "--processes", "1", "--out-dir", str(out), "--obd", str(tmp_path / "no-obd")]
    assert main(args) == 0
    markdown = (out / "bandits.md").read_text()
    assert "decisiongym bench bandits --quick --suites mab" in markdown
    assert "## mab" in markdown and "ucb1" in markdown
    assert "\n\n## Off-policy evaluation\n" in markdown and "| DR | " in markdown
    assert f"Skipped: no OBD log at {tmp_path / 'no-obd' / 'bts' / 'all'}" in markdown
    assert (out / "bandits_offpolicy.csv").is_file()
    assert (out / "bandits_mab.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import pandas as pd

    records = pd.read_csv(out / "bandits.csv")
    assert set(records["method"]) >= {"ucb1", "ts", "ts-gaussian"}
    assert (records["objective"] >= 0).all()
