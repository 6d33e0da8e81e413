"""The planner's network: shapes, masks, a checkpoint round trip, refused files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from planner_programs import game as make_game

from decisiongym.agents.memory.network import NetworkConfig, PlannerNetwork
from decisiongym.envs.core.errors import CheckpointError


@pytest.mark.parametrize("mode", ["basic", "full"])
def test_shapes_and_masks_follow_the_env(mode: str) -> None:
    game = make_game(capacity=0.25, mode=mode)
    assert (game.observation_size, game.n_actions) == ((22, 2) if mode == "basic" else (38, 6))
    torch.manual_seed(0)
    network = PlannerNetwork(NetworkConfig(game.observation_size, game.n_actions, 16))
    state = game.initial_state()
    masks = []
    observations = []
    while not state.terminal:
        masks.append(state.legal_mask())
        observations.append(state.observation())
        prior, value = network.evaluate(state)
        assert prior.shape == (game.n_actions,) and prior.sum() == pytest.approx(1.0)
        assert (prior[~state.legal_mask()] == 0).all() and np.isfinite(value)
        state.step(0)
    mask = torch.from_numpy(np.array(masks))
    logits, values = network(torch.from_numpy(np.array(observations)), mask)
    assert logits.shape == (len(masks), game.n_actions) and values.shape == (len(masks),)
    assert torch.isneginf(logits[~mask]).all() and torch.isfinite(logits[mask]).all()
    assert (~mask).any()  # some window was illegal, so the mask was exercised


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(1)
    network = PlannerNetwork(NetworkConfig(hidden=24))
    path = tmp_path / "planner.pt"
    network.save(path)
    loaded = PlannerNetwork.load(path)
    assert loaded.config == network.config
    observation, mask = torch.rand(5, 38), torch.ones(5, 6, dtype=torch.bool)
    for got, want in zip(loaded(observation, mask), network(observation, mask)):
        torch.testing.assert_close(got, want, rtol=0, atol=0)
    content = torch.load(path, weights_only=True)
    assert content["format"] == "decisiongym-memory-planner"


def test_other_files_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.pt"
    torch.save({"format": "something-else", "version": 1}, other)
    with pytest.raises(CheckpointError, match="format"):
        PlannerNetwork.load(other)
    with pytest.raises(FileNotFoundError):
        PlannerNetwork.load(tmp_path / "missing.pt")
