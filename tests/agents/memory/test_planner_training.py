"""Self-play training: targets, files, same seed same weights, resuming, settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from planner_programs import game as make_game

from decisiongym.agents.memory.mcts import SearchConfig, play_episode, uniform_evaluator
from decisiongym.agents.memory.network import PlannerNetwork
from decisiongym.agents.memory.training import PlannerTrainConfig, Replay, train_planner
from decisiongym.envs.core.errors import InputError

TINY = {"iterations": 2, "episodes_per_iteration": 2, "simulations": 3, "min_layers": 2,
        "max_layers": 3, "batch_size": 16, "updates_per_iteration": 3, "replay_size": 400,
        "hidden": 16}


def test_targets_are_visits_and_the_saving_still_to_come() -> None:
    game = make_game("layers", 4, 0, 0.75)
    episode = play_episode(game, uniform_evaluator, SearchConfig(simulations=6),
                           np.random.default_rng(0))
    replay = Replay(100, game.observation_size, game.n_actions)
    replay.add(episode, game.time_all_slow)
    assert replay.filled == len(episode.decisions) > 0
    for row, decision in enumerate(episode.decisions):
        np.testing.assert_allclose(replay.policy[row], decision.visits, rtol=1e-6)
        assert replay.policy[row].sum() == pytest.approx(1.0, abs=1e-6)
        assert (replay.policy[row][~replay.mask[row]] == 0).all()
    first = episode.decisions[0]
    if first.time == game.time_all_slow:  # decided before any buffer was in fast memory
        assert replay.value[0] == pytest.approx(1 - episode.final.time / game.time_all_slow,
                                                rel=1e-6)
    assert replay.value[len(episode.decisions) - 1] >= -1e-9


def _weights(network: PlannerNetwork) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in network.state_dict().items()}


def test_same_seed_same_weights_and_resume_continues(tmp_path: Path) -> None:
    config = PlannerTrainConfig(**TINY)
    straight = _weights(train_planner(config, tmp_path / "a", progress=False))
    again = _weights(train_planner(config, tmp_path / "b", progress=False))
    for name in straight:
        torch.testing.assert_close(straight[name], again[name], rtol=0, atol=0)
    train_planner(PlannerTrainConfig(**{**TINY, "iterations": 1}), tmp_path / "c",
                  progress=False)
    resumed = _weights(train_planner(config, tmp_path / "c", progress=False))
    for name in straight:
        torch.testing.assert_close(straight[name], resumed[name], rtol=0, atol=0)
    assert (tmp_path / "c" / "log.csv").read_text().count("\n") == 3
    loaded = PlannerNetwork.load(tmp_path / "c" / "planner.pt")
    for name, tensor in loaded.state_dict().items():
        torch.testing.assert_close(tensor, straight[name], rtol=0, atol=0)


def test_resume_refuses_other_settings(tmp_path: Path) -> None:
    train_planner(PlannerTrainConfig(**{**TINY, "iterations": 1}), tmp_path, progress=False)
    with pytest.raises(InputError, match="lr"):
        train_planner(PlannerTrainConfig(**{**TINY, "lr": 0.1}), tmp_path, progress=False)


@pytest.mark.parametrize(("field", "value"), [("iterations", 0), ("max_layers", 1),
                                              ("shapes", ()), ("simulations", -2)])
def test_bad_settings_name_the_field(field: str, value: object) -> None:
    with pytest.raises(InputError, match=field):
        PlannerTrainConfig(**{field: value})
