"""Cross-checks of the numba dispatching kernel against the plain-Python twin in reference_sim."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_sim import DETERMINISTIC_RULES, SCHEMES, ReferenceSim

from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.encoding import encode
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.simulator import Simulator
from decisiongym.envs.jobshop.solution import validate

TA01_OPTIMUM = 1231


@st.composite
def instances(draw: st.DrawFn, repeats: bool | None = None) -> JobShopInstance:
    """Small instances: classic (each job a permutation of the machines) or, when ``repeats``,
    routes that may visit a machine several times and skip others."""
    n_jobs = draw(st.integers(1, 8))
    n_machines = draw(st.integers(1, 6))
    if repeats is None:
        repeats = draw(st.booleans())
    if repeats:
        n_ops = draw(st.integers(1, 6))
        route = st.lists(st.integers(0, n_machines - 1), min_size=n_ops, max_size=n_ops)
    else:
        n_ops = n_machines
        route = st.permutations(range(n_machines))
    machines = draw(st.lists(route, min_size=n_jobs, max_size=n_jobs))
    # operations of length 0 are drawn often (OR-Library's orb07 has one): they sit on the
    # edges of the schemes (a conflict set's own operation, a ratio over no work left)
    duration = st.integers(1, 30) | st.just(0)
    durations = np.array(draw(
        st.lists(
            st.lists(duration, min_size=n_ops, max_size=n_ops),
            min_size=n_jobs,
            max_size=n_jobs,
        )
    ))
    if not durations.any():
        durations[0, 0] = 1  # an instance needs some work
    return JobShopInstance(np.array(machines), durations, n_machines=n_machines)


def releases(n_jobs: int) -> st.SearchStrategy[list[int] | None]:
    return st.none() | st.lists(st.integers(0, 40), min_size=n_jobs, max_size=n_jobs)


def make_simulator(
    instance: JobShopInstance, scheme: str, release: list[int] | None = None, pad: int = 0
) -> Simulator:
    shape = None
    if pad:
        shape = (instance.n_jobs + pad, instance.n_ops + pad, instance.n_machines + pad)
    return Simulator(instance, scheme, shape=shape, model=encode(instance, release=release))


def legal_set(simulator: Simulator) -> list[int]:
    return [int(j) for j in np.flatnonzero(simulator.legal())]


@pytest.mark.parametrize("scheme", SCHEMES)
@settings(max_examples=150, deadline=None)
@given(instance=instances(), data=st.data())
def test_kernel_matches_twin_step_by_step(scheme: str, instance: JobShopInstance,
                                          data: st.DataObject) -> None:
    release = data.draw(releases(instance.n_jobs), label="release")
    pad = data.draw(st.integers(0, 2), label="pad")
    kernel = make_simulator(instance, scheme, release, pad)
    twin = ReferenceSim(instance, scheme, release)
    assert kernel.lower_bound == twin.lower_bound
    while not twin.done:
        legal = twin.legal_jobs()
        assert legal, "an unfinished schedule must leave some job to dispatch"
        assert legal_set(kernel) == legal
        job = data.draw(st.sampled_from(legal), label="job")
        assert kernel.dispatch(job) == twin.dispatch(job)
        assert kernel.lower_bound == twin.lower_bound
        assert kernel.makespan == twin.makespan
        # The bound is a bound: no completion of this partial schedule can beat it.
        assert kernel.lower_bound >= kernel.makespan
    assert kernel.done
    assert legal_set(kernel) == []
    schedule = kernel.schedule()
    np.testing.assert_array_equal(schedule.start, np.array(twin.start))
    assert validate(instance, schedule, release) == twin.makespan == kernel.lower_bound


@settings(max_examples=100, deadline=None)
@given(instance=instances(), data=st.data())
def test_rules_match_twin(instance: JobShopInstance, data: st.DataObject) -> None:
    release = data.draw(releases(instance.n_jobs), label="release")
    for scheme in SCHEMES:
        for rule in DETERMINISTIC_RULES:
            kernel = make_simulator(instance, scheme, release)
            twin = ReferenceSim(instance, scheme, release)
            makespan = kernel.run_rule(rule)
            assert makespan == twin.run_rule(rule), (scheme, rule)
            np.testing.assert_array_equal(kernel.schedule().start, np.array(twin.start))
            assert validate(instance, kernel.schedule(), release) == makespan


@pytest.mark.parametrize("scheme", SCHEMES)
def test_rules_match_twin_on_ta01(scheme: str) -> None:
    instance = load_instance("ta01")
    for rule in DETERMINISTIC_RULES:
        makespan = Simulator(instance, scheme).run_rule(rule)
        assert makespan == ReferenceSim(instance, scheme).run_rule(rule), rule


def test_ta01_non_delay_known_makespans() -> None:
    instance = load_instance("ta01")
    known = {"spt": 1462, "mwkr": 1491, "mopnr": 1438}
    assert {rule: Simulator(instance, "non-delay").run_rule(rule) for rule in known} == known


def test_scheme_matters_more_than_rule_on_ta01() -> None:
    instance = load_instance("ta01")
    assert instance.upper_bound == TA01_OPTIMUM
    assert Simulator(instance, "active").run_rule("spt") >= 1.5 * TA01_OPTIMUM
    assert Simulator(instance, "non-delay").run_rule("spt") < 1.25 * TA01_OPTIMUM


def test_random_rule_is_seeded_and_valid() -> None:
    instance = load_instance("ft06")
    for scheme in SCHEMES:
        first, second = Simulator(instance, scheme), Simulator(instance, scheme)
        assert first.run_rule("random", seed=3) == second.run_rule("random", seed=3)
        np.testing.assert_array_equal(first.schedule().start, second.schedule().start)
        assert validate(instance, first.schedule()) == first.makespan


def gap_instance(late_duration: int) -> JobShopInstance:
    """Job 1 keeps machine 0 idle over [0, 5) by waiting for machine 1; job 0 then wants
    machine 0 for ``late_duration``."""
    return JobShopInstance(
        machines=np.array([[0, 1], [1, 0]]),
        durations=np.array([[late_duration, 1], [5, 3]]),
        n_machines=2,
    )


@pytest.mark.parametrize(("duration", "start", "next_start"), [(2, 0, 5), (5, 0, 5), (6, 8, 14)])
def test_insertion_fills_a_gap_only_where_the_operation_fits(
    duration: int, start: int, next_start: int
) -> None:
    kernel = Simulator(gap_instance(duration), "insertion")
    twin = ReferenceSim(gap_instance(duration), "insertion")
    for expected in (0, 5):
        assert kernel.dispatch(1) == twin.dispatch(1) == expected
    assert kernel.dispatch(0) == twin.dispatch(0) == start
    assert kernel.dispatch(0) == twin.dispatch(0) == next_start
    assert validate(kernel.instance, kernel.schedule()) == kernel.makespan == twin.makespan


def test_insertion_uses_a_gap_between_two_operations() -> None:
    # Machine 0 runs [0, 2) and [6, 9); job 2 is ready at 3 and its 3 units fit in [3, 6).
    instance = JobShopInstance(
        machines=np.array([[0, 2], [1, 0], [2, 0]]),
        durations=np.array([[2, 1], [6, 3], [3, 3]]),
        n_machines=3,
    )
    kernel = Simulator(instance, "insertion")
    assert [kernel.dispatch(j) for j in (0, 1, 1, 2, 2, 0)] == [0, 0, 6, 0, 3, 3]
    assert kernel.schedule().machine_sequences()[0] == [(0, 0), (2, 1), (1, 1)]
    assert validate(instance, kernel.schedule()) == 9


def test_active_conflict_set_is_giffler_thompson() -> None:
    # Earliest completion: job 0 on machine 0 at 4. Job 1 also needs machine 0 and can start
    # before 4, so it competes; job 2 needs machine 1 and is left for later.
    instance = JobShopInstance(
        machines=np.array([[0, 1], [0, 1], [1, 0]]),
        durations=np.array([[4, 1], [6, 1], [5, 1]]),
        n_machines=2,
    )
    assert legal_set(Simulator(instance, "active")) == [0, 1]
    assert legal_set(Simulator(instance, "non-delay")) == [0, 1, 2]
    assert legal_set(Simulator(instance, "insertion")) == [0, 1, 2]
    assert ReferenceSim(instance, "active").legal_jobs() == [0, 1]


def test_lower_bound_counts_release_dates() -> None:
    instance = gap_instance(2)
    simulator = Simulator(instance, "non-delay", model=encode(instance, release=[10, 0]))
    assert simulator.lower_bound == 13
    assert legal_set(simulator) == [1]
    assert simulator.run_rule("spt") == validate(instance, simulator.schedule(), [10, 0])
