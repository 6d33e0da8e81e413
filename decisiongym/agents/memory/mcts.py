"""Monte-Carlo tree search over the mapping game (AlphaZero's PUCT on the known simulator).

The model of the dynamics is the real simulator (:class:`~decisiongym.agents.memory.search_state.
SearchState`), not a learned one as in MuZero: the search is AlphaZero's (Silver et al., 2018),
with MuZero's per-edge rewards and min-max normalised values (Schrittwieser et al., 2020)
because the mapping game pays a reward at every step.

Values are in units of the program's all-slow time: the value of a state is the time still to
be saved from it, ``(time(s) - final time) / time_all_slow``. An edge ``a`` out of a node holds
its reward ``r(s, a)`` (the time the move saves, in the same units), its visit count ``N`` and
the sum ``W`` of the values backed up through it, so ``Q(s, a) = r(s, a) + W / N``.

* **Selection** (PUCT): ``argmax_a  Qn(s, a) + c_puct P(s, a) sqrt(sum_b N(s, b)) / (1 + N(s, a))``
  over the legal actions, where ``Qn`` is ``Q`` scaled to ``[0, 1]`` by the lowest and highest
  ``Q`` seen in the tree, and an unvisited edge takes the node's own value estimate.
* **Evaluation** of a new node: a terminal state's value is 0, exact. Otherwise the network
  gives the prior ``P`` and a value ``v_net``, and the greedy completion of the state (the
  XLA-style greedy deciding the remaining buffers, a rollout in numba) an achievable value
  ``v_greedy`` (never below 0: leaving the rest in slow memory saves 0 more);
  the leaf value is ``(1 - rollout_weight) v_net + rollout_weight v_greedy``.
* **Backup**: ``G`` starts at the leaf value; going up, ``G = r(s, a) + G`` is added to ``W`` of
  each edge on the path.
* **Root noise** (training only): ``P = (1 - noise_fraction) P + noise_fraction Dir(alpha)`` over
  the legal actions.

Every complete mapping the search meets (a terminal state, a greedy completion, or a state with
the rest left in slow memory) is kept when it is the fastest yet, so a search can return the
best mapping it saw, not only the one its visit counts lead to.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from decisiongym.agents.memory.search_state import MappingGame, SearchState
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.mapping import Mapping

Evaluator = Callable[[SearchState], tuple[np.ndarray, float]]
"""``evaluate(state) -> (prior over the actions, value)``; the prior is ignored on illegal
actions and need not be normalised over the legal ones."""


def uniform_evaluator(state: SearchState) -> tuple[np.ndarray, float]:
    """The same prior on every action and a value of 0 (search guided by values alone)."""
    return np.ones(state.game.n_actions), 0.0


@dataclass
class SearchConfig:
    """Settings of one search.

    :param simulations: simulations per decision.
    :param c_puct: weight of the prior against the value in the selection rule.
    :param rollout_weight: share of the greedy completion's value in a leaf's value (the rest
        is the network's).
    :param dirichlet_alpha: concentration of the root noise.
    :param noise_fraction: share of the root noise in the root prior (0: no noise).
    """

    simulations: int = 64
    c_puct: float = 1.25
    rollout_weight: float = 1.0
    dirichlet_alpha: float = 0.3
    noise_fraction: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.simulations, bool) or not isinstance(self.simulations, int) \
                or self.simulations < 0:
            raise InputError(f"must be an integer >= 0, got {self.simulations!r}",
                             field="simulations")
        if not 0.0 <= self.rollout_weight <= 1.0:
            raise InputError(f"must be in [0, 1], got {self.rollout_weight!r}",
                             field="rollout_weight")
        if not 0.0 <= self.noise_fraction <= 1.0:
            raise InputError(f"must be in [0, 1], got {self.noise_fraction!r}",
                             field="noise_fraction")
        if not self.c_puct >= 0.0:
            raise InputError(f"must be >= 0, got {self.c_puct!r}", field="c_puct")
        if not self.dirichlet_alpha > 0.0:
            raise InputError(f"must be > 0, got {self.dirichlet_alpha!r}",
                             field="dirichlet_alpha")


class Node:
    """A state in the tree and the statistics of its outgoing edges."""

    __slots__ = ("state", "mask", "prior", "value", "visits", "value_sum", "reward", "children")

    def __init__(self, state: SearchState, prior: np.ndarray, value: float) -> None:
        self.state = state
        self.mask = state.legal_mask()
        legal_prior = np.where(self.mask, np.maximum(prior, 0.0), 0.0)
        total = legal_prior.sum()
        self.prior = legal_prior / total if total > 0 else self.mask / self.mask.sum()
        self.value = value
        n = self.mask.size
        self.visits = np.zeros(n, dtype=np.int64)
        self.value_sum = np.zeros(n)
        self.reward = np.zeros(n)
        self.children: list[Node | None] = [None] * n

    @property
    def terminal(self) -> bool:
        """Every buffer decided."""
        return self.state.terminal

    def visit_distribution(self) -> np.ndarray:
        """Visits per action over all visits (the policy target)."""
        total = self.visits.sum()
        return self.visits / total if total else self.mask / self.mask.sum()


@dataclass
class BestSeen:
    """The fastest complete mapping a search met."""

    time: float = math.inf
    mapping: Mapping | None = None
    count: int = field(default=0)

    def offer(self, time: float, make: Callable[[], Mapping]) -> None:
        """Keep ``make()`` when ``time`` beats the best so far."""
        self.count += 1
        if time < self.time:
            self.time, self.mapping = time, make()


class TreeSearch:
    """PUCT search on one game (see the module docstring).

    :param game: the episode's fixed part.
    :param evaluator: the prior and value of a state (e.g. the network's).
    :param config: the search's settings.
    :param rng: draws the root noise.
    """

    def __init__(self, game: MappingGame, evaluator: Evaluator, config: SearchConfig,
                 rng: np.random.Generator) -> None:
        self.game = game
        self.evaluator = evaluator
        self.config = config
        self.rng = rng
        self.best = BestSeen()
        self.scale = 1.0 / game.time_all_slow if game.time_all_slow > 0 else 0.0

    def node(self, state: SearchState) -> Node:
        """A new node for ``state``, evaluated (see the module docstring)."""
        if state.terminal:
            self.best.offer(state.time, state.mapping)
            return Node(state, np.ones(self.game.n_actions), 0.0)
        self.best.offer(state.time, state.mapping)
        weight = self.config.rollout_weight
        prior, net_value = self.evaluator(state)
        value = (1.0 - weight) * float(net_value)
        if weight > 0.0:
            greedy_time, greedy_mapping = state.greedy_completion()
            self.best.offer(greedy_time, lambda: greedy_mapping)
            value += weight * max(0.0, state.time - greedy_time) * self.scale
        return Node(state, np.asarray(prior, dtype=np.float64), value)

    def add_noise(self, root: Node) -> None:
        """Mix Dirichlet noise into the root's prior over its legal actions."""
        fraction = self.config.noise_fraction
        legal = np.flatnonzero(root.mask)
        if fraction <= 0.0 or legal.size < 2:
            return
        noise = self.rng.dirichlet(np.full(legal.size, self.config.dirichlet_alpha))
        root.prior[legal] = (1.0 - fraction) * root.prior[legal] + fraction * noise

    def _q(self, node: Node) -> np.ndarray:
        visited = node.visits > 0
        q = np.full(node.mask.size, node.value)
        q[visited] = node.reward[visited] + node.value_sum[visited] / node.visits[visited]
        return q

    def _select(self, node: Node) -> int:
        q = self._q(node)
        seen = q[node.mask & (node.visits > 0)]
        if seen.size:
            low, high = min(seen.min(), node.value), max(seen.max(), node.value)
            q = (q - low) / (high - low) if high > low else np.full(q.size, 0.5)
        total = max(1, int(node.visits.sum()))
        score = q + self.config.c_puct * node.prior * math.sqrt(total) / (1.0 + node.visits)
        score[~node.mask] = -math.inf
        return int(np.argmax(score))

    def simulate(self, root: Node) -> None:
        """One simulation: select down to a new node (or a terminal one), evaluate, back up."""
        path: list[tuple[Node, int]] = []
        node = root
        while not node.terminal:
            action = self._select(node)
            path.append((node, action))
            child = node.children[action]
            if child is None:
                state = node.state.clone()
                node.reward[action] = state.step(action) * self.scale
                child = self.node(state)
                node.children[action] = child
                node = child
                break
            node = child
        value = node.value
        for parent, action in reversed(path):
            value = parent.reward[action] + value
            parent.value_sum[action] += value
            parent.visits[action] += 1

    def run(self, root: Node, simulations: int | None = None) -> None:
        """``simulations`` (default: the config's) simulations from ``root``."""
        for _ in range(self.config.simulations if simulations is None else simulations):
            self.simulate(root)


@dataclass
class Decision:
    """One searched decision of an episode, a training example.

    :param observation: the env's observation of the state.
    :param mask: its legal actions.
    :param visits: the root's visit distribution (the policy target).
    :param time: the simulated time of the state (microseconds), for the value target.
    """

    observation: np.ndarray
    mask: np.ndarray
    visits: np.ndarray
    time: float


@dataclass
class Episode:
    """A played episode: its final state, the searched decisions and the best mapping seen."""

    final: SearchState
    decisions: list[Decision]
    best_time: float
    best_mapping: Mapping
    simulations: int


def choose(root: Node, temperature: float, rng: np.random.Generator) -> int:
    """The move at the root: most visits (``temperature == 0``; ties to the higher ``Q``, then
    the lower action), else sampled with probability ``N^(1 / temperature)``."""
    legal = np.flatnonzero(root.mask)
    visits = root.visits[legal].astype(np.float64)
    if temperature > 0.0 and visits.sum() > 0:
        weights = visits ** (1.0 / temperature)
        return int(legal[rng.choice(legal.size, p=weights / weights.sum())])
    if visits.sum() == 0:
        return int(legal[np.argmax(root.prior[legal])])
    q = np.where(root.visits[legal] > 0,
                 root.reward[legal] + root.value_sum[legal] / np.maximum(root.visits[legal], 1),
                 -math.inf)
    return int(legal[np.lexsort((-q, -visits))[0]])


def play_episode(game: MappingGame, evaluator: Evaluator, config: SearchConfig,
                 rng: np.random.Generator, temperature_moves: int = 0) -> Episode:
    """Decide every buffer with a search per decision (a single legal action needs none),
    keeping the subtree of the move played.

    :param game: the episode.
    :param evaluator: the prior and value of a state.
    :param config: the search's settings (root noise when ``noise_fraction > 0``).
    :param rng: the noise's and the sampled moves' randomness.
    :param temperature_moves: searched decisions whose move is sampled in proportion to the
        visits (exploration in self-play); the later ones take the most visited move.
    """
    search = TreeSearch(game, evaluator, config, rng)
    root = search.node(game.initial_state())
    decisions: list[Decision] = []
    simulations = 0
    while not root.terminal:
        if root.mask.sum() > 1:
            search.add_noise(root)
            search.run(root)
            simulations += config.simulations
            temperature = 1.0 if len(decisions) < temperature_moves else 0.0
            action = choose(root, temperature, rng)
            decisions.append(Decision(root.state.observation(), root.mask.copy(),
                                      root.visit_distribution(), root.state.time))
        else:
            action = 0
        child = root.children[action]
        if child is None:
            state = root.state.clone()
            state.step(action)
            child = search.node(state)
        root = child
    search.best.offer(root.state.time, root.state.mapping)
    assert search.best.mapping is not None
    return Episode(root.state, decisions, search.best.time, search.best.mapping, simulations)
