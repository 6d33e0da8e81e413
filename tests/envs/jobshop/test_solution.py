"""Tests of Schedule and of validate, the independent check of a job-shop schedule."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.baselines.jobshop.dispatching import RULE_NAMES, SCHEME_NAMES, solve_rule
from decisiongym.envs.core.errors import ValidationError
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.generator import RandomInstanceGenerator
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.solution import Schedule, validate


@pytest.fixture(scope="module")
def ft06_schedule() -> Schedule:
    return solve_rule(load_instance("ft06"), "mwkr", "non-delay").schedule


def corrupted(schedule: Schedule, start: np.ndarray) -> Schedule:
    return Schedule(schedule.instance, start)


def failure(
    instance: JobShopInstance, schedule: Schedule, release: np.ndarray | None = None
) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate(instance, schedule, release)
    return info.value


@pytest.mark.parametrize("instance_name", ["ft06", "random"])
def test_rule_schedules_validate(instance_name: str) -> None:
    if instance_name == "ft06":
        instance = load_instance("ft06")
    else:
        instance = RandomInstanceGenerator(n_jobs=10, n_machines=5).sample(7)
    for scheme in SCHEME_NAMES:
        for rule in RULE_NAMES:
            result = solve_rule(instance, rule, scheme)
            assert result.schedule.complete
            assert validate(instance, result.schedule) == result.makespan
            assert result.schedule.makespan == result.makespan


def test_precedence_violation_names_the_job(ft06_schedule: Schedule) -> None:
    instance = ft06_schedule.instance
    start = ft06_schedule.start.copy()
    j, k = 2, 3
    # One unit earlier than its predecessor's end.
    start[j, k] = start[j, k - 1] + instance.durations[j, k - 1] - 1
    error = failure(instance, corrupted(ft06_schedule, start))
    assert error.constraint == "precedence"
    assert error.operands == ((j, k - 1), (j, k))
    assert f"job {j}:" in str(error)


def test_overlap_violation_names_the_machine(ft06_schedule: Schedule) -> None:
    instance = ft06_schedule.instance
    start = ft06_schedule.start.copy()
    # Shift all of job 0 so that one of its operations starts together with another job's
    # operation on the same machine: its own chain stays in order, only a machine clashes.
    machine = int(instance.machines[0, 0])
    other = next(j for j in range(1, instance.n_jobs) if machine in instance.machines[j])
    other_op = int(np.flatnonzero(instance.machines[other] == machine)[0])
    start[0] += start[other, other_op] - start[0, 0]
    error = failure(instance, corrupted(ft06_schedule, start))
    assert error.constraint == "no-overlap"
    (ja, ka), (jb, kb) = error.operands
    clash_machine = int(instance.machines[ja, ka])
    assert instance.machines[jb, kb] == clash_machine
    assert f"machine {clash_machine}:" in str(error)
    assert f"job {ja} op {ka}" in str(error) and f"job {jb} op {kb}" in str(error)


def test_overlap_of_two_single_operation_jobs() -> None:
    instance = JobShopInstance(np.array([[1], [1]]), np.array([[3], [2]]), n_machines=2)
    error = failure(instance, Schedule(instance, np.array([[0], [2]])))
    assert error.constraint == "no-overlap"
    assert error.operands == ((0, 0), (1, 0))
    assert "machine 1:" in str(error)
    # Touching intervals do not overlap.
    assert validate(instance, Schedule(instance, np.array([[0], [3]]))) == 5


def test_missing_operation_is_incomplete(ft06_schedule: Schedule) -> None:
    start = ft06_schedule.start.copy()
    start[4, 1] = -1
    error = failure(ft06_schedule.instance, corrupted(ft06_schedule, start))
    assert error.constraint == "completeness"
    assert error.operands == ((4, 1),)
    assert "operation 1 of job 4" in str(error)


def test_wrong_shape(ft06_schedule: Schedule) -> None:
    instance = ft06_schedule.instance
    error = failure(instance, corrupted(ft06_schedule, ft06_schedule.start[:, :-1]))
    assert error.constraint == "shape"
    assert "ft06" in str(error)


def test_release_dates(ft06_schedule: Schedule) -> None:
    instance = ft06_schedule.instance
    release = np.zeros(instance.n_jobs, dtype=np.int64)
    release[3] = ft06_schedule.start[3, 0] + 1
    error = failure(instance, ft06_schedule, release=release)
    assert error.constraint == "release"
    assert error.operands == ((3, 0),)
    assert "job 3 starts" in str(error)
    release[3] -= 1
    assert validate(instance, ft06_schedule, release) == ft06_schedule.makespan


def test_records_and_makespan() -> None:
    instance = JobShopInstance(np.array([[0, 1], [1, 0]]), np.array([[2, 3], [4, 1]]))
    schedule = Schedule(instance, np.array([[0, 4], [0, 7]]))
    assert schedule.complete
    assert schedule.makespan == validate(instance, schedule) == 8
    assert schedule.end.tolist() == [[2, 7], [4, 8]]
    assert schedule.to_records() == [
        {"job": 0, "op": 0, "machine": 0, "start": 0, "duration": 2},
        {"job": 0, "op": 1, "machine": 1, "start": 4, "duration": 3},
        {"job": 1, "op": 0, "machine": 1, "start": 0, "duration": 4},
        {"job": 1, "op": 1, "machine": 0, "start": 7, "duration": 1},
    ]
    assert schedule.machine_sequences() == [[(0, 0), (1, 1)], [(1, 0), (0, 1)]]
    assert schedule.as_dict()["makespan"] == 8


def test_partial_schedule() -> None:
    instance = JobShopInstance(np.array([[0, 1], [1, 0]]), np.array([[2, 3], [4, 1]]))
    partial = Schedule(instance, np.array([[0, -1], [0, -1]]))
    assert not partial.complete
    assert partial.makespan == 4
    assert [(r["job"], r["op"]) for r in partial.to_records()] == [(0, 0), (1, 0)]
    assert Schedule(instance, np.full((2, 2), -1)).makespan == 0


def test_schedule_owns_a_frozen_copy() -> None:
    instance = JobShopInstance(np.array([[0]]), np.array([[5]]))
    start = np.array([[1]])
    schedule = Schedule(instance, start)
    start[0, 0] = 99
    assert schedule.start[0, 0] == 1
    with pytest.raises(ValueError):
        schedule.start[0, 0] = 2
