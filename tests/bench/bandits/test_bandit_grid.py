"""A bandit benchmark cell's record: the regret as its objective, the horizon as its budget,
the suite's metrics in its extras; the fairness table's two comparators."""

from __future__ import annotations

import json

import numpy as np
import pytest

from decisiongym.bench.bandits.grid import CURVE_POINTS, BanditCell, run_bandit, run_cell
from decisiongym.bench.bandits.report import suite_section
from decisiongym.bench.record import read_frame, write_records

EASY = "decisiongym/MAB-Bernoulli-Easy-K5-Video-v1"
FAIRNESS = "decisiongym/OneSidedFairness-v0"
LINEAR = "decisiongym/ContextualBandit-Linear-v0"


def test_a_cell_records_the_oracles_regret() -> None:
    cell = BanditCell(EASY, "ucb1", seed=4, horizon=120, group="mab")
    record = run_cell(cell)
    trace = run_bandit(EASY, "ucb1", seed=4, horizon=120)
    assert (record.family, record.method, record.instance, record.seed) == (
        "bandits", "ucb1", EASY, 4)
    assert (record.objective_name, record.sense, record.budget) == ("regret", "min", 120)
    assert record.objective == pytest.approx(float(trace.cumulative_regret[-1]))
    assert record.valid and record.status == "COMPLETED"
    assert record.wall_s > 0 and record.cpu_s >= 0
    assert record.extra["group"] == "mab"
    curve = json.loads(record.extra["curve_regret"])
    assert len(json.loads(record.extra["curve_t"])) == len(curve) <= CURVE_POINTS
    assert curve[-1] == pytest.approx(np.round(record.objective, 3))
    record.to_row()  # every extra fits a CSV cell


def test_fairness_records_and_table_carry_both_comparators(tmp_path) -> None:
    records = [run_cell(BanditCell(FAIRNESS, agent, seed=seed, horizon=40, group="fairness"))
               for agent in ("exp2", "ftpl-semibandit") for seed in (0, 1)]
    for record in records:
        trace = run_bandit(FAIRNESS, record.method, seed=record.seed, horizon=40)
        assert record.extra["fair_regret_total"] == pytest.approx(
            float(trace.extra["fair_regret"].sum()))
        assert record.extra["oracle_violations_total"] == trace.extra["oracle_violations"].sum()
        # The fair policy is worth no more than the oracle, so its regret is the smaller.
        assert record.extra["fair_regret_total"] <= record.objective + 1e-9
    # Both agents meet the same people and panels: the oracle's violations are the same.
    assert len({r.extra["oracle_violations_total"] for r in records if r.seed == 0}) == 1
    write_records(records, tmp_path / "bandits.csv")
    lines = suite_section(read_frame(tmp_path / "bandits.csv"), "fairness", [], [])
    header = next(line for line in lines if line.startswith("| env"))
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert columns[4:6] == ["regret", "regret vs fair"]
    assert columns[-3:] == ["violations/round", "oracle violations/round", "decisions/s"]
    assert any(line.startswith("*regret* is against the unconstrained") for line in lines)
    exp2 = next(line for line in lines if line.startswith("| OneSidedFairness-v0 | exp2 |"))
    cells = [c.strip() for c in exp2.strip("|").split("|")]
    fair = [r.extra["fair_regret_total"] for r in records if r.method == "exp2"]
    assert cells[5].startswith(f"{np.mean(fair):.1f} ± ")
    oracle = [r.extra["oracle_violations_total"] / 40 for r in records if r.method == "exp2"]
    assert cells[-2] == f"{np.mean(oracle):.2f}"


@pytest.mark.parametrize("env_id, suite", [(LINEAR, "contextual"), (LINEAR, "mab")])
def test_other_suites_keep_their_columns(tmp_path, env_id: str, suite: str) -> None:
    # the mab suite's table for any id that is not one of BanditBench's tasks is the generic one
    records = [run_cell(BanditCell(env_id, "ucb1", seed=0, horizon=30, group=suite))]
    write_records(records, tmp_path / "bandits.csv")
    lines = suite_section(read_frame(tmp_path / "bandits.csv"), suite, [], [])
    assert lines[2] == ("| env | agent | T | seeds | regret | 1st half | suffix fail | MinFrac "
                        "| win rate | mean reward | decisions/s |")
