"""The family descriptions: one list of ids and names, held to the code that implements them."""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import pytest

import decisiongym  # noqa: F401  (registers the ids)
from decisiongym.envs import FAMILY_MODULES, families, family
from decisiongym.envs.core.errors import ValidationError
from decisiongym.envs.core.family import EnvId, Family, resolve


def test_every_registered_id_comes_from_exactly_one_family() -> None:
    described = [env.id for each in families() for env in each.envs]
    assert len(described) == len(set(described))
    registered = {key for key in gym.registry if key.startswith("decisiongym/")}
    assert registered == set(described)
    for each in families():
        for env in each.envs:
            spec = gym.registry[env.id]
            assert spec.entry_point == env.entry_point
            assert spec.vector_entry_point == env.vector_entry_point
            assert spec.kwargs == dict(env.kwargs)


def test_family_names_are_the_folder_names() -> None:
    names = [each.name for each in families()]
    assert names == [module.split(".")[2] for module in FAMILY_MODULES]
    assert family("soc").name == "soc"
    with pytest.raises(KeyError, match="jobshop, soc, bandits"):
        family("jobshops")


def test_every_entry_point_resolves_to_a_class_or_factory() -> None:
    for each in families():
        for env in each.envs:
            assert isinstance(resolve(env.entry_point), type)
            for other in (env.vector_entry_point, env.parallel_entry_point):
                if other is not None:
                    assert callable(resolve(other))
        for reference in (each.loader, each.validator):
            if reference is not None:
                assert callable(resolve(reference))


def test_job_shop_names_match_the_kernel_codes() -> None:
    from decisiongym.envs.jobshop import ids, sim

    assert ids.RULE_NAMES == tuple(sim.RULES)
    assert ids.SCHEME_NAMES == tuple(sim.SCHEMES)
    assert ids.DEFAULT_SCHEME in ids.SCHEME_NAMES
    assert family("jobshop").baseline_names == ids.RULE_NAMES + ("cpsat",)


def test_one_default_scheme_for_env_rules_and_vector_env() -> None:
    import inspect

    from decisiongym.baselines.jobshop.dispatching import solve_rule
    from decisiongym.envs.jobshop.env import JobShopEnv
    from decisiongym.envs.jobshop.ids import DEFAULT_SCHEME
    from decisiongym.envs.jobshop.vector import JobShopVectorEnv

    for function in (JobShopEnv.__init__, JobShopVectorEnv.__init__, solve_rule):
        assert inspect.signature(function).parameters["scheme"].default == DEFAULT_SCHEME
    env = gym.make("decisiongym/JobShop-v0", instance="ft06")
    assert env.unwrapped.scheme == DEFAULT_SCHEME
    env.close()


def test_soc_names_match_the_schedulers() -> None:
    from decisiongym.baselines.soc.list_scheduling import SCHEDULERS
    from decisiongym.baselines.soc.online import DS3_SCHEDULERS, ONLINE_SCHEDULERS
    from decisiongym.envs.soc import ids
    from decisiongym.envs.soc.ds3_sim import DS3_RULES

    assert ids.STATIC_METHODS == tuple(SCHEDULERS) + ("cpsat",)
    assert sorted(ids.ONLINE_SCHEDULERS) == sorted(ONLINE_SCHEDULERS)
    assert ids.DS3_SCHEDULERS == DS3_SCHEDULERS == tuple(DS3_RULES)
    assert family("soc").baselines["online-ds3"] == ids.DS3_SCHEDULERS


def test_bandit_agent_names_match_the_agent_registry() -> None:
    from decisiongym.agents.bandits import AGENTS
    from decisiongym.envs.bandits.ids import AGENT_NAMES

    assert sorted(AGENT_NAMES) == sorted(AGENTS)


def test_job_shop_family_loads_and_validates() -> None:
    from decisiongym.baselines.jobshop.dispatching import solve_rule

    jobshop = family("jobshop")
    instance = jobshop.load("ft06")
    result = solve_rule(instance, "spt")
    assert jobshop.validate(instance, result.schedule) == result.makespan
    start = result.schedule.start.copy()
    start[0, 1] = start[0, 0]  # the second operation of job 0 starts with its first
    with pytest.raises(ValidationError):
        jobshop.validate(instance, dataclasses.replace(result.schedule, start=start))


def test_soc_family_loads_and_validates() -> None:
    from decisiongym.baselines.soc.list_scheduling import heft

    soc = family("soc")
    problem = soc.load("wifi_tx")
    result = heft(problem.graph, problem.platform)
    assert soc.validate(problem, result.trace) == pytest.approx(result.makespan)
    finish = np.asarray(result.trace.finish, dtype=float) + 1.0
    with pytest.raises(ValidationError):
        soc.validate(problem, dataclasses.replace(result.trace, finish=finish))


def test_bandits_have_no_instances_to_load() -> None:
    with pytest.raises(NotImplementedError, match="bandits"):
        family("bandits").load("anything")


def test_a_description_cannot_be_changed_or_list_an_id_twice() -> None:
    env = EnvId("decisiongym/X-v0", "a.b:C", "x", kwargs={"k": 1})
    with pytest.raises(TypeError):
        env.kwargs["k"] = 2  # type: ignore[index]
    with pytest.raises(ValueError, match="twice"):
        Family(name="x", title="X", envs=(env, env))
    with pytest.raises(ValueError, match="module:attribute"):
        resolve("no_colon_here")
