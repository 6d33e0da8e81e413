"""Tree search: finds the brute-force optimum on tiny programs; noise, choice and settings."""

from __future__ import annotations

import math

import numpy as np
import pytest
from planner_programs import game as make_game

from decisiongym.agents.memory.mcts import (
    Node,
    SearchConfig,
    TreeSearch,
    choose,
    play_episode,
    uniform_evaluator,
)
from decisiongym.agents.memory.search_state import SearchState
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.mapping import validate_mapping


def brute_force(state: SearchState) -> tuple[float, int]:
    """The least final time over every sequence of legal actions, and how many there are."""
    if state.terminal:
        return state.time, 1
    best, count = math.inf, 0
    for action in np.flatnonzero(state.legal_mask()):
        child = state.clone()
        child.step(int(action))
        time, leaves = brute_force(child)
        best, count = min(best, time), count + leaves
    return best, count


TINY = [("layers", 1, 0, 0.5, "full"), ("layers", 2, 1, 0.25, "full"),
        ("layers", 2, 3, 0.75, "basic"), ("layers", 1, 3, 0.75, "full")]


@pytest.mark.parametrize(("shape", "layers", "seed", "capacity", "mode"), TINY)
def test_uniform_prior_search_finds_the_brute_force_optimum(shape: str, layers: int, seed: int,
                                                            capacity: float,
                                                            mode: str) -> None:
    game = make_game(shape, layers, seed, capacity, mode)
    optimum, sequences = brute_force(game.initial_state())
    assert 8 <= sequences <= 5000  # tiny, yet a real choice
    greedy_time, _ = game.initial_state().greedy_completion()
    assert optimum < greedy_time  # the greedy misses the optimum on every one of these
    # no greedy completions: the search alone, values backed up from terminal states
    config = SearchConfig(simulations=3 * sequences, rollout_weight=0.0)
    episode = play_episode(game, uniform_evaluator, config, np.random.default_rng(0))
    assert episode.best_time == pytest.approx(optimum, rel=1e-12)
    assert episode.final.time == pytest.approx(optimum, rel=1e-12)
    assert validate_mapping(game.program, game.hardware, episode.best_mapping) == \
        pytest.approx(optimum, rel=1e-9)


def test_best_seen_is_never_slower_than_the_greedy_completion_or_all_slow() -> None:
    game = make_game("layers", 6, 2, 0.5)
    greedy_time, _ = game.initial_state().greedy_completion()
    episode = play_episode(game, uniform_evaluator, SearchConfig(simulations=4),
                           np.random.default_rng(0))
    assert episode.best_time <= min(greedy_time, game.time_all_slow)


def test_root_noise_keeps_a_distribution_over_the_legal_actions() -> None:
    game = make_game(capacity=0.75)
    state = game.initial_state()
    while state.legal_mask().sum() < 3:
        state.step(0)
    search = TreeSearch(game, uniform_evaluator, SearchConfig(noise_fraction=0.25),
                        np.random.default_rng(0))
    root = search.node(state)
    before = root.prior.copy()
    search.add_noise(root)
    assert root.prior.sum() == pytest.approx(1.0)
    assert (root.prior[~root.mask] == 0).all()
    assert not np.allclose(root.prior, before)


def test_choice_follows_the_visits() -> None:
    state = make_game(capacity=0.75).initial_state()
    while state.legal_mask().sum() < 3:
        state.step(0)
    root = Node(state, np.ones(state.game.n_actions), 0.0)
    legal = np.flatnonzero(root.mask)
    root.visits[legal] = np.arange(1, legal.size + 1)
    assert choose(root, 0.0, np.random.default_rng(0)) == legal[-1]
    assert root.visit_distribution().sum() == pytest.approx(1.0)
    assert (root.visit_distribution()[~root.mask] == 0).all()
    picks = {choose(root, 1.0, np.random.default_rng(seed)) for seed in range(50)}
    assert picks <= set(legal.tolist()) and len(picks) > 1


@pytest.mark.parametrize(("field", "value"), [("simulations", -1), ("rollout_weight", 1.5),
                                              ("noise_fraction", -0.1), ("c_puct", -1.0),
                                              ("dirichlet_alpha", 0.0)])
def test_bad_settings_name_the_field(field: str, value: float) -> None:
    with pytest.raises(InputError, match=field):
        SearchConfig(**{field: value})
