"""SoCSchedulingEnv: the API checkers, episodes whose traces validate and whose return is minus
the summed latency, agreement of the task-only mode with the simulator's EFT rule, seeding,
illegal actions (raised and penalized), the observation's contents and a short MaskablePPO run."""

from __future__ import annotations

import doctest
import warnings
from typing import Any

import numpy as np
import pytest

from decisiongym.envs.core.errors import InvalidActionError
from decisiongym.envs.soc import env as env_module
from decisiongym.envs.soc.builtin import load_application
from decisiongym.envs.soc.env import SoCSchedulingEnv, resolve_mix
from decisiongym.envs.soc.graph import TaskGraph, task_graph
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.simulator import SoCSimulator
from decisiongym.envs.soc.solution import validate
from decisiongym.envs.soc.workload import fixed_workload

BENIGN_WARNINGS = (
    "maximum value is infinity",
    "unconventional shape",
    "is an image but",
    "minimal resolution for an image",
    "Treating image space as channels-last",
)


def unexpected(caught: list[warnings.WarningMessage]) -> list[str]:
    # Library deprecations say nothing about this env; only the checkers' findings count.
    messages = [str(w.message) for w in caught
                if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    return [m for m in messages if not any(b in m for b in BENIGN_WARNINGS)]


def small_platform(type_names: tuple[str, ...], pe_type: list[int]) -> Platform:
    n_types, n = len(type_names), len(pe_type)
    return Platform(name="test", type_names=type_names, pe_type=np.array(pe_type),
                    frequency_mhz=np.full(n_types, 1000.0), busy_power_w=np.ones(n_types),
                    idle_power_w=np.zeros(n_types), bandwidth=np.full((n, n), 100.0))


def run_first_legal(env: SoCSchedulingEnv, seed: int) -> tuple[int, float, dict[str, Any]]:
    obs, info = env.reset(seed=seed)
    done, steps, total = False, 0, 0.0
    while not done:
        obs, reward, done, truncated, info = env.step(int(np.flatnonzero(obs["action_mask"])[0]))
        assert not truncated
        total += reward
        steps += 1
    return steps, total, info


# -- API checkers ------------------------------------------------------------------------------
# The checkers step with action_space.sample(), blind to the mask: illegal actions are penalized.
@pytest.mark.parametrize("mode", ["task-pe", "task"])
def test_gymnasium_and_sb3_checkers_pass(mode: str) -> None:
    from gymnasium.utils.env_checker import check_env as gym_check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = SoCSchedulingEnv(mode=mode, n_jobs=5, invalid_action="penalize")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gym_check_env(env, skip_render_check=True)
        sb3_check_env(env, warn=True)
    assert unexpected(caught) == []


# -- whole episodes ----------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["task-pe", "task"])
@pytest.mark.parametrize(("noise", "sigma"), [("none", 0.0), ("gaussian", 0.3)])
def test_first_legal_episode_validates_and_returns_minus_summed_latency(
    mode: str, noise: str, sigma: float
) -> None:
    env = SoCSchedulingEnv(mode=mode, n_jobs=12, rate_jobs_per_ms=4.0, noise=noise, sigma=sigma)
    steps, total, info = run_first_legal(env, seed=3)
    workload = env.workload
    result = info["result"]
    assert steps == workload.n_rows  # one commit per step
    assert result.completed_jobs == workload.n_jobs
    validate(env.platform, workload.applications, info["trace"], result.job_app, result.arrival,
             result.durations)
    latency_ms = float(np.sum(result.latency_us)) / 1000.0
    assert latency_ms > 0
    assert total == pytest.approx(-latency_ms, rel=1e-9)
    assert info["latency_mean_us"] == pytest.approx(latency_ms * 1000.0 / workload.n_jobs)


def test_task_only_mode_picking_slot_zero_is_the_simulators_eft_rule() -> None:
    env = SoCSchedulingEnv(mode="task", n_jobs=30, rate_jobs_per_ms=6.0)
    obs, _ = env.reset(seed=11)
    done, info = False, {}
    while not done:
        assert obs["action_mask"][0] == 1
        obs, _, done, _, info = env.step(0)
    reference = SoCSimulator(env.platform, env.workload).run("eft")
    np.testing.assert_array_equal(info["trace"].pe, reference.trace.pe)
    np.testing.assert_array_equal(info["trace"].start, reference.trace.start)
    assert info["latency_mean_us"] == reference.latency_mean_us


def test_attach_drives_a_simulator_built_elsewhere_with_its_own_settings() -> None:
    env = SoCSchedulingEnv(mode="task", n_jobs=30, rate_jobs_per_ms=6.0)
    env.reset(seed=11)
    workload = env.workload
    simulator = SoCSimulator(env.platform, workload, warmup_jobs=5)
    done = env.attach(simulator)
    assert not done and env.simulator is simulator and env.workload is workload
    while not done:
        _, _, done, _, _ = env.step(0)
    result = simulator.result("attached")
    reference = SoCSimulator(env.platform, workload, warmup_jobs=5).run("eft")
    np.testing.assert_array_equal(result.trace.pe, reference.trace.pe)
    np.testing.assert_array_equal(result.trace.start, reference.trace.start)
    assert result.latency_mean_us == reference.latency_mean_us
    one_pe = small_platform(("A",), [0])
    graph = task_graph("one", {"t": {"A": 10.0}}, [])
    with pytest.raises(ValueError, match="other PEs"):
        env.attach(SoCSimulator(one_pe, fixed_workload([graph])))


def test_one_task_reward_is_its_latency_in_ms() -> None:
    graph = task_graph("one", {"t": {"P": 10.0}}, [])
    env = SoCSchedulingEnv(platform=small_platform(("P",), [0]), mix=graph, n_jobs=1)
    obs, _ = env.reset(seed=0)
    assert obs["action_mask"].tolist() == [1] + [0] * (env.max_ready - 1)
    _, reward, terminated, truncated, info = env.step(0)
    assert (reward, terminated, truncated) == (pytest.approx(-0.01), True, False)
    assert info["trace"].finish.tolist() == [10.0]


def test_same_seed_same_episode_and_another_seed_another_workload() -> None:
    def episode(seed: int) -> tuple[np.ndarray, list[float]]:
        env = SoCSchedulingEnv(n_jobs=8, noise="lognormal", sigma=0.2)
        obs, _ = env.reset(seed=seed)
        rewards, done = [], False
        while not done:
            legal = np.flatnonzero(obs["action_mask"])
            obs, reward, done, _, _ = env.step(int(legal[-1]))
            rewards.append(reward)
        return env.workload.arrival, rewards

    arrival, rewards = episode(5)
    again_arrival, again_rewards = episode(5)
    np.testing.assert_array_equal(arrival, again_arrival)
    assert rewards == again_rewards
    other_arrival, _ = episode(6)
    assert not np.array_equal(arrival, other_arrival)


# -- illegal actions ---------------------------------------------------------------------------
def three_tasks_env(**kwargs: Any) -> SoCSchedulingEnv:
    """PEs A.0, A.1, B.0; three independent tasks, the first two runnable on A only."""
    graph = task_graph("three", {"t0": {"A": 10.0}, "t1": {"A": 10.0},
                                 "t2": {"A": 10.0, "B": 20.0}}, [])
    return SoCSchedulingEnv(platform=small_platform(("A", "B"), [0, 0, 1]), mix=graph,
                            n_jobs=1, max_ready=4, **kwargs)


def test_illegal_actions_raise_naming_the_slot_and_pe() -> None:
    env = three_tasks_env(invalid_action="raise")
    obs, _ = env.reset(seed=0)
    n_pes = 3
    assert obs["action_mask"].reshape(4, n_pes).tolist() == [
        [1, 1, 0], [1, 1, 0], [1, 1, 1], [0, 0, 0]]
    with pytest.raises(InvalidActionError, match=r"PE B\.0 \(index 2\) cannot run task 't0' "
                                                 r"of job 0 in slot 0"):
        env.step(0 * n_pes + 2)
    with pytest.raises(InvalidActionError, match="slot 3 is empty: the 3 ready task"):
        env.step(3 * n_pes)
    with pytest.raises(InvalidActionError, match=r"in \[0, 12\)"):
        env.step(12)
    env.step(0 * n_pes + 0)  # t0 -> A.0; t1 and t2 move up to slots 0 and 1
    assert env.slot_tasks()[:2].tolist() == [1, 2]
    with pytest.raises(InvalidActionError, match=r"PE A\.0 \(index 0\) is busy until about "
                                                 r"10\.000 us; task 't1'"):
        env.step(0 * n_pes + 0)


def test_task_only_mode_raises_for_an_empty_slot() -> None:
    env = three_tasks_env(mode="task", invalid_action="raise")
    env.reset(seed=0)
    assert env.action_space.n == 4
    with pytest.raises(InvalidActionError, match="slot 3 is empty"):
        env.step(3)
    env.step(2)  # t2: EFT picks A.0 (10 us) over B.0 (20 us)
    assert env.simulator.committed()[0][2] == 0


def test_penalize_leaves_the_state_and_truncates_after_as_many_illegal_actions_as_tasks() -> None:
    env = three_tasks_env(invalid_action="penalize", invalid_action_penalty=2.5)
    obs, _ = env.reset(seed=0)
    for k in range(3):
        again, reward, terminated, truncated, info = env.step(2)
        assert reward == -2.5 and not terminated
        assert truncated == (k == 2)
        assert "cannot run" in info["invalid_action"]
        for key in obs:
            np.testing.assert_array_equal(again[key], obs[key])


@pytest.mark.parametrize("mode", ["task-pe", "task"])
def test_illegal_actions_are_penalized_by_default(mode: str) -> None:
    env = three_tasks_env(mode=mode)
    obs, _ = env.reset(seed=0)
    again, reward, terminated, truncated, info = env.step(3 * (3 if mode == "task-pe" else 1))
    assert reward == -1.0 and not terminated and not truncated
    assert "slot 3 is empty" in info["invalid_action"]
    for key in obs:
        np.testing.assert_array_equal(again[key], obs[key])


def test_step_before_reset_and_after_the_end_raise() -> None:
    env = three_tasks_env()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    run_first_legal(env, seed=0)
    with pytest.raises(RuntimeError, match="episode is over"):
        env.step(0)


# -- observation -------------------------------------------------------------------------------
def test_observation_describes_the_slots_jobs_and_dags() -> None:
    env = SoCSchedulingEnv(n_jobs=20, rate_jobs_per_ms=8.0)
    obs, _ = env.reset(seed=2)
    n_pes = env.n_pes
    seen_dag = False
    for _ in range(60):
        mask = obs["action_mask"].reshape(env.max_ready, n_pes).astype(bool)
        tasks = obs["tasks"]
        filled = tasks[:, 0] == 1
        assert np.array_equal(mask.any(axis=1), tasks[:, 1] == 1)
        # a legal pair has a finite finish estimate; an empty slot has none
        assert np.all(obs["estimated_finish"][mask] >= 0)
        assert np.all(obs["estimated_finish"][~filled] == -1)
        for slot in np.flatnonzero(filled):
            job_slot, task = obs["ready_ref"][slot]
            if job_slot >= 0:
                assert obs["job_tasks"][job_slot, task, 1] == 1  # shown as ready in its DAG
        n_jobs = int(obs["jobs"][:, 0].sum())
        assert n_jobs == min(env.episode_info()["jobs_in_system"], env.max_jobs_in_system)
        for j, job in enumerate(env.simulator.unfinished_jobs()[:n_jobs].tolist()):
            graph = env.workload.applications[int(env.workload.job_app[job])]
            expected = np.zeros((env.max_tasks, env.max_tasks), np.int8)
            expected[graph.edges[:, 0], graph.edges[:, 1]] = 1
            np.testing.assert_array_equal(obs["job_adjacency"][j], expected)
            assert obs["job_tasks"][j, :, 0].sum() == graph.n_tasks
            seen_dag = True
        idle = env.simulator.idle_pes()
        assert obs["pes"][:, 0].tolist() == [0.0 if q in idle else 1.0 for q in range(n_pes)]
        obs, _, done, _, _ = env.step(int(np.flatnonzero(obs["action_mask"])[0]))
        if done:
            break
    assert seen_dag


def test_upward_rank_is_mean_cost_plus_longest_successor_rank() -> None:
    graph = load_application("sc_tx")
    env = SoCSchedulingEnv(mix=graph, n_jobs=1)
    obs, _ = env.reset(seed=0)
    ranks = obs["job_tasks"][0, : graph.n_tasks, 5]
    means = obs["job_tasks"][0, : graph.n_tasks, 4]
    # sc_tx is a chain: each task's rank is the mean work from it to the end
    np.testing.assert_allclose(ranks, np.cumsum(means[::-1])[::-1], rtol=1e-5)


def test_mix_forms() -> None:
    platform = env_module.load_platform("default")
    apps, probs = resolve_mix({"sc_tx": 0.25, "sc_rx": 0.75}, platform)
    assert [g.name for g in apps] == ["sc_tx", "sc_rx"] and probs == (0.25, 0.75)
    apps, probs = resolve_mix([("sc_tx", 1.0)], platform)
    assert len(apps) == 1 and probs == (1.0,)
    apps, probs = resolve_mix(["sc_tx", "wifi_tx"], platform)
    assert len(apps) == 2 and probs is None
    apps, probs = resolve_mix("ds3", platform)
    assert len(apps) == 6 and probs is not None and sum(probs) == pytest.approx(1.0)
    assert all(isinstance(g, TaskGraph) for g in apps)
    with pytest.raises(ValueError, match="mode"):
        SoCSchedulingEnv(mode="pe")
    with pytest.raises(ValueError, match="at least one application"):
        resolve_mix([], platform)


def test_render_ansi_lists_every_pe() -> None:
    env = SoCSchedulingEnv(n_jobs=2, render_mode="ansi")
    env.reset(seed=0)
    text = env.render()
    assert isinstance(text, str)
    assert all(name in text for name in env.pe_names)


def test_class_docstring_example_runs() -> None:
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(SoCSchedulingEnv, "SoCSchedulingEnv", globs={}):
        runner.run(test)
    assert runner.failures == 0 and runner.tries > 0


# -- learning ----------------------------------------------------------------------------------
def test_maskable_ppo_runs_and_rolls_out_a_valid_trace() -> None:
    from sb3_contrib import MaskablePPO

    env = SoCSchedulingEnv(mix="sc_tx", n_jobs=3, max_ready=4, max_jobs_in_system=2)
    model = MaskablePPO("MultiInputPolicy", env, n_steps=64, batch_size=32, seed=0,
                        device="cpu")
    model.learn(256)
    assert model.num_timesteps >= 256
    obs, _ = env.reset(seed=0)
    done, info = False, {}
    while not done:
        action, _ = model.predict(obs, action_masks=env.action_masks(), deterministic=True)
        obs, _, done, _, info = env.step(int(action))
    result = info["result"]
    validate(env.platform, env.workload.applications, info["trace"], result.job_app,
             result.arrival, result.durations)
