"""The dispatching network as a policy of sb3-contrib's ``MaskablePPO``.

Stable-Baselines3 shapes a policy as features extractor -> ``action_net`` / ``value_net``. The
extractor here is the size-agnostic encoder and returns every job's embedding and the pooled
one, flattened; ``action_net`` scores each job with the shared score head, so the number of
actions is the number of jobs of the observation, not a fixed layer width. The weights are those
of :class:`~decisiongym.agents.jobshop.network.DispatchNetwork` and move between the two forms
with :meth:`DispatchActorCriticPolicy.to_network` and :meth:`~DispatchActorCriticPolicy.
load_network`::

    from sb3_contrib import MaskablePPO
    model = MaskablePPO(DispatchActorCriticPolicy, env,
                        policy_kwargs={"network_config": NetworkConfig()})

:class:`DispatchFeatures` also works alone as the ``features_extractor_class`` of SB3's own
``"MultiInputPolicy"``; its MLP heads then tie the policy to the env's job count.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, cast

import torch
from gymnasium import spaces
from sb3_contrib.common.maskable.policies import MaskableActorCriticPolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

from decisiongym.agents.jobshop.network import (
    DispatchEncoder,
    DispatchNetwork,
    NetworkConfig,
    ScoreHead,
    ValueHead,
)


class DispatchFeatures(BaseFeaturesExtractor):
    """``JobShopEnv`` observation -> ``[job embeddings (J * d), pooled (d)]``.

    :param observation_space: the env's ``Dict`` space (its job count fixes ``features_dim``).
    :param network_config: network sizes, as a :class:`NetworkConfig` or its dict.
    """

    def __init__(self, observation_space: spaces.Dict,
                 network_config: NetworkConfig | dict[str, Any] | None = None) -> None:
        config = _as_config(network_config)
        jobs_space = observation_space["jobs"]
        assert jobs_space.shape is not None
        n_jobs = int(jobs_space.shape[0])
        super().__init__(observation_space, features_dim=(n_jobs + 1) * config.embed_dim)
        self.config = config
        self.encoder = DispatchEncoder(config)

    def forward(self, observations: dict[str, torch.Tensor]) -> torch.Tensor:
        job, pooled = self.encoder(observations)
        return torch.cat([job.flatten(1), pooled], dim=1)


class _FlatScore(nn.Module):
    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.embed_dim = config.embed_dim
        self.head = ScoreHead(config)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        d = self.embed_dim
        job = features[:, :-d].reshape(features.shape[0], -1, d)
        return self.head(job, features[:, -d:])


class _FlatValue(nn.Module):
    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.embed_dim = config.embed_dim
        self.head = ValueHead(config)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features[:, -self.embed_dim:]).unsqueeze(-1)


class DispatchActorCriticPolicy(MaskableActorCriticPolicy):
    """``MaskableActorCriticPolicy`` with the dispatching network (module docstring).

    :param network_config: network sizes (a :class:`NetworkConfig` or its dict).
    Every other argument is ``MaskableActorCriticPolicy``'s; ``net_arch`` is empty (the heads
    read the encoder directly) and orthogonal initialisation is off.
    """

    def __init__(self, observation_space: spaces.Dict, action_space: spaces.Discrete,
                 lr_schedule: Any, network_config: NetworkConfig | dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        self.network_config = _as_config(network_config)
        kwargs["features_extractor_class"] = DispatchFeatures
        kwargs["features_extractor_kwargs"] = {"network_config": asdict(self.network_config)}
        kwargs["net_arch"] = []
        kwargs["ortho_init"] = False
        super().__init__(observation_space, action_space, lr_schedule, **kwargs)

    def _build(self, lr_schedule: Any) -> None:
        super()._build(lr_schedule)
        self.action_net = _FlatScore(self.network_config)
        # SB3 annotates value_net as a Linear layer; any module mapping features to (B, 1) works
        self.value_net = _FlatValue(self.network_config)  # type: ignore[assignment]
        self.optimizer = self.optimizer_class(  # type: ignore[call-arg]
            self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data["network_config"] = asdict(self.network_config)
        for key in ("features_extractor_class", "features_extractor_kwargs", "net_arch",
                    "ortho_init"):
            data.pop(key, None)
        return data

    def to_network(self) -> DispatchNetwork:
        """A standalone copy of the policy's weights."""
        network = DispatchNetwork(self.network_config)
        extractor = self.features_extractor
        assert isinstance(extractor, DispatchFeatures)
        network.encoder.load_state_dict(extractor.encoder.state_dict())
        network.score.load_state_dict(cast(_FlatScore, self.action_net).head.state_dict())
        network.value.load_state_dict(cast(_FlatValue, self.value_net).head.state_dict())
        network.eval()
        return network

    def load_network(self, network: DispatchNetwork) -> None:
        """Start from a standalone network's weights (e.g. a CP-imitation checkpoint)."""
        if network.config != self.network_config:
            raise ValueError(f"network config {network.config} differs from the policy's "
                             f"{self.network_config}")
        extractor = self.features_extractor
        assert isinstance(extractor, DispatchFeatures)
        extractor.encoder.load_state_dict(network.encoder.state_dict())
        cast(_FlatScore, self.action_net).head.load_state_dict(network.score.state_dict())
        cast(_FlatValue, self.value_net).head.load_state_dict(network.value.state_dict())


def _as_config(config: NetworkConfig | dict[str, Any] | None) -> NetworkConfig:
    if config is None:
        return NetworkConfig()
    if isinstance(config, NetworkConfig):
        return config
    return NetworkConfig(**config)
