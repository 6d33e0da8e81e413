"""Tests of the scheduling model built from a job-shop instance."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.encoding import NO_DUE_DATE, SchedulingModel, encode
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.simulator import Simulator


@pytest.fixture(scope="module")
def ta01() -> JobShopInstance:
    return load_instance("ta01")


def test_one_interval_per_operation(ta01: JobShopInstance) -> None:
    model = encode(ta01)
    assert model.n_intervals == ta01.n_operations
    assert model.n_jobs == ta01.n_jobs
    assert model.n_resources == ta01.n_machines
    assert sorted(model.job_intervals.ravel().tolist()) == list(range(ta01.n_operations))
    for j in range(ta01.n_jobs):
        for k, interval in enumerate(model.job_intervals[j]):
            assert model.interval_job[interval] == j
            assert model.interval_position[interval] == k
            assert model.modes(int(interval)) == [
                (int(ta01.machines[j, k]), int(ta01.durations[j, k]))
            ]
    assert not model.has_alternatives


def test_precedences_chain_each_job(ta01: JobShopInstance) -> None:
    model = encode(ta01)
    assert model.precedences.shape == (ta01.n_jobs * (ta01.n_ops - 1), 2)
    arcs = {tuple(arc) for arc in model.precedences.tolist()}
    expected = {
        (int(model.job_intervals[j, k]), int(model.job_intervals[j, k + 1]))
        for j in range(ta01.n_jobs)
        for k in range(ta01.n_ops - 1)
    }
    assert arcs == expected


def test_single_mode_tables_round_trip(ta01: JobShopInstance) -> None:
    machine, duration, release = encode(ta01).single_mode_tables()
    np.testing.assert_array_equal(machine, ta01.machines)
    np.testing.assert_array_equal(duration, ta01.durations)
    assert not release.any()


def test_release_goes_on_first_operations() -> None:
    instance = load_instance("ft06")
    release = np.arange(instance.n_jobs) * 10
    model = encode(instance, release=release)
    _, _, table = model.single_mode_tables()
    np.testing.assert_array_equal(table[:, 0], release)
    assert not table[:, 1:].any()
    assert model.horizon() == int(instance.durations.sum()) + int(release.max())


def test_horizon_covers_every_operation_in_series(ta01: JobShopInstance) -> None:
    assert encode(ta01).horizon() >= int(ta01.durations.sum())


def test_due_dates() -> None:
    instance = load_instance("ft06")
    assert (encode(instance).job_due == NO_DUE_DATE).all()
    due = np.full(instance.n_jobs, 50)
    np.testing.assert_array_equal(encode(instance, job_due=due).job_due, due)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("release", [0, 0, 0, 0, 0]),
        ("release", [0, 0, 0, 0, 0, -1]),
        ("job_due", [[1, 2, 3, 4, 5, 6]]),
        ("job_due", [1, 2, 3, 4, 5, -6]),
    ],
)
def test_bad_release_or_due(field: str, value: list[int]) -> None:
    with pytest.raises(ValueError, match=field):
        encode(load_instance("ft06"), **{field: np.array(value)})


def test_model_is_frozen(ta01: JobShopInstance) -> None:
    model = encode(ta01)
    with pytest.raises(ValueError):
        model.mode_duration[0] = 1


def flexible_model() -> SchedulingModel:
    """Two jobs of one interval each; interval 0 may run on resource 0 or 1."""
    return SchedulingModel(
        name="flexible",
        n_resources=2,
        job_intervals=np.array([[0], [1]]),
        interval_job=np.array([0, 1]),
        interval_position=np.array([0, 0]),
        mode_offsets=np.array([0, 2, 3]),
        mode_resource=np.array([0, 1, 1]),
        mode_duration=np.array([4, 7, 2]),
        release=np.array([0, 0]),
        job_due=np.array([NO_DUE_DATE, NO_DUE_DATE]),
        precedences=np.zeros((0, 2), dtype=np.int64),
    )


def test_alternative_modes_are_refused_by_the_simulator_tables() -> None:
    model = flexible_model()
    assert model.has_alternatives
    assert model.modes(0) == [(0, 4), (1, 7)]
    assert model.horizon() == 7 + 2
    with pytest.raises(NotImplementedError, match="flexible"):
        model.single_mode_tables()
    instance = JobShopInstance(np.array([[0], [1]]), np.array([[4], [2]]))
    with pytest.raises(NotImplementedError):
        Simulator(instance, model=model)
