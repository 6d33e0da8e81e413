"""The suite's bandit metrics on hand-built traces, where the right answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.bench.bandits.metrics import (
    BanditTrace,
    min_frac,
    suffix_failure_frequency,
    summarize,
    win_rates,
)
from decisiongym.bench.stats import mean_interval


def _trace(arms: list[int], best: int = 0, n_arms: int = 3, gap: float = 0.5) -> BanditTrace:
    a = np.asarray(arms)
    return BanditTrace("env", "agent", 0, a, np.zeros(len(a)), np.where(a == best, 0.0, gap),
                       np.full(len(a), best), n_arms)


def test_suffix_failure_counts_runs_that_never_return_to_the_best_arm() -> None:
    locked = _trace([0, 0, 1, 1, 1, 1])
    recovers = _trace([1, 1, 1, 1, 0, 1])
    assert suffix_failure_frequency([locked, recovers], t=2) == 0.5
    assert suffix_failure_frequency([locked, recovers], t=5) == 1.0
    assert suffix_failure_frequency([recovers], t=0) == 0.0


def test_min_frac_is_one_for_uniform_play_and_zero_for_a_starved_arm() -> None:
    assert min_frac(_trace([0, 1, 2] * 10)) == pytest.approx(1.0)
    assert min_frac(_trace([0, 1] * 10)) == 0.0
    assert min_frac(_trace([0, 0, 1, 2])) == pytest.approx(3 * 1 / 4)


def test_win_rates_count_ties_half() -> None:
    rates = win_rates({"a": np.array([1.0, 5.0, 2.0]), "b": np.array([2.0, 4.0, 2.0])})
    assert rates["a"]["b"] == pytest.approx((1 + 0 + 0.5) / 3)
    assert rates["b"]["a"] == pytest.approx((0 + 1 + 0.5) / 3)


def test_mean_interval_and_summary() -> None:
    mean, half = mean_interval([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert half == pytest.approx(1.96 * 1.0 / np.sqrt(3))
    assert mean_interval([4.0]) == (4.0, 0.0)
    summary = summarize([_trace([0, 1, 1, 0]), _trace([1, 1, 1, 1])])
    assert summary["regret_mean"] == pytest.approx((1.0 + 2.0) / 2)
    assert summary["suffix_failure"] == 0.5
