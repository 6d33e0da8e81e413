"""Tests of the dispatching rules: validity under every scheme, the seeded random rule, errors."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.baselines.jobshop.dispatching import (
    DEFAULT_SCHEME,
    RULE_NAMES,
    SCHEME_NAMES,
    best_rule,
    solve_rule,
)
from decisiongym.envs.jobshop import sim
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.solution import validate


def test_names() -> None:
    assert set(RULE_NAMES) == {"spt", "lpt", "mwkr", "lwkr", "mopnr", "fifo", "fdd-mwkr",
                               "random"}
    assert set(SCHEME_NAMES) == {"non-delay", "active", "insertion"}
    assert DEFAULT_SCHEME == "non-delay"


def test_names_follow_the_simulator_codes() -> None:
    # The light names module spells out what sim.py keys its numba codes by; they must agree.
    assert RULE_NAMES == tuple(sim.RULES)
    assert SCHEME_NAMES == tuple(sim.SCHEMES)


@pytest.mark.parametrize("name", ["ta01", "ft06"])
@pytest.mark.parametrize("scheme", SCHEME_NAMES)
def test_every_rule_gives_a_valid_schedule(name: str, scheme: str) -> None:
    instance = load_instance(name)
    assert instance.lower_bound is not None
    for rule in RULE_NAMES:
        result = solve_rule(instance, rule, scheme)
        assert (result.rule, result.scheme) == (rule, scheme)
        assert validate(instance, result.schedule) == result.makespan
        assert result.makespan >= instance.lower_bound >= instance.trivial_lower_bound


def test_known_non_delay_makespans_on_ta01() -> None:
    instance = load_instance("ta01")
    assert solve_rule(instance, "spt").makespan == 1462
    assert solve_rule(instance, "mopnr").makespan == 1438


def test_random_rule_is_seeded() -> None:
    instance = load_instance("ta01")
    for scheme in SCHEME_NAMES:
        first = solve_rule(instance, "random", scheme, seed=5)
        again = solve_rule(instance, "random", scheme, seed=5)
        assert np.array_equal(first.schedule.start, again.schedule.start)
        starts = {solve_rule(instance, "random", scheme, seed=s).schedule.start.tobytes()
                  for s in range(5)}
        assert len(starts) > 1


def test_deterministic_rules_ignore_the_seed() -> None:
    instance = load_instance("ft06")
    for rule in RULE_NAMES:
        if rule != "random":
            assert solve_rule(instance, rule, seed=0).makespan == solve_rule(
                instance, rule, seed=9).makespan


def test_unknown_rule_names_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown rule 'edd'") as err:
        solve_rule(load_instance("ft06"), "edd")
    assert all(rule in str(err.value) for rule in RULE_NAMES)


def test_unknown_scheme_names_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown scheme 'semi-active'") as err:
        solve_rule(load_instance("ft06"), "spt", "semi-active")
    assert all(scheme in str(err.value) for scheme in SCHEME_NAMES)


@pytest.mark.parametrize("name", ["ta01", "ft06"])
def test_best_rule_picks_the_minimum(name: str) -> None:
    instance = load_instance(name)
    best = best_rule(instance)
    makespans = {(rule, scheme): solve_rule(instance, rule, scheme).makespan
                 for scheme in SCHEME_NAMES for rule in RULE_NAMES if rule != "random"}
    assert best.rule != "random"
    assert best.makespan == min(makespans.values()) == makespans[(best.rule, best.scheme)]
    assert validate(instance, best.schedule) == best.makespan
