"""Tests of the CP-SAT baseline: optimality on ft06, dominance over the rules, warm starts."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.baselines.jobshop.cpsat import solve_cpsat
from decisiongym.baselines.jobshop.dispatching import RULE_NAMES, SCHEME_NAMES, solve_rule
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.generator import RandomInstanceGenerator
from decisiongym.envs.jobshop.solution import Schedule, validate


def test_ft06_is_solved_to_optimality() -> None:
    instance = load_instance("ft06")
    seen: list[tuple[float, float, float]] = []
    result = solve_cpsat(instance, time_limit=10, workers=1,
                         on_solution=lambda *progress: seen.append(progress))
    assert result.status == "OPTIMAL"
    assert result.makespan == 55 and result.bound == 55
    assert result.schedule is not None and not result.from_warm_start
    assert validate(instance, result.schedule) == 55
    assert seen and seen[-1][1] == 55


def test_cpsat_beats_or_ties_every_rule_on_a_small_random_instance() -> None:
    instance = RandomInstanceGenerator(n_jobs=(5, 6), n_machines=(4, 5)).sample(0)
    result = solve_cpsat(instance, time_limit=10, workers=1, seed=0)
    assert result.schedule is not None
    assert validate(instance, result.schedule) == result.makespan
    assert result.bound <= result.makespan
    rules = [solve_rule(instance, rule, scheme).makespan
             for scheme in SCHEME_NAMES for rule in RULE_NAMES]
    assert result.makespan <= min(rules)


@pytest.mark.parametrize("time_limit", [0.001, 0.05])
def test_warm_start_is_never_worse_than_the_rule(time_limit: float) -> None:
    instance = load_instance("ta01")
    worst = max((solve_rule(instance, rule, scheme)
                 for scheme in SCHEME_NAMES for rule in RULE_NAMES if rule != "random"),
                key=lambda r: r.makespan)
    result = solve_cpsat(instance, time_limit=time_limit, workers=1, warm_start=worst.schedule)
    assert result.schedule is not None and result.makespan is not None
    assert result.makespan <= worst.makespan
    assert validate(instance, result.schedule) == result.makespan
    assert result.bound <= result.makespan
    if result.from_warm_start:
        # CP-SAT found nothing in time: the warm schedule itself comes back.
        assert result.schedule is worst.schedule
        assert result.makespan == worst.makespan
    else:
        assert result.schedule is not worst.schedule
        assert result.status in ("FEASIBLE", "OPTIMAL")


def test_warm_start_that_is_optimal_is_reported_optimal() -> None:
    instance = load_instance("ft06")
    optimum = solve_cpsat(instance, time_limit=10, workers=1).schedule
    assert optimum is not None
    result = solve_cpsat(instance, time_limit=10, workers=1, warm_start=optimum)
    assert result.status == "OPTIMAL" and result.makespan == 55 == result.bound
    assert validate(instance, result.schedule) == 55


@pytest.mark.parametrize("kwargs", [{"time_limit": 0}, {"time_limit": -1.0}, {"workers": 0}])
def test_bad_limits_raise(kwargs: dict[str, float]) -> None:
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=name):
        solve_cpsat(load_instance("ft06"), **kwargs)


def test_incomplete_warm_start_raises() -> None:
    instance = load_instance("ft06")
    start = solve_rule(instance, "spt").schedule.start.copy()
    start[2, 3] = -1
    with pytest.raises(ValueError, match="complete"):
        solve_cpsat(instance, time_limit=1, workers=1, warm_start=Schedule(instance, start))
    empty = Schedule(instance, np.full(instance.machines.shape, -1))
    with pytest.raises(ValueError, match="complete"):
        solve_cpsat(instance, time_limit=1, workers=1, warm_start=empty)
