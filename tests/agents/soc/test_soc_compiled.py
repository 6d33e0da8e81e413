"""The compiled SoC policy scores and chooses as the torch module does."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from decisiongym.agents.soc.compiled import CompiledSoCPolicy
from decisiongym.agents.soc.config import PolicyConfig
from decisiongym.agents.soc.policy import SoCPolicy, run_policy, to_batch
from decisiongym.envs.soc.builtin import default_platform
from decisiongym.envs.soc.env import SoCSchedulingEnv
from decisiongym.envs.soc.simulator import SoCSimulator
from decisiongym.envs.soc.workload import ds3_workload


def stream_observations(max_jobs_in_system: int, seed: int, count: int) -> list[dict]:
    """Observations with two or more occupied slots from a loaded DS3 stream, following a
    random slot (so the states differ from those of any scheduler under test)."""
    env = SoCSchedulingEnv(mix="ds3", rate_jobs_per_ms=30.0, n_jobs=60, noise="gaussian",
                           sigma=0.3, mode="task", max_ready=16,
                           max_jobs_in_system=max_jobs_in_system)
    rng = np.random.default_rng(seed)
    found: list[dict] = []
    obs, _ = env.reset(seed=seed)
    done = False
    while not done and len(found) < count:
        occupied = np.flatnonzero(obs["action_mask"])
        if occupied.size > 1:
            found.append({k: v.copy() for k, v in obs.items()})
        obs, _, done, _, _ = env.step(int(rng.choice(occupied)))
    return found


def torch_logits(policy: SoCPolicy, obs: dict) -> np.ndarray:
    with torch.no_grad():
        logits, _ = policy(to_batch(obs))
    return logits[0].numpy()


@pytest.mark.parametrize(("max_jobs_in_system", "untrained"), [(8, False), (2, False), (4, True)])
def test_logits_match_torch(max_jobs_in_system: int, untrained: bool) -> None:
    torch.manual_seed(3)
    policy = SoCPolicy(PolicyConfig(message_rounds=2)) if untrained else SoCPolicy.load()
    compiled = policy.to_compiled()
    observations = stream_observations(max_jobs_in_system, seed=max_jobs_in_system, count=60)
    assert len(observations) == 60
    if max_jobs_in_system == 2:
        # slots whose job is beyond the J oldest score on their features alone
        assert any(((o["ready_ref"][:, 0] < 0) & (o["action_mask"] > 0)).any()
                   for o in observations)
    for obs in observations:
        expected, got = torch_logits(policy, obs), compiled.logits(obs)
        occupied = obs["action_mask"] > 0
        np.testing.assert_allclose(got[occupied], expected[occupied], rtol=1e-4, atol=1e-4)
        assert np.isneginf(got[~occupied]).all()
        assert compiled.act(obs) == policy.act(obs) or np.isclose(
            expected[compiled.act(obs)], expected.max(), rtol=0, atol=1e-4)


def test_a_small_cache_changes_nothing() -> None:
    policy = SoCPolicy.load()
    roomy, tight = policy.to_compiled(), policy.to_compiled(cache_size=2)
    for obs in stream_observations(8, seed=5, count=30):
        np.testing.assert_array_equal(tight.logits(obs), roomy.logits(obs))
    assert len(tight._cache) <= 2


def test_scheduler_follows_the_torch_choices() -> None:
    platform = default_platform()
    policy = SoCPolicy.load()
    compiled = policy.to_compiled()
    workload = ds3_workload(24.0, 80, np.random.default_rng(11), noise="gaussian", sigma=0.3)

    # in lockstep on the gym env: the compiled choice is torch's, or ties with it (float32
    # sums in another order may break an exact tie the other way on another CPU)
    env = SoCSchedulingEnv(platform=platform, mix=list(workload.applications), mode="task",
                           max_ready=32, max_jobs_in_system=8)
    obs, _ = env.reset(options={"workload": workload})
    done, decisions, same = False, 0, 0
    while not done:
        choice = compiled.act(obs)
        if obs["action_mask"].sum() > 1:
            expected = torch_logits(policy, obs)
            decisions += 1
            same += choice == int(np.argmax(expected))
            assert expected[choice] >= expected.max() - 1e-4
        obs, _, done, _, info = env.step(choice)
    assert decisions > 200 and same >= 0.99 * decisions

    # the online scheduler drives its own simulator through the same choices
    result = run_policy(compiled, SoCSimulator(platform, workload))
    expected_trace = info["result"].trace
    for field in ("job", "task", "pe", "start", "finish"):
        np.testing.assert_array_equal(getattr(result.trace, field),
                                      getattr(expected_trace, field))


def test_no_occupied_slot_is_an_error() -> None:
    obs = stream_observations(8, seed=1, count=1)[0]
    obs["action_mask"][:] = 0
    with pytest.raises(ValueError, match="no occupied slot"):
        SoCPolicy.load().to_compiled().act(obs)


def test_the_compiled_copy_runs_from_plain_arrays_without_the_torch_module() -> None:
    policy = SoCPolicy.load()
    weights = {name: tensor.numpy().copy() for name, tensor in policy.state_dict().items()}
    plain = CompiledSoCPolicy(policy.config, weights)
    compiled = policy.to_compiled()
    for obs in stream_observations(8, seed=7, count=10):
        np.testing.assert_array_equal(plain.logits(obs), compiled.logits(obs))
    # the two modules do not import each other's way round: compiled needs neither torch
    # nor the policy module
    probe = ("import sys, decisiongym.agents.soc.compiled; "
             "print('torch' in sys.modules, 'decisiongym.agents.soc.policy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
