from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from decisiongym.agents.jobshop.network import (
    DispatchNetwork,
    NetworkConfig,
    default_checkpoint,
    to_tensors,
)
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.env import JobShopEnv
from decisiongym.envs.jobshop.generator import RandomInstanceGenerator


def _observation(instance, max_jobs=None, max_machines=None, steps=5, seed=0):
    env = JobShopEnv(instance, scheme="non-delay", max_jobs=max_jobs, max_machines=max_machines)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        obs, *_ = env.step(int(rng.choice(np.flatnonzero(obs["action_mask"]))))
    return obs


def test_one_set_of_weights_runs_on_every_size() -> None:
    torch.manual_seed(0)
    network = DispatchNetwork().eval()
    for name in ("ft06", "ta01", "ta71"):
        obs = _observation(load_instance(name))
        with torch.no_grad():
            logits, value = network(to_tensors(obs))
        legal = obs["action_mask"] > 0
        assert logits.shape == (1, obs["action_mask"].size)
        assert torch.isfinite(logits[0, legal]).all()
        assert torch.isinf(logits[0, ~legal]).all()
        assert torch.isfinite(value).all()


def test_padding_does_not_change_the_logits_of_real_jobs() -> None:
    torch.manual_seed(1)
    network = DispatchNetwork().eval()
    instance = RandomInstanceGenerator(8, 5).sample(3)
    plain = _observation(instance, steps=7)
    padded = _observation(instance, max_jobs=20, max_machines=15, steps=7)
    with torch.no_grad():
        a, va = network(to_tensors(plain))
        b, vb = network(to_tensors(padded))
    np.testing.assert_allclose(a[0].numpy(), b[0, :8].numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(va.numpy(), vb.numpy(), rtol=1e-5, atol=1e-5)


def test_renumbering_the_jobs_renumbers_the_logits() -> None:
    torch.manual_seed(2)
    network = DispatchNetwork().eval()
    instance = RandomInstanceGenerator(7, 4).sample(5)
    obs = _observation(instance, steps=0)
    order = np.random.default_rng(0).permutation(instance.n_jobs)
    shuffled = {key: value[order] if key != "machines" else value for key, value in obs.items()}
    with torch.no_grad():
        a, _ = network(to_tensors(obs))
        b, _ = network(to_tensors(shuffled))
    np.testing.assert_allclose(a[0, order].numpy(), b[0].numpy(), rtol=1e-5, atol=1e-5)


def test_checkpoint_round_trip_and_typed_errors(tmp_path: Path) -> None:
    network = DispatchNetwork(NetworkConfig(embed_dim=16, op_dim=8, hidden_dim=32))
    path = tmp_path / "rule.pt"
    network.save(path, {"note": "test"})
    loaded = DispatchNetwork.load(path)
    assert loaded.config == network.config
    assert loaded.metadata == {"note": "test"}
    for key, value in network.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key])
    assert not (tmp_path / "rule.pt.partial").exists()
    with pytest.raises(FileNotFoundError, match="no job-shop dispatching checkpoint"):
        DispatchNetwork.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable torch checkpoint"):
        DispatchNetwork.load(tmp_path / "junk.pt")
    torch.save({"format": "something-else"}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="format field 'something-else'"):
        DispatchNetwork.load(tmp_path / "other.pt")


def test_the_shipped_checkpoint_loads_and_is_small() -> None:
    path = default_checkpoint()
    assert path.is_file()
    assert path.stat().st_size < 2_000_000
    network = DispatchNetwork.load()
    assert network.config.scheme == "non-delay"
    assert network.metadata["method"] in ("cp-imitation", "ppo")
