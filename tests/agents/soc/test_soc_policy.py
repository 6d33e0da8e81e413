"""The SoC order policy: size-agnostic embeddings, masking, ETF imitation, policy gradient, the
shipped weights and the learned online scheduler."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from decisiongym.agents.soc.policy import SoCPolicy, simulate_learned, to_batch
from decisiongym.agents.soc.training import (
    DecisionBuffer,
    TrainConfig,
    ValueBaseline,
    collect_expert,
    etf_slot,
    imitation_epochs,
    make_env,
    reinforce_update,
    sample_episode,
)
from decisiongym.baselines.soc.online import simulate
from decisiongym.envs.soc.env import SoCSchedulingEnv
from decisiongym.envs.soc.solution import validate
from decisiongym.envs.soc.workload import ds3_workload

SMALL = TrainConfig(rate_jobs_per_ms=20.0, n_jobs=12, imitation_episodes=0, pg_episodes=0)


def busy_observations(env: SoCSchedulingEnv, seed: int, count: int) -> list[dict]:
    """Observations with at least two occupied slots, following ETF."""
    found = []
    obs, _ = env.reset(seed=seed)
    done = False
    while not done and len(found) < count:
        if obs["action_mask"].sum() > 1:
            found.append(obs)
        obs, _, done, _, _ = env.step(etf_slot(env))
    return found


def test_runs_on_any_number_of_jobs_tasks_and_slots() -> None:
    torch.manual_seed(0)
    policy = SoCPolicy()
    for mix, jobs, slots in (("ds3", 8, 32), ("sc_tx", 3, 5), (["wifi_rx", "sc_rx"], 12, 64)):
        env = SoCSchedulingEnv(mix=mix, mode="task", n_jobs=10, rate_jobs_per_ms=30.0,
                               max_jobs_in_system=jobs, max_ready=slots)
        for obs in busy_observations(env, seed=1, count=3):
            logits, global_embedding = policy(to_batch(obs))
            assert logits.shape == (1, slots)
            assert global_embedding.shape == (1, policy.config.embed_dim)
            assert 0 <= policy.act(obs) < slots


def test_empty_slots_are_never_chosen() -> None:
    torch.manual_seed(1)
    policy = SoCPolicy()
    env = SoCSchedulingEnv(mode="task", n_jobs=10, rate_jobs_per_ms=30.0)
    observations = busy_observations(env, seed=2, count=5)
    logits, _ = policy(to_batch(observations))
    mask = to_batch(observations)["action_mask"].bool()
    assert torch.isneginf(logits[~mask]).all()
    for obs in observations:
        for _ in range(20):
            assert obs["action_mask"][policy.act(obs, deterministic=False)] == 1


def test_expert_reproduces_etf() -> None:
    env = make_env(SMALL)
    obs, info = env.reset(seed=4)
    done = False
    while not done:
        obs, _, done, _, info = env.step(etf_slot(env))
    etf = simulate(env.platform, env.workload, "etf")
    assert info["latency_mean_us"] == etf.latency_mean_us


def test_imitation_lowers_the_loss_and_agrees_with_the_expert() -> None:
    torch.manual_seed(0)
    env = make_env(SMALL)
    buffer = collect_expert(env, range(10))
    assert len(buffer) >= 100
    policy = SoCPolicy()
    losses = list(imitation_epochs(policy, buffer, epochs=15, batch_size=32, lr=3e-3,
                                   generator=torch.Generator().manual_seed(0)))
    assert losses[-1] < 0.7 * losses[0]
    held_out = collect_expert(env, [100, 101])
    batch, expert = held_out.batch(np.arange(len(held_out)))
    with torch.no_grad():
        chosen = policy(batch)[0].argmax(-1)
    assert float((chosen == expert).float().mean()) > 0.8


def test_policy_gradient_runs_and_its_episodes_validate() -> None:
    torch.manual_seed(0)
    env = make_env(SMALL)
    policy = SoCPolicy()
    baseline = ValueBaseline(policy.config.embed_dim, policy.config.hidden_dim)
    policy_opt = torch.optim.Adam(policy.parameters(), lr=1e-3)
    value_opt = torch.optim.Adam(baseline.parameters(), lr=1e-3)
    before = [p.detach().clone() for p in policy.parameters()]
    for seed in range(2):
        episode = sample_episode(env, policy, seed)
        result = episode.info["result"]
        validate(env.platform, env.workload.applications, episode.info["trace"],
                 result.job_app, result.arrival, result.durations)
        assert np.isclose(sum(episode.rewards), -np.sum(result.latency_us) / 1000)
        stats = reinforce_update(policy, baseline, episode, 10.0, 1e-3, policy_opt, value_opt)
        assert all(np.isfinite(v) for v in stats.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, policy.parameters()))


def test_shipped_policy_schedules_a_ds3_stream() -> None:
    from decisiongym.envs.soc.builtin import default_platform

    platform = default_platform()
    workload = ds3_workload(20.0, 30, np.random.default_rng(7), noise="gaussian", sigma=0.3)
    result = simulate_learned(platform, workload, warmup_jobs=5)
    validate(platform, workload.applications, result.trace, result.job_app, result.arrival,
             result.durations)
    assert result.latency_mean_us > 0
    assert SoCPolicy.load().config.embed_dim > 0


def test_save_load_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(3)
    policy = SoCPolicy()
    path = tmp_path / "policy.pt"
    policy.save(path)
    loaded = SoCPolicy.load(path)
    env = SoCSchedulingEnv(mode="task", n_jobs=10, rate_jobs_per_ms=30.0)
    observations = busy_observations(env, seed=5, count=10)
    assert [policy.act(o) for o in observations] == [loaded.act(o) for o in observations]
    torch.load(path, weights_only=True)


def test_decision_buffer_rebuilds_the_adjacency() -> None:
    env = make_env(SMALL)
    observations = busy_observations(env, seed=6, count=4)
    buffer = DecisionBuffer()
    for obs in observations:
        buffer.add(obs, 0)
    batch, _ = buffer.batch(np.arange(len(observations)))
    assert np.array_equal(batch["job_adjacency"].numpy(),
                          np.stack([o["job_adjacency"] for o in observations]))
