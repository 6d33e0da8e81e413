"""Self-play training of the planner's network (AlphaZero's loop on the known simulator).

Each iteration plays ``episodes_per_iteration`` episodes on freshly drawn programs (the
generator's ``"layers"`` and ``"decode"`` shapes, a fast capacity of 25, 50 or 75 % of the
peak live bytes, both visit orders), every searched decision with root noise and the first
``temperature_moves`` moves sampled from the visits. Each searched decision leaves a training
example: the observation, the legal actions, the root's visit distribution ``pi`` and the
value target ``z``, the time the played episode still saved from that state over the all-slow
time. The network is then fitted on minibatches drawn from a replay of the latest examples:

    ``loss = - sum_a pi(a) log p(a | s)  +  value_weight (v(s) - z)^2``   (AlphaZero's loss;
    the L2 term is Adam's weight decay)

Everything random draws from generators seeded by ``(seed, iteration, episode)`` and torch is
pinned to one thread, so a run is reproduced by its seed, and a run resumed from its checkpoint
(``checkpoint.pt`` in the output folder, written after every iteration: network, optimizer,
replay) ends with the weights of an uninterrupted one.

With the default :class:`PlannerTrainConfig` (30 iterations of 8 episodes, 32 simulations per
decision) a run takes about 3.5 minutes on a shared 2-core machine, far inside the 90-minute
budget; weights meant for shipping go to ``decisiongym/data/memory/planner.pt``, which
:func:`~decisiongym.agents.memory.planner.plan` loads by default when it is present::

    from decisiongym.agents.memory.training import PlannerTrainConfig, train_planner
    train_planner(PlannerTrainConfig(), "runs/planner")   # writes runs/planner/planner.pt
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from decisiongym.agents.checkpoints import read_checkpoint, write_checkpoint
from decisiongym.agents.memory.mcts import Episode, SearchConfig, play_episode
from decisiongym.agents.memory.network import NetworkConfig, PlannerNetwork
from decisiongym.agents.memory.search_state import MappingGame
from decisiongym.agents.threads import single_torch_thread
from decisiongym.baselines.memory.xla_greedy import xla_greedy
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.hardware import hardware_preset
from decisiongym.envs.memory.program_generator import SyntheticProgramGenerator

TRAINING_FORMAT = "decisiongym-memory-planner-training"
TRAINING_VERSION = 1
NETWORK_FILE = "planner.pt"
CHECKPOINT_FILE = "checkpoint.pt"
LOG_FILE = "log.csv"


@dataclass
class PlannerTrainConfig:
    """Every setting of :func:`train_planner`.

    :param seed: seeds the programs, the search's noise, the minibatches and the first weights.
    :param iterations: rounds of self-play then fitting.
    :param episodes_per_iteration: self-play episodes per round.
    :param simulations: simulations per searched decision in self-play.
    :param rollout_weight: share of the greedy completion in a leaf's value (see
        :class:`~decisiongym.agents.memory.mcts.SearchConfig`).
    :param c_puct: the search's prior weight.
    :param dirichlet_alpha: concentration of the root noise.
    :param noise_fraction: share of the root noise.
    :param temperature_moves: searched decisions per episode whose move is sampled.
    :param shapes: program shapes drawn (:class:`SyntheticProgramGenerator`'s).
    :param min_layers: fewest layers of a drawn program.
    :param max_layers: most layers of a drawn program.
    :param capacities: fast capacities drawn, as fractions of the peak live bytes.
    :param orders: visit orders drawn.
    :param hardware: the chip preset.
    :param mode: the env's mode.
    :param replay_size: examples kept (the latest).
    :param batch_size: minibatch size.
    :param updates_per_iteration: gradient steps per round.
    :param lr: Adam's step size.
    :param weight_decay: Adam's L2 weight decay.
    :param value_weight: weight of the value loss.
    :param hidden: width of the network's hidden layers.
    """

    seed: int = 0
    iterations: int = 30
    episodes_per_iteration: int = 8
    simulations: int = 32
    rollout_weight: float = 0.5
    c_puct: float = 1.25
    dirichlet_alpha: float = 0.3
    noise_fraction: float = 0.25
    temperature_moves: int = 4
    shapes: tuple[str, ...] = ("layers", "decode")
    min_layers: int = 4
    max_layers: int = 10
    capacities: tuple[float, ...] = (0.25, 0.5, 0.75)
    orders: tuple[str, ...] = ("benefit", "first-use")
    hardware: str = "tpu-like"
    mode: str = "full"
    replay_size: int = 20_000
    batch_size: int = 128
    updates_per_iteration: int = 40
    lr: float = 1e-3
    weight_decay: float = 1e-4
    value_weight: float = 1.0
    hidden: int = 128

    def __post_init__(self) -> None:
        for name in ("iterations", "episodes_per_iteration", "replay_size", "batch_size",
                     "min_layers", "hidden"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"must be an integer >= 1, got {value!r}", field=name)
        if self.max_layers < self.min_layers:
            raise InputError(f"must be >= min_layers ({self.min_layers}), got "
                             f"{self.max_layers!r}", field="max_layers")
        for name in ("shapes", "capacities", "orders"):
            if not getattr(self, name):
                raise InputError("must name at least one choice", field=name)
        self.search_config()

    def search_config(self) -> SearchConfig:
        """The self-play search's settings."""
        return SearchConfig(simulations=self.simulations, c_puct=self.c_puct,
                            rollout_weight=self.rollout_weight,
                            dirichlet_alpha=self.dirichlet_alpha,
                            noise_fraction=self.noise_fraction)


class Replay:
    """The latest ``size`` examples, as arrays (a ring)."""

    def __init__(self, size: int, observation_size: int, n_actions: int) -> None:
        self.observation = np.zeros((size, observation_size), dtype=np.float32)
        self.mask = np.zeros((size, n_actions), dtype=bool)
        self.policy = np.zeros((size, n_actions), dtype=np.float32)
        self.value = np.zeros(size, dtype=np.float32)
        self.added = 0

    @property
    def filled(self) -> int:
        """Examples held."""
        return min(self.added, self.value.size)

    def add(self, episode: Episode, time_all_slow: float) -> None:
        """The episode's searched decisions, with ``z`` from its played final time."""
        final = episode.final.time
        for decision in episode.decisions:
            row = self.added % self.value.size
            self.observation[row] = decision.observation
            self.mask[row] = decision.mask
            self.policy[row] = decision.visits
            self.value[row] = (decision.time - final) / time_all_slow
            self.added += 1

    def state(self) -> dict[str, Any]:
        """Plain tensors for a checkpoint."""
        return {"observation": torch.from_numpy(self.observation.copy()),
                "mask": torch.from_numpy(self.mask.copy()),
                "policy": torch.from_numpy(self.policy.copy()),
                "value": torch.from_numpy(self.value.copy()), "added": self.added}

    def restore(self, state: dict[str, Any]) -> None:
        """Undo :meth:`state`."""
        self.observation = state["observation"].numpy().copy()
        self.mask = state["mask"].numpy().copy()
        self.policy = state["policy"].numpy().copy()
        self.value = state["value"].numpy().copy()
        self.added = int(state["added"])


def draw_game(config: PlannerTrainConfig, rng: np.random.Generator) -> MappingGame:
    """A self-play episode's program, capacity and order, drawn from ``rng``."""
    shape = str(config.shapes[int(rng.integers(len(config.shapes)))])
    layers = int(rng.integers(config.min_layers, config.max_layers + 1))
    capacity = float(config.capacities[int(rng.integers(len(config.capacities)))])
    order = str(config.orders[int(rng.integers(len(config.orders)))])
    program = SyntheticProgramGenerator(shape=shape, n_layers=layers).generate(rng)
    chip = hardware_preset(config.hardware).with_capacity(capacity, program.peak_live_bytes())
    return MappingGame.build(program, chip, config.mode, order)


def fit(network: PlannerNetwork, optimizer: torch.optim.Optimizer, replay: Replay,
        config: PlannerTrainConfig, rng: np.random.Generator) -> tuple[float, float]:
    """``updates_per_iteration`` gradient steps on the loss of the module docstring; returns
    the mean policy and value losses."""
    policy_total = value_total = 0.0
    network.train()
    for _ in range(config.updates_per_iteration):
        rows = rng.integers(0, replay.filled, min(config.batch_size, replay.filled))
        observation = torch.from_numpy(replay.observation[rows])
        mask = torch.from_numpy(replay.mask[rows])
        target = torch.from_numpy(replay.policy[rows])
        logits, value = network(observation, mask)
        log_p = torch.where(mask, F.log_softmax(logits, -1), torch.zeros_like(logits))
        policy_loss = -(target * log_p).sum(-1).mean()
        value_loss = F.mse_loss(value, torch.from_numpy(replay.value[rows]))
        loss = policy_loss + config.value_weight * value_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        policy_total += float(policy_loss.detach())
        value_total += float(value_loss.detach())
    network.eval()
    updates = max(1, config.updates_per_iteration)
    return policy_total / updates, value_total / updates


def train_planner(config: PlannerTrainConfig | None = None,
                  out_dir: str | os.PathLike[str] = "planner-run",
                  progress: bool = True) -> PlannerNetwork:
    """Train the network by self-play (module docstring), resuming from ``out_dir`` when it
    holds a checkpoint of the same config.

    Writes ``planner.pt`` (the network, for :meth:`PlannerNetwork.load`), ``checkpoint.pt``
    (what resuming reads) and ``log.csv`` (one row per iteration: the mean ratio of the
    greedy's time to the best time each self-play search met, the losses, seconds).

    :param config: the settings.
    :param out_dir: the output folder (created).
    :param progress: show a progress bar.
    :return: the trained network.
    :raises InputError: when ``out_dir`` holds a checkpoint of another config.
    """
    from rich.progress import Progress

    config = config or PlannerTrainConfig()
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    probe = draw_game(config, np.random.default_rng([config.seed, 0, 0]))
    net_config = NetworkConfig(probe.observation_size, probe.n_actions, config.hidden)
    with single_torch_thread():
        torch.manual_seed(config.seed)
        network = PlannerNetwork(net_config)
        network.eval()
        optimizer = torch.optim.Adam(network.parameters(), lr=config.lr,
                                     weight_decay=config.weight_decay)
        replay = Replay(config.replay_size, net_config.observation_size, net_config.n_actions)
        start, log = _resume(folder, config, network, optimizer, replay)
        search = config.search_config()
        with Progress(disable=not progress, transient=False) as bar:
            task = bar.add_task("self-play", total=config.iterations, completed=start)
            for iteration in range(start, config.iterations):
                t0 = time.perf_counter()
                ratios = []
                for episode_index in range(config.episodes_per_iteration):
                    rng = np.random.default_rng([config.seed, iteration, episode_index])
                    game = draw_game(config, rng)
                    episode = play_episode(game, network.evaluate, search, rng,
                                           config.temperature_moves)
                    replay.add(episode, game.time_all_slow)
                    greedy = xla_greedy(game.program, game.hardware, game.mode, game.arrays)
                    ratios.append(game.simulate(greedy.fast_start, greedy.fast_end)
                                  / episode.best_time)
                fit_rng = np.random.default_rng([config.seed, iteration, 1 << 20])
                policy_loss, value_loss = (fit(network, optimizer, replay, config, fit_rng)
                                           if replay.filled else (0.0, 0.0))
                log.append({"iteration": iteration + 1, "examples": replay.filled,
                            "greedy_over_search": float(np.mean(ratios)),
                            "policy_loss": policy_loss, "value_loss": value_loss,
                            "seconds": time.perf_counter() - t0})
                _save(folder, config, network, optimizer, replay, iteration + 1, log)
                bar.update(task, advance=1)
    return network


def _save(folder: Path, config: PlannerTrainConfig, network: PlannerNetwork,
          optimizer: torch.optim.Optimizer, replay: Replay, iterations: int,
          log: list[dict[str, float]]) -> None:
    network.save(folder / NETWORK_FILE)
    write_checkpoint(folder / CHECKPOINT_FILE, TRAINING_FORMAT, TRAINING_VERSION, {
        "config": asdict(config), "iterations": iterations,
        "state_dict": {k: v.detach().clone() for k, v in network.state_dict().items()},
        "optimizer": optimizer.state_dict(), "replay": replay.state(),
        "log": [list(row.values()) for row in log]})
    with open(folder / LOG_FILE, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(log[0]))
        writer.writeheader()
        writer.writerows(log)


LOG_COLUMNS = ("iteration", "examples", "greedy_over_search", "policy_loss", "value_loss",
               "seconds")


def _resume(folder: Path, config: PlannerTrainConfig, network: PlannerNetwork,
            optimizer: torch.optim.Optimizer, replay: Replay
            ) -> tuple[int, list[dict[str, float]]]:
    path = folder / CHECKPOINT_FILE
    if not path.is_file():
        return 0, []
    content = read_checkpoint(path, TRAINING_FORMAT, TRAINING_VERSION, "planner training")
    saved = dict(content["config"])
    current = asdict(config)
    differs = sorted(k for k in current if k != "iterations" and saved.get(k) != current[k])
    if differs:
        raise InputError(f"{path} was written by a run with other settings "
                         f"({', '.join(differs)}); use another folder", field="out_dir")
    network.load_state_dict(content["state_dict"])
    optimizer.load_state_dict(content["optimizer"])
    replay.restore(content["replay"])
    log = [dict(zip(LOG_COLUMNS, row)) for row in content["log"]]
    return int(content["iterations"]), log
