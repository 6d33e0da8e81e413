"""The allocation env: first-fit placement against a plain-Python twin, masks, rewards worked out
by hand, the optimum within reach, and every final answer re-checked by validate_allocation."""

from __future__ import annotations

import itertools

import gymnasium as gym
import numpy as np
import pytest
from shared_data import shared_data

import decisiongym  # noqa: F401  (registers the ids)
from decisiongym.envs import family
from decisiongym.envs.core.errors import InputError, InvalidActionError, ValidationError
from decisiongym.envs.memory.allocation_env import MemoryAllocationEnv
from decisiongym.envs.memory.generator import TightAllocationGenerator
from decisiongym.envs.memory.problem import AllocationProblem, validate_allocation
from decisiongym.envs.memory.solution import Allocation

SHARED = shared_data("memory")


def first_fit(problem: AllocationProblem, offsets: list[int], i: int, limit: int) -> int:
    """The lowest aligned offset where buffer ``i`` meets no placed buffer, or -1 (a plain
    twin of the kernel: try 0 and the top of every placed buffer it meets)."""
    met = [j for j in range(problem.n_buffers)
           if j != i and offsets[j] >= 0 and problem.lower[j] < problem.upper[i]
           and problem.lower[i] < problem.upper[j]]
    a = problem.alignment
    for start in sorted({0} | {-(-(offsets[j] + int(problem.size[j])) // a) * a for j in met}):
        end = start + int(problem.size[i])
        if end <= limit and all(end <= offsets[j] or offsets[j] + problem.size[j] <= start
                                for j in met):
            return start
    return -1


def random_problem(rng: np.random.Generator, n: int, alignment: int = 1) -> AllocationProblem:
    lower = rng.integers(0, 20, n)
    upper = lower + rng.integers(1, 10, n)
    size = rng.integers(1, 9, n) * alignment
    problem = AllocationProblem(lower, upper, size, 1, alignment=alignment)
    return problem.with_capacity(int(problem.max_live() * rng.uniform(1.0, 1.4)) + alignment)


# P [0,1) size 1, Q [0,2) size 1, R [1,2) size 2, S [3,4) size 1 in a memory of 3 units: placing
# P then Q splits the free space at t=1 into two 1-unit gaps, so R no longer fits.
TRAP = AllocationProblem([0, 0, 1, 3], [1, 2, 2, 4], [1, 1, 2, 1], 3, ("P", "Q", "R", "S"))


@pytest.mark.parametrize("alignment", [1, 4])
def test_random_episodes_follow_the_first_fit_twin(alignment: int) -> None:
    rng = np.random.default_rng(alignment)
    for _ in range(15):
        problem = random_problem(rng, int(rng.integers(1, 25)), alignment)
        env = MemoryAllocationEnv(problem)
        obs, info = env.reset(seed=0)
        offsets = [-1] * problem.n_buffers
        done = False
        while not done:
            legal = [i for i in range(problem.n_buffers) if offsets[i] < 0
                     and first_fit(problem, offsets, i, problem.capacity) >= 0]
            assert np.flatnonzero(obs["action_mask"]).tolist() == legal
            assert env.action_masks().tolist()[:problem.n_buffers] == \
                [i in legal for i in range(problem.n_buffers)]
            i = int(rng.choice(legal))
            offsets[i] = first_fit(problem, offsets, i, problem.capacity)
            obs, reward, done, truncated, info = env.step(i)
            assert info["offsets"].tolist() == offsets and not truncated
        if info["placed"] == problem.n_buffers:
            assert info["peak"] == validate_allocation(problem, np.array(offsets))
            assert info["success"] and reward == 1.0
        else:
            assert info["failed"] == "no legal buffer left" and -1 <= reward < 0


def test_trap_by_hand() -> None:
    env = MemoryAllocationEnv(TRAP)
    env.reset(seed=0)
    _, reward, done, _, info = env.step(0)      # P at 0
    assert (reward, done, info["offsets"].tolist()) == (0.0, False, [0, -1, -1, -1])
    obs, reward, done, _, info = env.step(1)    # Q meets P: at 1
    assert info["offsets"].tolist() == [0, 1, -1, -1] and not done
    assert obs["action_mask"].tolist() == [0, 0, 0, 1]  # R fits nowhere, S does
    _, reward, done, _, info = env.step(2)      # R anyway: failure
    # areas: P 1, Q 2, R 2, S 1; R and S are left, half of the total
    assert done and reward == -0.5 and "'R' fits nowhere" in info["failed"]
    assert not info["success"]


def test_trap_ends_when_no_buffer_fits() -> None:
    problem = AllocationProblem(TRAP.lower[:3], TRAP.upper[:3], TRAP.size[:3], 3)
    env = MemoryAllocationEnv(problem)
    env.reset(seed=0)
    env.step(0)
    _, reward, done, _, info = env.step(1)
    assert done and reward == pytest.approx(-2 / 5) and info["failed"] == "no legal buffer left"


def test_trap_solved_in_the_right_order() -> None:
    env = MemoryAllocationEnv(TRAP)
    env.reset(seed=0)
    for action in (1, 0, 2, 3):  # Q at 0, P at 1, R at 1, S at 0
        _, reward, done, _, info = env.step(action)
    assert done and reward == 1.0 and info["success"]
    assert info["offsets"].tolist() == [1, 0, 1, 0] and info["peak"] == 3


def test_peak_mode_by_hand() -> None:
    env = MemoryAllocationEnv(TRAP, objective="peak")
    obs, _ = env.reset(seed=0)
    assert obs["action_mask"].tolist() == [1, 1, 1, 1]
    rewards = []
    for action in (0, 1, 2, 3):  # R goes on top of Q: [2, 4)
        _, reward, done, _, info = env.step(action)
        rewards.append(reward)
    assert info["offsets"].tolist() == [0, 1, 2, 0] and info["peak"] == 4
    assert rewards == pytest.approx([-1 / 3, -1 / 3, -2 / 3, 0.0])
    assert sum(rewards) == pytest.approx(-4 / 3) and done and not info["success"]


def test_peak_mode_return_is_minus_the_validated_peak() -> None:
    rng = np.random.default_rng(5)
    for _ in range(10):
        problem = random_problem(rng, 20).with_capacity(10)
        env = MemoryAllocationEnv(problem, objective="peak")
        env.reset(seed=1)
        total, done = 0.0, False
        while not done:
            _, reward, done, _, info = env.step(int(rng.choice(
                np.flatnonzero(env.action_masks()))))
            total += reward
        assert info["peak"] == validate_allocation(problem, info["offsets"], capacity=2**62)
        assert total == pytest.approx(-info["peak"] / 10)


@pytest.mark.parametrize("seed", range(4))
def test_some_order_reaches_the_known_optimum(seed: int) -> None:
    """Strip instances pack exactly at the capacity; some action order finds that packing."""
    problem = TightAllocationGenerator(n_buffers=6, capacity=8, horizon=6, alignment=1)(
        np.random.default_rng(seed))
    assert problem.max_live() == problem.capacity == 8
    env = MemoryAllocationEnv(problem)
    for order in itertools.permutations(range(6)):
        env.reset()
        for action in order:
            _, reward, done, _, info = env.step(action)
            if done:
                break
        if info.get("success"):
            assert info["peak"] == 8
            return
    pytest.fail("no order packs the strip instance")


def test_illegal_actions_pay_and_change_nothing() -> None:
    env = MemoryAllocationEnv(TRAP, max_buffers=6)
    env.reset(seed=0)
    env.step(0)
    for action in (0, 4, 9, "x"):
        obs, reward, done, truncated, info = env.step(action)
        assert reward == -1.0 and not done and info["offsets"].tolist() == [0, -1, -1, -1]
        assert "invalid_action" in info
    assert truncated  # four illegal actions, as many as the problem has buffers
    strict = MemoryAllocationEnv(TRAP, invalid_action="raise")
    strict.reset(seed=0)
    strict.step(0)
    with pytest.raises(InvalidActionError, match="'P' is already placed"):
        strict.step(0)


def test_fixed_buffers_start_placed() -> None:
    problem = AllocationProblem(TRAP.lower, TRAP.upper, TRAP.size, 3, TRAP.names,
                                fixed_offsets=np.array([-1, 0, -1, -1]))
    env = MemoryAllocationEnv(problem)
    obs, info = env.reset(seed=0)
    assert info["offsets"].tolist() == [-1, 0, -1, -1]
    assert obs["action_mask"].tolist() == [1, 0, 1, 1]
    for action in (0, 2, 3):
        _, reward, done, _, info = env.step(action)
    assert info["success"] and info["offsets"].tolist() == [1, 0, 1, 0]


def test_observation_layout() -> None:
    env = MemoryAllocationEnv(TRAP, max_buffers=5)
    env.reset(seed=0)
    obs, *_ = env.step(1)  # Q at 0
    buffers = obs["buffers"]
    # valid, placed, legal, lower, upper, size, offset, candidate offset, pressure
    np.testing.assert_allclose(buffers[1], [1, 1, 0, 0, 2 / 4, 1 / 3, 0, 0, 3 / 3])
    np.testing.assert_allclose(buffers[2], [1, 0, 1, 1 / 4, 2 / 4, 2 / 3, 0, 1 / 3, 3 / 3])
    np.testing.assert_allclose(buffers[4], np.zeros(9))
    np.testing.assert_allclose(obs["memory"], [1 / 3, 1 / 4, 2 / 6])
    assert env.observation_space.contains(obs)


def test_programs_and_workload_names_as_problems() -> None:
    env = MemoryAllocationEnv("mlp-b32")
    _, info = env.reset(seed=0)
    problem = env.problem
    assert problem is not None and problem.capacity == problem.max_live()
    loose = MemoryAllocationEnv("mlp-b32", capacity=1.5)
    loose.reset(seed=0)
    assert loose.problem is not None
    assert loose.problem.capacity == int(1.5 * problem.max_live())
    done = False
    while not done:
        _, _, done, _, info = loose.step(int(np.flatnonzero(loose.action_masks())[0]))
    assert info["success"]
    assert family("memory").validate(loose.problem, Allocation(info["offsets"])) == info["peak"]


def test_seeds_repeat_the_instance_and_options_swap_it() -> None:
    env = gym.make("decisiongym/MemoryAllocation-v0")
    first, _ = env.reset(seed=3)
    second, _ = env.reset(seed=3)
    np.testing.assert_array_equal(first["buffers"], second["buffers"])
    other, _ = env.reset(seed=4)
    assert not np.array_equal(first["buffers"], other["buffers"])
    swapped, _ = env.reset(options={"problem": TRAP})
    assert swapped["buffers"][:4, 0].tolist() == [1, 1, 1, 1]
    assert swapped["buffers"][4:, 0].tolist() == [0] * 8


def test_bad_arguments_are_typed_errors() -> None:
    with pytest.raises(InputError, match="objective"):
        MemoryAllocationEnv(objective="fast")
    with pytest.raises(InputError, match="capacity"):
        MemoryAllocationEnv(TRAP, capacity=-1)
    with pytest.raises(InputError, match="max_buffers"):
        MemoryAllocationEnv(TRAP, max_buffers=2)
    with pytest.raises(InputError, match="problem"):
        MemoryAllocationEnv(problem=3)  # type: ignore[arg-type]


def test_family_validator_catches_a_planted_overlap() -> None:
    validate = family("memory").validate
    assert validate(TRAP, Allocation(np.array([1, 0, 1, 0]))) == 3
    with pytest.raises(ValidationError) as error:
        validate(TRAP, np.array([0, 0, 1, 0]))  # P and Q share [0, 1) at time 0
    assert error.value.constraint == "no-overlap"
    with pytest.raises(ValidationError):
        validate(TRAP, Allocation(np.array([1, 0, 2, 0])))  # R ends at 4 > 3
    assert validate(TRAP, Allocation(np.array([1, 0, 2, 0]), capacity=4)) == 4


@pytest.mark.skipif(not (SHARED / "minimalloc_challenging").is_dir(),
                    reason="the MiniMalloc benchmarks are not here")
def test_a_minimalloc_benchmark_runs_to_a_valid_end() -> None:
    path = sorted((SHARED / "minimalloc_challenging").glob("*.csv"))[0]
    env = MemoryAllocationEnv(str(path), objective="peak")
    env.reset(seed=0)
    done = False
    while not done:
        _, _, done, _, info = env.step(int(np.flatnonzero(env.action_masks())[0]))
    assert env.problem is not None
    assert info["peak"] >= env.problem.capacity


def test_docstring_example_runs() -> None:
    import doctest

    from decisiongym.envs.memory import allocation_env

    result = doctest.testmod(allocation_env)
    assert result.attempted > 0 and result.failed == 0
