from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from sb3_contrib import MaskablePPO

from decisiongym.agents.jobshop.network import DispatchNetwork, NetworkConfig, to_tensors
from decisiongym.agents.jobshop.ppo import PPOConfig, make_vec_env, train_ppo
from decisiongym.agents.jobshop.sb3_policy import DispatchActorCriticPolicy
from decisiongym.envs.jobshop.env import JobShopEnv
from decisiongym.envs.jobshop.generator import RandomInstanceGenerator
from decisiongym.envs.jobshop.solution import validate

SMALL = NetworkConfig(embed_dim=16, op_dim=8, hidden_dim=32)


def test_the_sb3_policy_and_the_standalone_network_agree() -> None:
    config = PPOConfig(n_envs=2, min_size=(4, 3), max_size=(8, 5), network=SMALL)
    envs = make_vec_env(config)
    model = MaskablePPO(DispatchActorCriticPolicy, envs, n_steps=16, batch_size=16, seed=0,
                        policy_kwargs={"network_config": SMALL})
    policy = model.policy
    obs = envs.reset()
    masks = np.stack(envs.env_method("action_masks"))
    network = policy.to_network()
    with torch.no_grad():
        tensors, _ = policy.obs_to_tensor(obs)
        distribution = policy.get_distribution(tensors, action_masks=masks)
        values = policy.predict_values(tensors)
        logits, value = network(to_tensors(obs))
    expected = torch.log_softmax(logits, -1)
    legal = torch.as_tensor(masks)
    np.testing.assert_allclose(distribution.distribution.logits[legal].numpy(),
                               expected[legal].numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(values.squeeze(-1).numpy(), value.numpy(), rtol=1e-5, atol=1e-5)
    # and back: weights loaded into a fresh policy reproduce the network
    other = MaskablePPO(DispatchActorCriticPolicy, envs, n_steps=16, batch_size=16, seed=1,
                        policy_kwargs={"network_config": SMALL}).policy
    other.load_network(network)
    for key, tensor in other.to_network().state_dict().items():
        assert torch.equal(tensor, network.state_dict()[key]), key


def test_tiny_ppo_run_trains_checkpoints_and_resumes(tmp_path: Path) -> None:
    config = PPOConfig(timesteps=512, n_envs=2, n_steps=128, batch_size=128, n_epochs=2,
                       min_size=(4, 3), max_size=(8, 5), eval_every=256, eval_instances=2,
                       network=SMALL, checkpoint_dir=str(tmp_path / "ck"),
                       log_dir=str(tmp_path / "tb"), out=str(tmp_path / "ppo.pt"))
    network, log = train_ppo(config)
    assert log.losses and np.isfinite(log.losses).all()
    assert [t for t, _ in log.scores] == [0, 256, 512, 512]
    names = sorted(p.name for p in (tmp_path / "ck").iterdir())
    assert "model_000000512.zip" in names and "network_000000512.pt" in names
    # the reward statistics are plain arrays; nothing in a checkpoint needs unpickling
    assert "vecnormalize_000000512.npz" in names
    assert not [name for name in names if name.endswith((".pkl", ".partial"))]
    assert any((tmp_path / "tb").rglob("events.out.tfevents.*"))
    loaded = DispatchNetwork.load(tmp_path / "ppo.pt")
    assert loaded.metadata["method"] == "ppo"
    instance = RandomInstanceGenerator(12, 8).sample(1)
    env = JobShopEnv(instance, scheme="non-delay")
    obs, _ = env.reset()
    done = False
    while not done:
        with torch.no_grad():
            logits, _ = loaded(to_tensors(obs))
        obs, _, done, _, info = env.step(int(logits.argmax()))
    validate(instance, info["schedule"])
    resumed = PPOConfig(**{**config.__dict__, "timesteps": 256, "out": None,
                           "resume": str(tmp_path / "ck" / "model_000000512.zip"),
                           "checkpoint_dir": str(tmp_path / "ck2")})
    _, log2 = train_ppo(resumed)
    assert log2.scores[0][0] == 512 and log2.scores[-1][0] == 768


def test_the_extractor_alone_plugs_into_maskable_ppo() -> None:
    from decisiongym.agents.jobshop.sb3_policy import DispatchFeatures

    envs = make_vec_env(PPOConfig(n_envs=2, min_size=(4, 3), max_size=(6, 4)))
    model = MaskablePPO("MultiInputPolicy", envs, n_steps=32, batch_size=32, n_epochs=1,
                        seed=0, policy_kwargs={"features_extractor_class": DispatchFeatures,
                                               "features_extractor_kwargs": {
                                                   "network_config": SMALL}})
    model.learn(64)
    assert isinstance(model.policy.features_extractor, DispatchFeatures)
    obs = envs.reset()
    masks = np.stack(envs.env_method("action_masks"))
    actions, _ = model.predict(obs, action_masks=masks, deterministic=True)
    assert all(masks[i, a] for i, a in enumerate(actions))
