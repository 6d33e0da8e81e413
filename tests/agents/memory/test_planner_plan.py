"""plan(): never slower than the XLA-style greedy, validated, reproducible, falls back."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from planner_programs import program_and_chip

from decisiongym.agents.memory.mcts import SearchConfig
from decisiongym.agents.memory.network import NetworkConfig, PlannerNetwork
from decisiongym.agents.memory.planner import plan
from decisiongym.baselines.memory.xla_greedy import xla_greedy
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.mapping import validate_mapping


@pytest.mark.parametrize("shape", ["layers", "decode"])
@pytest.mark.parametrize("capacity", [0.25, 0.5, 0.75])
@pytest.mark.parametrize("order", ["benefit", "first-use"])
def test_never_slower_than_the_greedy(shape: str, capacity: float, order: str) -> None:
    program, chip = program_and_chip(shape, 4, 7, capacity)
    result = plan(program, chip, simulations=8, order=order, network=None)
    greedy_time = validate_mapping(program, chip, xla_greedy(program, chip))
    assert result.greedy_time_us == pytest.approx(greedy_time, rel=1e-12)
    assert result.time_us <= greedy_time * (1 + 1e-12)
    assert result.time_us == pytest.approx(validate_mapping(program, chip, result.mapping),
                                           rel=1e-12)
    if result.fell_back:
        assert result.mapping == xla_greedy(program, chip)
        assert result.search_time_us > greedy_time * (1 - 1e-9)
    else:
        assert result.search_time_us <= greedy_time * (1 + 1e-9)
    assert result.speedup >= result.greedy_speedup * (1 - 1e-12)


def test_beats_the_greedy_on_a_layer_stack() -> None:
    program, chip = program_and_chip("layers", 8, 1, 0.75)
    result = plan(program, chip, simulations=16, network=None)
    assert not result.fell_back and result.time_us < result.greedy_time_us * 0.95


def _slow_minded_network() -> PlannerNetwork:
    torch.manual_seed(0)
    network = PlannerNetwork(NetworkConfig(hidden=8))
    with torch.no_grad():
        network.policy_head.weight.zero_()
        network.policy_head.bias.copy_(torch.tensor([50.0, 0, 0, 0, 0, 0]))
    return network


def test_falls_back_to_the_greedy_when_the_search_finds_worse() -> None:
    program, chip = program_and_chip("layers", 6, 2, 0.5)
    # no search and no greedy completions: the prior alone keeps everything in slow memory
    result = plan(program, chip, simulations=0, network=_slow_minded_network(),
                  config=SearchConfig(rollout_weight=0.0))
    assert result.fell_back
    assert result.search_time_us == pytest.approx(result.time_all_slow_us, rel=1e-12)
    assert result.mapping == xla_greedy(program, chip)
    assert result.time_us == pytest.approx(result.greedy_time_us, rel=1e-12)


def test_same_seed_same_answer() -> None:
    program, chip = program_and_chip("layers", 6, 3, 0.5)
    noisy = SearchConfig(noise_fraction=0.5)
    first = plan(program, chip, simulations=8, seed=4, network=None, config=noisy)
    again = plan(program, chip, simulations=8, seed=4, network=None, config=noisy)
    assert first.mapping == again.mapping and first.time_us == again.time_us


def test_a_network_of_another_mode_is_refused() -> None:
    program, chip = program_and_chip("layers", 3, 0, 0.5)
    with pytest.raises(InputError, match="network"):
        plan(program, chip, mode="basic", network=PlannerNetwork(NetworkConfig(hidden=8)))
    assert np.isfinite(plan(program, chip, mode="basic", simulations=2).time_us)
