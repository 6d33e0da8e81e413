"""Tests of the job-shop instance data and its checks."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.envs.core.errors import InstanceFormatError
from decisiongym.envs.jobshop.instance import JobShopInstance


def test_instance_basics() -> None:
    machines = np.array([[0, 1], [1, 0], [0, 0]])
    durations = np.array([[3, 4], [2, 6], [1, 1]])
    inst = JobShopInstance(machines, durations, name="small")
    assert (inst.n_jobs, inst.n_ops, inst.n_machines, inst.n_operations) == (3, 2, 2, 6)
    # job 1 works 8; machine 0 carries 3 + 6 + 1 + 1 = 11
    assert inst.trivial_lower_bound == 11
    assert not inst.optimal and not inst.is_classic
    assert repr(inst) == "JobShopInstance('small', 3x2)"
    assert inst.machines.dtype == np.int64 and inst.machines.flags.c_contiguous
    with pytest.raises(ValueError):
        inst.machines[0, 0] = 1
    machines[0, 0] = 1  # the caller's array stays writable and independent
    assert inst.machines[0, 0] == 0
    with pytest.raises(AttributeError):
        inst.name = "other"  # type: ignore[misc]
    wide = JobShopInstance([[0, 1]], [[1, 1]], n_machines=5)
    assert wide.n_machines == 5 and "2 ops per job" in repr(wide)
    renamed = JobShopInstance(inst.machines, inst.durations, name="again", upper_bound=20)
    assert renamed.same_data(inst) and not renamed.same_data(wide)
    assert not inst.same_data("small")
    assert JobShopInstance([[0]], [[4]], lower_bound=4, upper_bound=4).optimal
    assert JobShopInstance([[0.0, 1.0]], [[2.0, 3.0]]).durations.dtype == np.int64


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"machines": [[0, 1]], "durations": [[1, 2], [3, 4]]}, "same shape"),
        ({"machines": [0, 1], "durations": [1, 2]}, "2-D"),
        ({"machines": np.zeros((0, 3)), "durations": np.zeros((0, 3))}, "at least 1 job"),
        (
            {"machines": [[0, 1], [1, 0]], "durations": [[1, 2], [3, -1]]},
            "durations must be >= 0, found -1 for job 1, operation 1",
        ),
        (
            {"machines": [[0, 1], [1, 0]], "durations": [[0, 0], [0, 0]]},
            "durations are all 0",
        ),
        (
            {"machines": [[0, 1], [1, 7]], "durations": [[1, 2], [3, 4]], "n_machines": 2},
            "machines must be in 0..1, found 7 for job 1, operation 1",
        ),
        ({"machines": [[0, -1]], "durations": [[1, 2]]}, "found -1 for job 0, operation 1"),
        (
            {"machines": [[0, 1]], "durations": [[1, 2.5]]},
            "durations must be integers, found 2.5 for job 0, operation 1",
        ),
        ({"machines": [[0, 1], [1]], "durations": [[1, 2], [3]]}, "rectangular"),
        ({"machines": [["a", "b"]], "durations": [[1, 2]]}, "machines must be integers"),
        ({"machines": [[0, 1]], "durations": [[1, 2]], "n_machines": -1}, "n_machines"),
        (
            {"machines": [[0, 1]], "durations": [[1, 2]], "lower_bound": 9, "upper_bound": 5},
            "lower_bound must not exceed upper_bound",
        ),
        ({"machines": [[0, 1]], "durations": [[1, 2]], "upper_bound": 2.5}, "upper_bound"),
        ({"machines": [[0, 1]], "durations": [[1, 2]], "name": 3}, "name"),
    ],
)
def test_instance_validation(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(InstanceFormatError) as info:
        JobShopInstance(**kwargs)  # type: ignore[arg-type]
    assert fragment in str(info.value)
    assert info.value.file is None


def test_repeated_machine_allowed_in_memory() -> None:
    inst = JobShopInstance([[0, 1, 0]], [[1, 2, 3]])
    assert inst.n_machines == 2 and inst.n_ops == 3
    assert inst.trivial_lower_bound == 6
