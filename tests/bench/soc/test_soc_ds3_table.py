"""The DS3-mode table of the SoC benchmark: its saturation rule on a hand-made sweep, and a
small real sweep in which DS3's MET saturates near the rate DS3 published."""

from __future__ import annotations

import pandas as pd
import pytest

from decisiongym.bench.soc.ds3_mode import (
    DS3_PUBLISHED,
    ds3_section,
    run_ds3_sweep,
    saturation_points,
)


def hand_sweep() -> pd.DataFrame:
    # two seeds per (scheduler, offered rate); the achieved rate levels off at 12 for "met"
    rows = []
    for rate, injection, latency in ((1.0, 1.0, 120.0), (10.0, 9.0, 400.0),
                                     (20.0, 12.5, 800.0), (40.0, 11.5, 900.0)):
        for seed, shift in ((0, -0.5), (1, 0.5)):
            rows.append({"scheduler": "met", "rate": rate, "seed": seed,
                         "injection": injection + shift, "latency_mean_us": latency + 10 * shift,
                         "completed": 90, "valid": True})
    return pd.DataFrame.from_records(rows)


def test_saturation_is_the_highest_mean_injection_rate():
    # means: 1.0, 9.0, 12.5, 11.5 -> 12.5, at offered 20, latency 800
    assert saturation_points(hand_sweep()) == {"met": (12.5, 800.0, 20.0)}


def test_the_section_puts_dss_points_beside_ours():
    text = "\n".join(ds3_section(hand_sweep()))
    assert "| met | 12.50 jobs/ms at 800 µs (offered 20) | 13 jobs/ms at 800 µs |" in text
    # 12.5 / 13 - 1 = -3.8 %, 800 / 800 - 1 = 0
    assert "-4% rate, +0% latency" in text
    assert "Low load (1 jobs/ms): met 120 µs; DS3 gives 105-135 µs." in text
    assert "8 of 8 valid" in text


def test_a_quick_sweep_of_dss_met_saturates_near_dss_13_jobs_per_ms():
    sweep = run_ds3_sweep(quick=True)
    assert sweep["valid"].all()
    points = saturation_points(sweep)
    assert set(points) == {"etf", "met", "stf"}
    rate, _, _ = points["met"]
    assert rate == pytest.approx(DS3_PUBLISHED["met"][0], rel=0.1)
    low = sweep[sweep["rate"] == 1.0].set_index("scheduler")["latency_mean_us"]
    # at low load a job's latency is its own makespan, in DS3's 105-135 µs for ETF and MET
    assert 100 < low["etf"] < 140 and 100 < low["met"] < 140
