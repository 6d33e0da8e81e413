from __future__ import annotations

import numpy as np
import pytest
import torch

from decisiongym.agents.jobshop.compiled import CompiledNetwork
from decisiongym.agents.jobshop.decisions import classify, contested, free_choice
from decisiongym.agents.jobshop.network import DispatchNetwork, to_tensors
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.generator import RandomInstanceGenerator
from decisiongym.envs.jobshop.vector import JobShopVectorEnv


def _batch(instance, n_envs=3, steps=20, seed=0, max_jobs=None, max_machines=None):
    env = JobShopVectorEnv(n_envs, instance, scheme="non-delay", max_jobs=max_jobs,
                           max_machines=max_machines)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        actions = [rng.choice(np.flatnonzero(mask)) for mask in obs["action_mask"]]
        obs, *_ = env.step(np.array(actions))
    return obs


@pytest.mark.parametrize(("name", "steps"), [("ft06", 0), ("ft06", 17), ("ta01", 60),
                                             ("ta41", 300)])
def test_compiled_forward_matches_torch(name: str, steps: int) -> None:
    torch.manual_seed(3)
    network = DispatchNetwork().eval()
    obs = _batch(load_instance(name), steps=steps)
    with torch.no_grad():
        expected = network(to_tensors(obs))[0].numpy()
    got = CompiledNetwork(network).logits(obs)
    legal = obs["action_mask"] > 0
    np.testing.assert_array_equal(np.isfinite(got), legal)
    np.testing.assert_allclose(got[legal], expected[legal], rtol=1e-4, atol=1e-4)


def test_compiled_forward_matches_torch_on_padded_observations() -> None:
    torch.manual_seed(4)
    network = DispatchNetwork().eval()
    obs = _batch(RandomInstanceGenerator(7, 5).sample(1), steps=9, max_jobs=20,
                 max_machines=15)
    with torch.no_grad():
        expected = network(to_tensors(obs))[0].numpy()
    got = CompiledNetwork(network).logits(obs)
    legal = obs["action_mask"] > 0
    np.testing.assert_allclose(got[legal], expected[legal], rtol=1e-4, atol=1e-4)


def test_decisions_are_legal_jobs_sharing_a_machine() -> None:
    obs = _batch(load_instance("ta21"), n_envs=4, steps=40, seed=2)
    legal = obs["action_mask"] > 0
    ready = obs["operations"][..., 4] > 0.5
    machine = np.where(ready, obs["op_machine"], 0).sum(-1)
    decision = contested(obs, "non-delay")
    for b in range(4):
        for j in np.flatnonzero(legal[b]):
            rivals = np.flatnonzero(legal[b] & (machine[b] == machine[b, j]))
            assert decision[b, j] == (rivals.size >= 2)
    action, needs = free_choice(obs, "non-delay")
    for b in range(4):
        free = np.flatnonzero(legal[b] & ~decision[b])
        if free.size:
            assert action[b] == free[0] and not needs[b]
        else:
            assert needs[b] == (decision[b].sum() > 1)
    # under the other schemes every legal job is a decision
    _, _, everything = classify(obs, "insertion")
    np.testing.assert_array_equal(everything, legal)


def test_order_between_uncontested_jobs_does_not_change_the_schedule() -> None:
    """The claim the decision rule rests on: under non-delay, two dispatchers that make the
    same choice on every contested machine, but order the rest differently, build the same
    schedule."""
    instance = RandomInstanceGenerator(12, 6).sample(8)
    schedules = []
    for reverse in (False, True):
        env = JobShopVectorEnv(1, instance, scheme="non-delay")
        obs, _ = env.reset(seed=0)
        for _ in range(instance.n_operations):
            legal = np.flatnonzero(obs["action_mask"][0])
            decision = contested(obs, "non-delay")[0]
            free = [j for j in legal if not decision[j]]
            if free:
                job = free[-1] if reverse else free[0]
            else:
                job = int(np.flatnonzero(decision)[0])  # same rule for contested machines
            obs, _, terminated, _, _ = env.step(np.array([job]))
        schedules.append(env.schedule(0).start.copy())
    np.testing.assert_array_equal(schedules[0], schedules[1])
