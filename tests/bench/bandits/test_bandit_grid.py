"""A bandit benchmark cell's record: the regret as its objective, the horizon as its budget,
the suite's metrics in its extras."""

from __future__ import annotations

import json

import numpy as np
import pytest

from decisiongym.bench.bandits.grid import CURVE_POINTS, BanditCell, run_bandit, run_cell

EASY = "decisiongym/MAB-Bernoulli-Easy-K5-Video-v0"


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
