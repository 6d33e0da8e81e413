"""``plan``: a memory mapping by tree search, never slower than the XLA-style greedy.

The search (:mod:`decisiongym.agents.memory.mcts`) decides the buffers one by one in the
mapping env's order, ``simulations`` simulations per decision, guided by the policy/value
network (the shipped weights by default) and valued by greedy completions. Its answer is the
fastest complete mapping it met. The XLA-style greedy
(:func:`~decisiongym.baselines.memory.xla_greedy.xla_greedy`) is run as well: when it is
faster, its mapping is returned and the result says the planner *fell back*. Either way the
answer is re-checked by :func:`~decisiongym.envs.memory.mapping.validate_mapping`, whose time
is the one reported.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from decisiongym.agents.memory.mcts import Evaluator, SearchConfig, play_episode, uniform_evaluator
from decisiongym.agents.memory.network import PlannerNetwork
from decisiongym.agents.memory.search_state import MappingGame
from decisiongym.agents.threads import single_torch_thread
from decisiongym.baselines.memory.xla_greedy import xla_greedy
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.hardware import Hardware
from decisiongym.envs.memory.mapping import Mapping, validate_mapping
from decisiongym.envs.memory.program import Program

SHIPPED = "shipped"
NetworkChoice = PlannerNetwork | str | os.PathLike[str] | None


@dataclass(frozen=True)
class PlanResult:
    """What :func:`plan` found.

    :param mapping: the answer (validated).
    :param time_us: its run time as :func:`validate_mapping` recomputes it.
    :param time_all_slow_us: the run time with every buffer in slow memory.
    :param greedy_time_us: the XLA-style greedy's run time.
    :param search_time_us: the fastest mapping the search met.
    :param fell_back: the greedy was faster than anything the search met, so its mapping is
        the answer.
    :param decisions: decisions searched (those with two or more legal actions).
    :param simulations: simulations run in all.
    :param wall_s: seconds taken, greedy and validation included.
    """

    mapping: Mapping
    time_us: float
    time_all_slow_us: float
    greedy_time_us: float
    search_time_us: float
    fell_back: bool
    decisions: int
    simulations: int
    wall_s: float

    @property
    def speedup(self) -> float:
        """All-slow time over the answer's time."""
        return self.time_all_slow_us / self.time_us if self.time_us > 0 else 1.0

    @property
    def greedy_speedup(self) -> float:
        """All-slow time over the greedy's time."""
        return self.time_all_slow_us / self.greedy_time_us if self.greedy_time_us > 0 else 1.0


def resolve_network(network: NetworkChoice, game: MappingGame) -> PlannerNetwork | None:
    """The network to guide a search on ``game``.

    :param network: a network; a checkpoint path; ``"shipped"`` for the shipped weights, or
        none when they are absent or do not fit the game's mode; ``None`` for none (a uniform
        prior, values from greedy completions alone).
    :raises InputError: when a network given does not fit the game's observation and actions.
    """
    if network is None:
        return None
    if isinstance(network, str) and network == SHIPPED:
        try:
            shipped = PlannerNetwork.load()
        except FileNotFoundError:
            return None
        return shipped if shipped.fits(game.observation_size, game.n_actions) else None
    loaded = network if isinstance(network, PlannerNetwork) else PlannerNetwork.load(
        Path(network))
    if not loaded.fits(game.observation_size, game.n_actions):
        raise InputError(f"the network reads {loaded.config.observation_size} features and "
                         f"scores {loaded.config.n_actions} actions; mode {game.mode!r} has "
                         f"{game.observation_size} and {game.n_actions}", field="network")
    return loaded


def plan(program: Program, hardware: Hardware, mode: str = "full", simulations: int = 64,
         seed: int = 0, *, order: str = "benefit", network: NetworkChoice = SHIPPED,
         config: SearchConfig | None = None) -> PlanResult:
    """Map ``program`` onto ``hardware`` by tree search (module docstring).

    :param program: the scheduled program.
    :param hardware: the chip, its fast capacity as given.
    :param mode: the mapping env's mode, ``"full"`` or ``"basic"``.
    :param simulations: simulations per searched decision (0: follow the network's prior).
    :param seed: seeds the search's randomness (root noise, when the config asks for it).
    :param order: the order buffers are decided in, ``"benefit"`` or ``"first-use"``.
    :param network: see :func:`resolve_network`.
    :param config: the search's other settings; its ``simulations`` is replaced by the
        argument.
    :return: the answer, never slower than the XLA-style greedy's.
    :raises InputError: for an unknown mode or order, or a network that does not fit.
    """
    started = time.perf_counter()
    game = MappingGame.build(program, hardware, mode, order)
    settings = SearchConfig(**{**(config or SearchConfig()).__dict__,
                               "simulations": simulations})
    guide = resolve_network(network, game)
    evaluator: Evaluator = guide.evaluate if guide is not None else uniform_evaluator
    with single_torch_thread():
        episode = play_episode(game, evaluator, settings, np.random.default_rng(seed))
    greedy = xla_greedy(program, hardware, mode, game.arrays)
    greedy_time = game.simulate(greedy.fast_start, greedy.fast_end)
    fell_back = greedy_time < episode.best_time
    answer = greedy if fell_back else episode.best_mapping
    checked = validate_mapping(program, hardware, answer)
    return PlanResult(answer, checked, game.time_all_slow,
                      validate_mapping(program, hardware, greedy), episode.best_time, fell_back,
                      len(episode.decisions), episode.simulations,
                      time.perf_counter() - started)
