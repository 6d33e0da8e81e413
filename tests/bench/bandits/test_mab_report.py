"""The mab section: BanditBench's fixed task instances play BanditBench's trials, and the table
puts their regret (mean ± sd over trials) beside the redraw regret (mean ± 95 %), with the task's
definition and a line saying which column compares with BanditBench's numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from decisiongym.bench.bandits.grid import (
    BanditCell,
    banditbench_task_seeds,
    default_suites,
    run_bandit,
    run_cell,
)
from decisiongym.bench.bandits.mab_report import COMPARABLE_NOTE, mab_task
from decisiongym.bench.bandits.report import suite_section
from decisiongym.bench.record import read_frame, write_records
from decisiongym.envs.bandits.banditbench import trial_seeds

FIXED = "decisiongym/MAB-Gaussian-Hard-K5-Video-v1"
REDRAW = "decisiongym/MAB-Gaussian-Hard-K5-Video-Redraw-v0"


def banditbench_ucb_regret(means: list[float], sigma: float, horizon: int, seed: int) -> float:
    """BanditBench's UCB agent (alpha 0.5) on a Gaussian task, written out: every arm once in
    index order, then the largest ``mean + sqrt(0.5 ln(pulls) / n)``; rewards from
    ``default_rng(trial seed).normal(mean, sigma)``; regret from the arm means."""
    noise = np.random.default_rng(seed)
    pulls, sums = [0] * len(means), [0.0] * len(means)
    regret = 0.0
    for _ in range(horizon):
        if 0 in pulls:
            arm = pulls.index(0)
        else:
            values = [sums[a] / pulls[a] + math.sqrt(0.5 * math.log(sum(pulls)) / pulls[a])
                      for a in range(len(means))]
            arm = int(np.argmax(values))
        pulls[arm] += 1
        sums[arm] += noise.normal(means[arm], sigma)
        regret += max(means) - means[arm]
    return regret


def test_ucb1_on_a_fixed_instance_replays_banditbench_ucb_trials() -> None:
    means = [-1.2391906301756803, 5.399122148162706, -7.324402147919567, 0.5671601453805992,
             -1.568245324442242]  # FullBench task 2, Gaussian, sigma 3
    for seed in trial_seeds(2)[:3]:
        trace = run_bandit(FIXED, "ucb1", seed=seed, horizon=300)
        assert trace.cumulative_regret[-1] == pytest.approx(
            banditbench_ucb_regret(means, 3.0, 300, seed), abs=1e-9)


def test_fixed_instances_play_banditbench_trials_and_redraw_plays_the_seeds() -> None:
    tasks = banditbench_task_seeds()
    assert len(tasks) == 16 and tasks[FIXED] == 2
    assert tasks["decisiongym/MAB-Bernoulli-Hard-K20-Clothes-v1"] == 8
    assert REDRAW not in tasks
    cells = [cell for suite in default_suites()["mab"] for cell in suite.cells(10)]
    ucb = [c for c in cells if c.agent == "ucb1"]
    assert tuple(c.seed for c in ucb if c.env_id == FIXED) == trial_seeds(2)  # all 20
    assert [c.seed for c in ucb if c.env_id == REDRAW] == list(range(10))
    assert len({c.env_id for c in cells}) == 32
    quick = [cell for suite in default_suites(quick=True)["mab"] for cell in suite.cells(2)]
    bernoulli = "decisiongym/MAB-Bernoulli-Easy-K5-Video-v1"
    assert {c.env_id for c in quick} == {bernoulli, bernoulli.replace("-v1", "-Redraw-v0"),
                                         "decisiongym/MAB-Gaussian-Easy-K5-Video-v1",
                                         "decisiongym/MAB-Gaussian-Easy-K5-Video-Redraw-v0"}
    assert tuple(c.seed for c in quick if c.env_id == bernoulli and c.agent == "ucb1") == (
        trial_seeds(1)[:2])


def test_mab_task_reads_the_ids_own_arguments() -> None:
    assert mab_task(FIXED) == ("gaussian-hard-k5-video", "fixed")
    assert mab_task(REDRAW) == ("gaussian-hard-k5-video", "redraw")
    assert mab_task("decisiongym/ContextualBandit-Linear-v0") is None


def test_the_table_puts_fixed_regret_beside_redraw_regret(tmp_path) -> None:
    records = [run_cell(BanditCell(FIXED, agent, seed, 200, group="mab"))
               for agent in ("ucb1", "epsilon-greedy") for seed in trial_seeds(2)[:3]]
    records += [run_cell(BanditCell(REDRAW, agent, seed, 200, group="mab"))
                for agent in ("ucb1", "epsilon-greedy") for seed in range(4)]
    write_records(records, tmp_path / "bandits.csv")
    lines = suite_section(read_frame(tmp_path / "bandits.csv"), "mab", [], [])
    assert "| Gaussian-Hard-K5-Video | 2 | 5 | 1000 | 1 | 5.399 | 4.832 |" in lines
    header = next(line for line in lines if line.startswith("| task | agent"))
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "task", "agent", "T", "fixed: regret", "trials", "fixed: suffix fail",
        "fixed: MinFrac", "fixed: win rate", "redraw: regret", "seeds", "redraw: win rate"]
    row = next(line for line in lines if line.startswith("| Gaussian-Hard-K5-Video | ucb1 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    fixed = np.array([r.objective for r in records if r.method == "ucb1" and r.instance == FIXED])
    redraw = np.array([r.objective for r in records
                       if r.method == "ucb1" and r.instance == REDRAW])
    sd = math.sqrt(sum((x - fixed.mean()) ** 2 for x in fixed) / len(fixed))
    assert cells[2:5] == ["200", f"{fixed.mean():.1f} ± {sd:.1f}", "3"]
    half = 1.96 * redraw.std(ddof=1) / math.sqrt(len(redraw))
    assert cells[8:10] == [f"{redraw.mean():.1f} ± {half:.1f}", "4"]
    assert COMPARABLE_NOTE in lines
    assert "comparable with BanditBench's published numbers" in COMPARABLE_NOTE
