"""The search state plays the mapping env's game: same observations, masks, rewards, mapping."""

from __future__ import annotations

import numpy as np
import pytest
from planner_programs import game as make_game

from decisiongym.agents.memory.search_state import MappingGame
from decisiongym.baselines.memory.xla_greedy import xla_greedy
from decisiongym.envs.core.errors import InvalidActionError
from decisiongym.envs.memory.mapping_env import MemoryMappingEnv
from decisiongym.envs.memory.program_generator import SyntheticProgramGenerator


@pytest.mark.parametrize("mode", ["basic", "full"])
@pytest.mark.parametrize("shape", ["layers", "decode"])
@pytest.mark.parametrize("order", ["benefit", "first-use"])
def test_state_follows_the_env_step_by_step(mode: str, shape: str, order: str) -> None:
    env = MemoryMappingEnv(generator=SyntheticProgramGenerator(shape=shape, n_layers=5),
                           mode=mode, order=order, capacity=0.5)
    for seed in range(2):
        obs, _ = env.reset(seed=seed)
        state = MappingGame.from_env(env).initial_state()
        rng = np.random.default_rng(seed)
        done = False
        while not done:
            np.testing.assert_array_equal(state.observation(), obs)
            np.testing.assert_array_equal(state.legal_mask(), env.action_masks())
            assert state.buffer == env.current_buffer
            action = int(rng.choice(np.flatnonzero(env.action_masks())))
            obs, reward, done, _, info = env.step(action)
            assert state.step(action) == reward
            assert state.time == info["time_us"]
        assert state.terminal and state.mapping() == info["mapping"]


def test_clone_is_independent() -> None:
    state = make_game(capacity=0.75).initial_state()
    copy = state.clone()
    while not copy.terminal:
        copy.step(int(np.flatnonzero(copy.legal_mask())[-1]))
    assert state.position == 0 and (state.fast_start == -1).all()
    assert (state.outstanding == 0).all() and copy.position == state.game.n_buffers


@pytest.mark.parametrize("shape", ["layers", "decode"])
@pytest.mark.parametrize("capacity", [0.25, 0.5, 0.75])
def test_greedy_completion_from_the_start_is_the_xla_greedy(shape: str, capacity: float) -> None:
    game = make_game(shape, 6, 1, capacity)
    time, mapping = game.initial_state().greedy_completion()
    greedy = xla_greedy(game.program, game.hardware, "full")
    if game.simulate(greedy.fast_start, greedy.fast_end) <= game.time_all_slow and time <= \
            game.time_all_slow:
        # the greedy's first pass (its copy-free rerun only follows a pass slower than all-slow)
        assert mapping == greedy
        assert time == game.simulate(greedy.fast_start, greedy.fast_end)


def test_illegal_moves_raise() -> None:
    state = make_game(capacity=0.25).initial_state()
    illegal = np.flatnonzero(~state.legal_mask())
    for action in [*illegal.tolist(), state.game.n_actions, -1]:
        with pytest.raises(InvalidActionError):
            state.step(int(action))
    while not state.terminal:
        state.step(0)
    with pytest.raises(InvalidActionError):
        state.step(0)
