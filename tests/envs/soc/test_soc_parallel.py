"""The PettingZoo SoC game: PettingZoo's conformance tests, the conflict rule on hand-built
cases, idling, and a random episode whose trace validates and whose return is minus the summed
latency."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test

from decisiongym.envs.core.errors import InvalidActionError
from decisiongym.envs.soc.graph import task_graph
from decisiongym.envs.soc.parallel import env as aec_env
from decisiongym.envs.soc.parallel import parallel_env, resolve_conflicts
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.solution import validate


def small_platform(type_names: tuple[str, ...], pe_type: list[int]) -> Platform:
    n_types, n = len(type_names), len(pe_type)
    return Platform(name="test", type_names=type_names, pe_type=np.array(pe_type),
                    frequency_mhz=np.full(n_types, 1000.0), busy_power_w=np.ones(n_types),
                    idle_power_w=np.zeros(n_types), bandwidth=np.full((n, n), 100.0))


@pytest.mark.parametrize("kwargs", [
    {"mix": "sc_tx", "n_jobs": 4, "max_ready": 8},
    {"n_jobs": 6},
], ids=["sc_tx", "ds3"])
def test_parallel_api_test_passes(kwargs: dict[str, object]) -> None:
    parallel_api_test(parallel_env(**kwargs), num_cycles=500)


# PettingZoo's advice for simple games: Box observations and "player_0" names; ours are Dicts
# and PE names on purpose.
@pytest.mark.filterwarnings("ignore:Observation is not a NumPy array")
@pytest.mark.filterwarnings("ignore:Observation space for each agent probably should be")
@pytest.mark.filterwarnings("ignore:We recommend agents to be named")
def test_aec_api_test_passes() -> None:
    api_test(aec_env(mix="sc_tx", n_jobs=2, max_ready=4), num_cycles=50)


def test_agents_are_the_pes_with_their_own_view() -> None:
    env = parallel_env(n_jobs=2)
    obs, infos = env.reset(seed=0)
    assert env.possible_agents[4] == "A15.0" and len(env.possible_agents) == 16
    assert set(obs) == set(infos) == set(env.agents)
    for q, name in enumerate(env.agents):
        assert env.observation_space(name).contains(obs[name])
        assert obs[name]["agent_pe"].argmax() == q and obs[name]["agent_pe"].sum() == 1
        np.testing.assert_array_equal(obs[name]["agent_state"], obs[name]["pes"][q])
        assert obs[name]["action_mask"][-1] == 1  # idling is always legal
    # the entry task of the first job runs on some PE, and those PEs see it as a legal pick
    assert sum(int(obs[name]["action_mask"][0]) for name in env.agents) >= 1


def test_the_earliest_finish_wins_a_contested_task() -> None:
    # PE 0 is slow (5 us), PE 1 fast (1 us): both take slot 0 and the fast one gets it
    graph = task_graph("one", {"t": {"S": 5.0, "F": 1.0}}, [])
    env = parallel_env(platform=small_platform(("S", "F"), [0, 1]), mix=graph, n_jobs=1)
    env.reset(seed=0)
    _, rewards, terminations, _, infos = env.step({"S.0": 0, "F.0": 0})
    assert terminations == {"S.0": True, "F.0": True} and env.agents == []
    assert infos["S.0"]["trace"].pe.tolist() == [1]
    assert rewards["S.0"] == rewards["F.0"] == pytest.approx(-0.001)


def test_a_tie_goes_to_the_lower_pe_and_the_loser_can_pick_next_round() -> None:
    graph = task_graph("two", {"a": {"P": 4.0}, "b": {"P": 4.0}}, [])
    env = parallel_env(platform=small_platform(("P",), [0, 0]), mix=graph, n_jobs=1,
                       max_ready=3)
    obs, _ = env.reset(seed=0)
    assert obs["P.1"]["action_mask"].tolist() == [1, 1, 0, 1]
    obs, rewards, terminations, _, infos = env.step({"P.0": 0, "P.1": 0})
    # P.0 took task a; time has not moved, and P.1 may now take b, which moved up to slot 0
    assert infos["P.0"]["time_us"] == 0.0 and rewards["P.0"] == 0.0
    assert not any(terminations.values())
    assert obs["P.0"]["action_mask"].tolist() == [0, 0, 0, 1]
    assert obs["P.1"]["action_mask"].tolist() == [1, 0, 0, 1]
    _, rewards, terminations, _, infos = env.step({"P.0": 3, "P.1": 0})
    assert all(terminations.values())
    trace = infos["P.1"]["trace"]
    assert dict(zip(trace.task.tolist(), trace.pe.tolist())) == {0: 0, 1: 1}
    assert rewards["P.1"] == pytest.approx(-0.004)


def test_resolve_conflicts_rule() -> None:
    finish = np.array([[3.0, 2.0, 2.0], [1.0, 1.0, 9.0]])
    assert resolve_conflicts({0: [0, 1, 2], 1: [2, 1]}, finish) == {0: 1, 1: 1}
    assert resolve_conflicts({}, finish) == {}


def test_idling_with_nothing_to_wait_for_truncates() -> None:
    graph = task_graph("one", {"t": {"P": 4.0}}, [])
    env = parallel_env(platform=small_platform(("P",), [0]), mix=graph, n_jobs=1,
                       max_idle_rounds=3)
    env.reset(seed=0)
    for k in range(3):
        # slot 2 is empty: an illegal pick is an idle
        _, rewards, terminations, truncations, infos = env.step({"P.0": 2})
        assert rewards["P.0"] == 0.0 and not terminations["P.0"]
        assert truncations["P.0"] == (k == 2)
        assert infos["P.0"]["time_us"] == 0.0
    assert env.agents == []
    with pytest.raises(RuntimeError, match="reset"):
        env.step({})


def test_out_of_range_action_raises() -> None:
    env = parallel_env(mix="sc_tx", n_jobs=1, max_ready=4)
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match=r"A7\.0 picks a slot in \[0, 3\] or idles"):
        env.step({"A7.0": 5})


def test_an_action_for_no_live_agent_raises() -> None:
    env = parallel_env(mix="sc_tx", n_jobs=1, max_ready=4)
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="'A9.0' is not a live agent; the agents are A7.0"):
        env.step({"A7.0": 4, "A9.0": 0})


def test_random_episode_validates_and_returns_minus_summed_latency() -> None:
    env = parallel_env(n_jobs=10, rate_jobs_per_ms=4.0)
    obs, _ = env.reset(seed=4)
    for name in env.agents:
        env.action_space(name).seed(7)
    total, infos = 0.0, {}
    while env.agents:
        actions = {name: int(env.action_space(name).sample(mask=obs[name]["action_mask"]))
                   for name in env.agents}
        obs, rewards, terminations, truncations, infos = env.step(actions)
        assert len(set(rewards.values())) == 1  # one team reward
        total += next(iter(rewards.values()))
    info = next(iter(infos.values()))
    assert all(terminations.values()) and not any(truncations.values())
    result = info["result"]
    workload = env.core.workload
    validate(env.core.platform, workload.applications, info["trace"], result.job_app,
             result.arrival, result.durations)
    assert total == pytest.approx(-float(np.sum(result.latency_us)) / 1000.0, rel=1e-9)


def test_max_cycles_truncates() -> None:
    env = parallel_env(n_jobs=20, max_cycles=3)
    env.reset(seed=0)
    for k in range(3):
        _, _, _, truncations, _ = env.step({})
        assert all(truncations.values()) == (k == 2)
    assert env.agents == []
