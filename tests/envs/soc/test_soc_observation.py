"""The observation the numba kernels write in place, element by element against the plain
NumPy twin in soc_obs_reference, on seeded episodes of random legal actions in both modes;
and the kernels' NumPy-order summation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from soc_obs_reference import reference_view

from decisiongym.envs.soc.env import SoCSchedulingEnv
from decisiongym.envs.soc.observation import pairwise_sum
from decisiongym.envs.soc.parallel import parallel_env

CONFIGS = {
    # the default slots and DAG rows, a light stream
    "default": {"n_jobs": 12, "rate_jobs_per_ms": 3.0},
    # a loaded system: more ready tasks than slots, jobs beyond the DAG rows (ready_ref -1)
    "crowded": {"n_jobs": 16, "rate_jobs_per_ms": 12.0, "max_ready": 4,
                "max_jobs_in_system": 2},
    # noisy durations: estimated free times differ from the true ones
    "noisy": {"n_jobs": 10, "rate_jobs_per_ms": 6.0, "noise": "lognormal", "sigma": 0.4,
              "max_ready": 6, "max_jobs_in_system": 3},
}


def assert_matches_reference(env: SoCSchedulingEnv, obs: dict[str, np.ndarray],
                             info: dict[str, Any], where: str) -> float:
    """Compare what the env shows with the reference; return the reference's latency, ms."""
    ref = reference_view(env)
    assert set(obs) == set(ref.observation)
    for key, expected in ref.observation.items():
        assert obs[key].dtype == expected.dtype, (where, key)
        np.testing.assert_array_equal(obs[key], expected, err_msg=f"{where}: {key}")
    np.testing.assert_array_equal(env.slot_tasks(), ref.slot_tasks, err_msg=where)
    np.testing.assert_array_equal(env.legal_pairs(), ref.legal, err_msg=where)
    np.testing.assert_array_equal(env.estimated_finish_us(), ref.finish_us, err_msg=where)
    assert info["jobs_in_system"] == ref.jobs_in_system, where
    assert info["latency_accrued_ms"] == ref.latency_ms, where
    return ref.latency_ms


@pytest.mark.parametrize("mode", ["task-pe", "task"])
@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("seed", [0, 1])
def test_observation_matches_the_reference_at_every_step(mode: str, config: str,
                                                          seed: int) -> None:
    env = SoCSchedulingEnv(mode=mode, **CONFIGS[config])
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    latency_ms = assert_matches_reference(env, obs, info, "reset")
    done, step = False, 0
    while not done:
        legal = np.flatnonzero(obs["action_mask"])
        obs, reward, done, truncated, info = env.step(int(legal[rng.integers(legal.size)]))
        step += 1
        before, latency_ms = latency_ms, assert_matches_reference(env, obs, info, f"step {step}")
        assert reward == before - latency_ms
        assert not truncated
        assert done == (info["completed_jobs"] == env.workload.n_jobs)
    assert step == env.workload.n_rows


def test_a_second_episode_starts_from_a_clean_observation() -> None:
    # the arrays are rewritten in place: nothing of the first episode may leak into the next
    env = SoCSchedulingEnv(n_jobs=6, rate_jobs_per_ms=8.0, max_ready=4, max_jobs_in_system=2)
    for seed in (0, 1, 2):
        obs, info = env.reset(seed=seed)
        assert_matches_reference(env, obs, info, f"reset {seed}")
        done, steps = False, 0
        while not done and steps < 25:
            obs, _, done, _, info = env.step(int(np.flatnonzero(obs["action_mask"])[-1]))
            steps += 1
        assert_matches_reference(env, obs, info, f"seed {seed} after {steps} steps")


def test_parallel_commits_and_waits_keep_the_observation_exact() -> None:
    # several commits at once and explicit waits: the paths PettingZoo's game takes
    game = parallel_env(n_jobs=8, rate_jobs_per_ms=6.0, max_ready=6, max_jobs_in_system=3)
    rng = np.random.default_rng(3)
    observations, infos = game.reset(seed=3)
    while game.agents:
        core = game.core
        shared = core.observation()
        assert_matches_reference(core, shared, core.episode_info(), "parallel")
        actions = {}
        for name in game.agents:
            legal = np.flatnonzero(observations[name]["action_mask"])
            actions[name] = int(legal[rng.integers(legal.size)])
        observations, _, _, _, _ = game.step(actions)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 127, 128, 129, 255, 256, 1000, 4099])
def test_pairwise_sum_gives_numpys_bits(n: int) -> None:
    values = np.random.default_rng(n).exponential(1000.0, n + 5) * 1.1
    assert pairwise_sum(values, 3, n) == float(np.sum(values[3:3 + n]))
