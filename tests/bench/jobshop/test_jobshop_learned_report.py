"""The learned rule's section of ``jobshop.md`` from hand-made records with known answers."""

from __future__ import annotations

import io
import math
from typing import Any

import pandas as pd
import pytest

from decisiongym.bench.jobshop.learned_report import (
    L2D_GREEDY,
    TAILLARD_SIZES,
    learned_section,
    lower_of,
    matched_pairs,
    size_groups,
)
from decisiongym.bench.jobshop.report import render
from decisiongym.bench.record import Record, records_frame

SIZES = {"ta01": (15, 15), "ta02": (15, 15), "ta51": (50, 15), "ta52": (50, 15),
         "ta53": (50, 15), "ta54": (50, 15), "ta71": (100, 20), "ta72": (100, 20),
         "ft06": (6, 6)}
UB = 1000


def record(instance: str, method: str, makespan: float, scheme: str = "", wall_s: float = 0.1,
           samples: int | None = None, budget_s: float | None = None) -> Record:
    n_jobs, n_machines = SIZES[instance]
    ub = 55 if instance == "ft06" else UB
    extra: dict[str, Any] = {
        "n_jobs": n_jobs, "n_machines": n_machines, "lb": None, "ub": ub, "scheme": scheme,
        "workers": 2, "warm_start": "", "warm_start_makespan": None, "samples": samples,
        "temperature": None if samples is None else 0.0,
        "checkpoint": "" if samples is None else "jobshop_dispatch.pt"}
    return Record(family="jobshop", method=method, instance=instance, seed=0, budget=budget_s,
                  objective=makespan, objective_name="makespan", sense="min", bound=None,
                  gap=100.0 * (makespan - ub) / ub, status="FEASIBLE",
                  valid=not math.isnan(makespan), wall_s=wall_s, cpu_s=wall_s, extra=extra)


def results() -> pd.DataFrame:
    rows = []
    for name in SIZES:
        # mwkr/active is the best static pair of each group, random (left out) better still
        rows += [record(name, "spt", 1400, "non-delay"), record(name, "random", 1000, "active")]
    rows += [record("ta01", "mwkr", 1100, "active"), record("ta02", "mwkr", 1200, "active"),
             record("ta01", "learned", 1100, "non-delay", 0.2, 1),
             record("ta02", "learned", 1300, "non-delay", 0.4, 1),
             record("ta01", "cpsat", 1010, wall_s=10.0, budget_s=10.0)]
    best_of = {"ta51": 1200, "ta52": 1250, "ta53": 1280, "ta54": 1300}
    matched = {"ta51": 1250, "ta52": 1250, "ta53": math.nan, "ta54": 1290}
    for name in best_of:
        rows += [record(name, "mwkr", 1350, "active"),
                 record(name, "learned", 1300, "non-delay", 0.3, 1),
                 record(name, "learned-32", best_of[name], "non-delay", 2.5, 32),
                 record(name, "cpsat-matched", matched[name], wall_s=2.6, budget_s=2.5)]
    rows += [record("ta71", "mwkr", 1100, "active"), record("ta72", "mwkr", 1100, "active"),
             record("ta71", "learned", 1050, "non-delay", 0.8, 1),
             record("ta72", "learned", 1060, "non-delay", 1.2, 1),
             record("ft06", "mwkr", 60, "active"), record("ft06", "learned", 66, "non-delay",
                                                           0.01, 1)]
    frame = records_frame(rows)
    # through CSV, as the report always reads them
    return pd.read_csv(io.StringIO(frame.to_csv(index=False)))


def test_l2d_figures_cover_every_taillard_size() -> None:
    assert tuple(L2D_GREEDY.gap_pct) == TAILLARD_SIZES
    assert "NeurIPS 2020" in L2D_GREEDY.source
    assert L2D_GREEDY.gap_pct["15x15"] == 26.0 and L2D_GREEDY.gap_pct["100x20"] == 13.6


def test_size_groups_means_and_best_rule() -> None:
    groups = size_groups(results()).set_index("size")
    assert list(groups.index) == ["15x15", "50x15", "100x20"]
    small, large = groups.loc["15x15"], groups.loc["50x15"]
    assert small["instances"] == 2
    assert small["greedy_gap"] == pytest.approx(20.0)  # (10 + 30) / 2
    assert small["greedy_wall_s"] == pytest.approx(0.3)
    assert small["best_rule"] == "mwkr/active" and small["best_rule_gap"] == pytest.approx(15.0)
    assert small["cpsat_gap"] == pytest.approx(1.0) and small["cpsat_count"] == 1
    assert small["best_of_count"] == 0 and math.isnan(small["best_of_gap"])
    assert large["instances"] == 4 and large["greedy_gap"] == pytest.approx(30.0)
    assert large["best_rule"] == "mwkr/active" and large["best_rule_gap"] == pytest.approx(35.0)
    assert large["best_of_gap"] == pytest.approx((20 + 25 + 28 + 30) / 4)
    assert large["best_of_count"] == 4 and large["l2d_gap"] == 22.4


def test_lower_of() -> None:
    assert lower_of(1200, 1250) == "best-of"
    assert lower_of(1250, 1250) == "tie"
    assert lower_of(1300, 1290) == "cpsat"
    assert lower_of(1300, math.nan) == "best-of"  # CP-SAT found no schedule in the time


def test_matched_pairs_count() -> None:
    pairs = matched_pairs(results())
    assert list(pairs["instance"]) == ["ta51", "ta52", "ta53", "ta54"]
    assert list(pairs["lower"]) == ["best-of", "tie", "best-of", "cpsat"]


def test_section_renders_the_verdicts() -> None:
    text = "\n".join(learned_section(results()))
    cells = [[cell.strip() for cell in line.strip("|").split("|")]
             for line in text.splitlines() if line.startswith("| ")]
    rows = {row[0]: row[1:] for row in cells if row[0] in ("15x15", "50x15", "100x20")}
    # instances, greedy, best rule, its gap, best of 32, CP-SAT, L2D, greedy below best rule,
    # greedy below L2D, greedy wall s
    assert rows["15x15"] == ["2", "20.0", "mwkr/active", "15.0", "-", "1.0 (1/2)", "26.0",
                             "no", "yes", "0.300"]
    assert rows["50x15"] == ["4", "30.0", "mwkr/active", "35.0", "25.8", "-", "22.4", "yes",
                             "no", "0.300"]
    assert rows["100x20"][1] == "5.5" and rows["100x20"][8:] == ["yes", "1.000"]
    assert "best-of-32 below time-matched CP-SAT on 2 of 4 instances." in text
    assert "ta71 0.80 s, ta72 1.20 s" in text
    assert "Max 1.20 s, mean 1.00 s against the 1 s target: missed on 1 of 2 instances." in text
    assert "ft06 66" in text
    assert "`jobshop_dispatch.pt` (non-delay scheme), run on one core" in text


def test_render_keeps_the_other_sections() -> None:
    text = render(results(), None, "decisiongym bench jobshop")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## CP-SAT and the best rule, per instance", "## Learned dispatching rule",
                        "## Mean gap (%) of each rule under each scheme",
                        "## Makespan of each rule, non-delay scheme",
                        "## Makespan of each rule, active scheme",
                        "## Makespan of each rule, insertion scheme"]


def test_section_without_learned_records_says_why() -> None:
    frame = results()
    text = "\n".join(learned_section(frame[~frame["method"].str.startswith("learned")]))
    assert "No learned-rule records" in text and "--checkpoint" in text
