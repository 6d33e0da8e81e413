"""Malformed agent checkpoints (the job-shop dispatching network, the SoC order policy): a
:class:`CheckpointError` naming the file, or an agent that acts: the network's greedy schedule
of ft06 validates, the policy picks an occupied slot from finite scores."""

from __future__ import annotations

import io
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from fuzz_harness import FUZZ_SETTINGS, MUST_LOAD, NASTY_VALUES, Case, byte_mutations, run_case
from hypothesis import given
from hypothesis import strategies as st

from decisiongym.agents.jobshop.inference import rollout
from decisiongym.agents.jobshop.network import DispatchNetwork, NetworkConfig
from decisiongym.agents.soc.config import PolicyConfig
from decisiongym.agents.soc.policy import SoCPolicy
from decisiongym.agents.soc.training import etf_slot
from decisiongym.envs.jobshop.solution import validate
from decisiongym.envs.jobshop.taillard import ft06_instance
from decisiongym.envs.soc.env import SoCSchedulingEnv


def saved_content(agent: Any) -> dict[str, Any]:
    """What ``agent.save`` writes, read back as the dict it is."""
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "agent.pt"
        agent.save(file)
        return torch.load(file, weights_only=True)


def to_bytes(content: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(content, buffer)
    return buffer.getvalue()


torch.manual_seed(0)
NETWORK = saved_content(DispatchNetwork(NetworkConfig(embed_dim=8, op_dim=4, hidden_dim=8)))
POLICY = saved_content(SoCPolicy(PolicyConfig(embed_dim=8, hidden_dim=8, message_rounds=2)))
FT06 = ft06_instance()


def _observations() -> list[dict[str, np.ndarray]]:
    env = SoCSchedulingEnv(mode="task", n_jobs=6, rate_jobs_per_ms=30.0)
    found: list[dict[str, np.ndarray]] = []
    obs, _ = env.reset(seed=1)
    done = False
    while not done and len(found) < 3:
        if obs["action_mask"].sum() > 1:
            found.append(obs)
        obs, _, done, _, _ = env.step(etf_slot(env))
    return found


OBSERVATIONS = _observations()


def check_network(network: DispatchNetwork, path: Path) -> None:
    for tensor in network.state_dict().values():
        assert torch.isfinite(tensor).all()
    result = rollout(network, FT06)
    assert validate(FT06, result.schedule) == result.makespan


def check_policy(policy: SoCPolicy, path: Path) -> None:
    for tensor in policy.state_dict().values():
        assert torch.isfinite(tensor).all()
    for obs in OBSERVATIONS:
        assert obs["action_mask"][policy.act(obs)] == 1


def changed(content: dict[str, Any], *path: str, value: Any = None,
            delete: bool = False) -> dict[str, Any]:
    """A copy of ``content`` with the field at ``path`` set or deleted."""
    copy = {key: dict(value) if isinstance(value, dict) else value
            for key, value in content.items()}
    node = copy
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return copy


def first_weight(content: dict[str, Any]) -> str:
    return next(iter(content["state_dict"]))


def hand_made(content: dict[str, Any], size_field: str, count_field: str) -> list[Case]:
    """Cases every checkpoint kind gets; ``size_field`` is a width of its config,
    ``count_field`` a count that no weight's shape depends on."""
    weight = first_weight(content)
    tensor = content["state_dict"][weight]
    valid = to_bytes(content)
    cases = [
        Case("the valid checkpoint", valid, MUST_LOAD),
        Case("empty file", b""),
        Case("text", b"not a checkpoint\n"),
        Case("truncated", valid[: len(valid) // 2]),
        Case("the last byte cut", valid[:-1]),
        Case("a zip of nothing", to_bytes({})),
        Case("a list", to_bytes([1, 2, 3]), "not a"),
        Case("a tensor", to_bytes(torch.zeros(3)), "not a"),
        Case("no format", to_bytes(changed(content, "format", delete=True)), "format"),
        Case("another format", to_bytes(changed(content, "format", value="x")), "format"),
        Case("version 2", to_bytes(changed(content, "version", value=2)), "version"),
        Case("version NaN", to_bytes(changed(content, "version", value=math.nan)), "version"),
        Case("no config", to_bytes(changed(content, "config", delete=True)), "config"),
        Case("config a list", to_bytes(changed(content, "config", value=[8, 4])), "config"),
        Case("an unknown setting", to_bytes(changed(content, "config", "colour", value=1)),
             "config.colour"),
        Case("a width a string", to_bytes(changed(content, "config", size_field, value="8")),
             f"config.{size_field}"),
        Case("a width a float", to_bytes(changed(content, "config", size_field, value=8.0)),
             f"config.{size_field}"),
        Case("a width true", to_bytes(changed(content, "config", size_field, value=True)),
             f"config.{size_field}"),
        Case("a width 0", to_bytes(changed(content, "config", size_field, value=0)), None),
        Case("a width -1", to_bytes(changed(content, "config", size_field, value=-1)), None),
        Case("a width 10^12", to_bytes(changed(content, "config", size_field, value=10**12)),
             None),
        Case("a width 10^30", to_bytes(changed(content, "config", size_field, value=10**30)),
             None),
        Case("a width 2^63", to_bytes(changed(content, "config", size_field, value=2**63)),
             None),
        Case("a count -1", to_bytes(changed(content, "config", count_field, value=-1)), None),
        Case("a count 10^9", to_bytes(changed(content, "config", count_field, value=10**9)),
             "config"),
        Case("a count 10^5", to_bytes(changed(content, "config", count_field, value=10**5)),
             "config"),
        Case("a count 10^30", to_bytes(changed(content, "config", count_field, value=10**30)),
             "config"),
        Case("no state_dict", to_bytes(changed(content, "state_dict", delete=True)),
             "state_dict"),
        Case("state_dict a list", to_bytes(changed(content, "state_dict", value=[tensor])),
             "state_dict"),
        Case("a weight missing", to_bytes(changed(content, "state_dict", weight, delete=True)),
             weight),
        Case("a weight too many", to_bytes(changed(content, "state_dict", "extra.weight",
                                                   value=tensor)), "extra.weight"),
        Case("a weight of another shape", to_bytes(changed(
            content, "state_dict", weight, value=torch.zeros(tensor.shape[0] + 1))), weight),
        Case("a weight a number", to_bytes(changed(content, "state_dict", weight, value=1.0)),
             weight),
        Case("a weight a string", to_bytes(changed(content, "state_dict", weight, value="w")),
             weight),
        Case("a weight NaN", to_bytes(changed(content, "state_dict", weight,
                                              value=torch.full_like(tensor, math.nan))),
             f"weight {weight} holds NaN"),
        Case("a weight infinite", to_bytes(changed(content, "state_dict", weight,
                                                   value=torch.full_like(tensor, math.inf))),
             weight),
        Case("a weight of integers", to_bytes(changed(
            content, "state_dict", weight, value=torch.ones_like(tensor, dtype=torch.int64))),
             None),
        Case("a weight of booleans", to_bytes(changed(
            content, "state_dict", weight, value=torch.ones_like(tensor, dtype=torch.bool))),
             None),
        Case("a weight of complex numbers", to_bytes(changed(
            content, "state_dict", weight, value=torch.ones_like(tensor,
                                                                 dtype=torch.complex64))),
             "complex numbers"),
        Case("a weight in float64", to_bytes(changed(
            content, "state_dict", weight, value=tensor.double())), None),
        Case("a weight in float16", to_bytes(changed(
            content, "state_dict", weight, value=tensor.half())), None),
        Case("a weight of 1e38", to_bytes(changed(content, "state_dict", weight,
                                                  value=torch.full_like(tensor, 1e38))), None),
    ]
    return cases


NETWORK_CASES = [
    *hand_made(NETWORK, "hidden_dim", "embed_dim"),
    Case("an unknown scheme", to_bytes(changed(NETWORK, "config", "scheme", value="magic")),
         "unknown scheme 'magic'"),
    Case("metadata a list", to_bytes(changed(NETWORK, "metadata", value=[1])), "metadata"),
]
POLICY_CASES = hand_made(POLICY, "hidden_dim", "message_rounds")


def load_network(path: Path) -> DispatchNetwork:
    return DispatchNetwork.load(path)


def load_policy(path: Path) -> SoCPolicy:
    return SoCPolicy.load(path)


@pytest.mark.parametrize("case", NETWORK_CASES, ids=[case.name for case in NETWORK_CASES])
def test_hand_made_network_checkpoints(case: Case) -> None:
    run_case("checkpoint: job-shop network", load_network, case.data, "network.pt",
             case=case.name, expect=case.expect, check=check_network)


@pytest.mark.parametrize("case", POLICY_CASES, ids=[case.name for case in POLICY_CASES])
def test_hand_made_policy_checkpoints(case: Case) -> None:
    run_case("checkpoint: SoC policy", load_policy, case.data, "policy.pt", case=case.name,
             expect=case.expect, check=check_policy)


WEIGHT_VALUES: tuple[Callable[[torch.Tensor], Any], ...] = (
    lambda t: torch.full_like(t, math.nan), lambda t: torch.full_like(t, -math.inf),
    lambda t: t.reshape(-1), lambda t: t[:0], lambda t: t.to(torch.int32), lambda t: t * 1e30,
    lambda t: torch.zeros(()), lambda t: None, lambda t: [1.0], lambda t: t.t() if t.ndim == 2
    else t,
)


@st.composite
def content_mutations(draw: st.DrawFn, content: dict[str, Any]) -> bytes:
    """The checkpoint with one or two of its fields changed, or its bytes mutated."""
    if draw(st.integers(0, 4)) == 0:
        return draw(byte_mutations(to_bytes(content), most=2))
    mutated = changed(content, "format", value=content["format"])
    for _ in range(draw(st.integers(1, 2))):
        where = draw(st.sampled_from(("top", "config", "config", "weight", "weight")))
        if where == "top":
            key = draw(st.sampled_from(sorted(mutated)))
            mutated = changed(mutated, key, value=draw(st.sampled_from(NASTY_VALUES)))
        elif where == "config" and isinstance(mutated.get("config"), dict) and mutated["config"]:
            key = draw(st.sampled_from(sorted(mutated["config"])))
            mutated = changed(mutated, "config", key, value=draw(st.sampled_from(NASTY_VALUES)))
        elif isinstance(mutated.get("state_dict"), dict) and mutated["state_dict"]:
            key = draw(st.sampled_from(sorted(mutated["state_dict"])))
            tensor = mutated["state_dict"][key]
            if isinstance(tensor, torch.Tensor):
                value = draw(st.sampled_from(WEIGHT_VALUES))(tensor)
                mutated = changed(mutated, "state_dict", key, value=value)
    return to_bytes(mutated)


@FUZZ_SETTINGS
@given(data=content_mutations(NETWORK))
def test_mutated_network_checkpoints(data: bytes) -> None:
    run_case("checkpoint: job-shop network", load_network, data, "network.pt",
             check=check_network)


@FUZZ_SETTINGS
@given(data=content_mutations(POLICY))
def test_mutated_policy_checkpoints(data: bytes) -> None:
    run_case("checkpoint: SoC policy", load_policy, data, "policy.pt", check=check_policy)


def test_enough_malformed_checkpoints() -> None:
    assert len(NETWORK_CASES) + FUZZ_SETTINGS.max_examples >= 50
    assert len(POLICY_CASES) + FUZZ_SETTINGS.max_examples >= 50
