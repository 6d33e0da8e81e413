"""MaskablePPO on the mapping env: trains, maps validly, checkpoint round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from planner_programs import program_and_chip

from decisiongym.agents.memory.ppo import (
    MappingPPOConfig,
    load_ppo_mapper,
    ppo_mapping,
    save_ppo_mapper,
    train_ppo_mapper,
)
from decisiongym.envs.core.errors import CheckpointError, InputError
from decisiongym.envs.memory.mapping import validate_mapping


def test_trains_maps_and_round_trips(tmp_path: Path) -> None:
    config = MappingPPOConfig(timesteps=128, n_steps=64, batch_size=32, n_layers=3, hidden=16)
    model = train_ppo_mapper(config)
    program, chip = program_and_chip("layers", 5, 1, 0.5)
    mapping = ppo_mapping(model, program, chip)
    assert validate_mapping(program, chip, mapping) > 0
    path = tmp_path / "ppo.pt"
    save_ppo_mapper(model, config, path)
    loaded, loaded_config = load_ppo_mapper(path)
    assert loaded_config == config
    assert ppo_mapping(loaded, program, chip) == mapping
    for name, tensor in loaded.policy.state_dict().items():
        torch.testing.assert_close(tensor, model.policy.state_dict()[name], rtol=0, atol=0)
    assert torch.load(path, weights_only=True)["format"] == "decisiongym-memory-ppo"


def test_other_files_and_settings_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.pt"
    torch.save({"format": "decisiongym-memory-planner", "version": 1}, other)
    with pytest.raises(CheckpointError):
        load_ppo_mapper(other)
    with pytest.raises(InputError, match="timesteps"):
        MappingPPOConfig(timesteps=0)
