"""Operations of length 0 (OR-Library's orb07 has one): the validator, the dispatching kernel,
CP-SAT and the env agree on what they mean.

A machine's operations must form a sequence, ``end_a <= start_b`` for consecutive ones, as in
CP-SAT's no-overlap constraint, so an operation of length 0 may touch another one's start or
end but not sit strictly inside it.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from shared_data import shared_data

from decisiongym.baselines.jobshop.cpsat import solve_cpsat
from decisiongym.baselines.jobshop.dispatching import solve_rule
from decisiongym.envs.core.errors import ValidationError
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.env import JobShopEnv
from decisiongym.envs.jobshop.ids import RULE_NAMES, SCHEME_NAMES
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.solution import Schedule, validate

SHARED = shared_data("jssp")


def one_machine_pair(zero_job: int) -> JobShopInstance:
    """Two one-operation jobs on one machine; ``zero_job``'s lasts 0, the other's 5."""
    durations = np.array([[5], [5]])
    durations[zero_job] = 0
    return JobShopInstance(np.array([[0], [0]]), durations, name="pair")


def starts(zero_job: int, zero_start: int) -> np.ndarray:
    start = np.zeros((2, 1), dtype=np.int64)
    start[zero_job] = zero_start
    return start


@pytest.mark.parametrize("zero_job", [0, 1])
@pytest.mark.parametrize("zero_start", [0, 5, 9])
def test_a_zero_length_operation_may_touch_another(zero_job: int, zero_start: int) -> None:
    instance = one_machine_pair(zero_job)
    schedule = Schedule(instance, starts(zero_job, zero_start))
    assert validate(instance, schedule) == max(5, zero_start)


@pytest.mark.parametrize("zero_job", [0, 1])
def test_a_zero_length_operation_may_not_split_another(zero_job: int) -> None:
    instance = one_machine_pair(zero_job)
    with pytest.raises(ValidationError, match="no-overlap"):
        validate(instance, Schedule(instance, starts(zero_job, 3)))


def brute_force_optimum(instance: JobShopInstance) -> int:
    """The least makespan over every order of every machine's operations, each order's
    earliest schedule found by relaxing start times to a fixed point (a cyclic order never
    settles and is skipped)."""
    machines, durations = instance.machines, instance.durations
    per_machine = [list(zip(*np.nonzero(machines == m), strict=True))
                   for m in range(instance.n_machines)]
    best = None
    for orders in itertools.product(*(itertools.permutations(ops) for ops in per_machine)):
        start = np.zeros_like(durations)
        for _ in range(durations.size + 1):
            before = start.copy()
            start[:, 1:] = np.maximum(start[:, 1:], start[:, :-1] + durations[:, :-1])
            for order in orders:
                for a, b in itertools.pairwise(order):
                    start[b] = max(start[b], start[a] + durations[a])
            if np.array_equal(start, before):
                makespan = int((start + durations).max())
                best = makespan if best is None else min(best, makespan)
                break
    assert best is not None
    return best


@pytest.mark.parametrize("seed", range(4))
def test_cpsat_optimum_matches_brute_force_with_zero_lengths(seed: int) -> None:
    rng = np.random.default_rng(seed)
    machines = np.array([rng.permutation(3) for _ in range(3)])
    durations = rng.integers(1, 9, size=(3, 3))
    durations[rng.random((3, 3)) < 0.35] = 0
    durations[0, 0] = max(durations[0, 0], 1)
    instance = JobShopInstance(machines, durations, name=f"zeros{seed}")
    result = solve_cpsat(instance, time_limit=10.0, workers=1, seed=0)
    assert result.status == "OPTIMAL"
    assert result.schedule is not None
    assert validate(instance, result.schedule) == result.makespan
    assert result.makespan == brute_force_optimum(instance)


@pytest.mark.skipif(not (SHARED / "instances" / "orb07.txt").is_file(),
                    reason="reference instance files not available")
def test_orb07_loads_and_solves_to_its_optimum() -> None:
    instance = load_instance(SHARED / "instances" / "orb07.txt")
    assert [tuple(x) for x in np.argwhere(instance.durations == 0)] == [(9, 9)]
    optimum = json.loads((SHARED / "bounds.json").read_text())["orb07"]
    assert optimum["optimal"]
    for scheme in SCHEME_NAMES:
        for rule in RULE_NAMES:
            result = solve_rule(instance, rule, scheme)
            assert validate(instance, result.schedule) == result.makespan >= optimum["ub"]
    result = solve_cpsat(instance, time_limit=60.0, workers=2, seed=0)
    assert result.status == "OPTIMAL"
    assert result.schedule is not None
    assert validate(instance, result.schedule) == result.makespan == optimum["ub"]

    env = JobShopEnv(instance, scheme="active")
    obs, _ = env.reset(seed=0)
    terminated = False
    while not terminated:
        obs, _, terminated, _, info = env.step(int(np.flatnonzero(obs["action_mask"])[0]))
        assert all(np.isfinite(value).all() for value in obs.values())
    assert info["makespan"] >= optimum["ub"]
