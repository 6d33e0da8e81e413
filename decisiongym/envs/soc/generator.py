"""Seeded random task graphs and platforms.

The graphs follow the random-DAG recipe of Topcuoglu, Hariri & Wu (IEEE TPDS 13(3), 2002,
Sec. 5.1): tasks are laid out in layers whose mean width is set by a shape parameter, edges run
from each layer to the following ones, each task's mean cost is drawn around a graph-wide mean
and spread across PE types by a heterogeneity factor, and data volumes are scaled to a
communication-to-computation ratio (CCR).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform

IntRange = int | tuple[int, int]
FloatRange = float | tuple[float, float]


@dataclass(frozen=True)
class RandomDAGGenerator:
    """Layered random DAGs with per-PE-type costs, as in Topcuoglu et al. (2002).

    Each call draws the number of tasks ``v`` and the layer widths: the mean layer width is
    ``width * sqrt(v)``, so ``width`` below 1 gives tall thin graphs and above 1 short wide ones
    (Topcuoglu's shape parameter alpha). Every task of a layer gets an edge to each task of the
    next layer with probability ``density``, and to a task ``k`` layers further down with
    probability ``density / k`` (up to ``max_jump`` layers); every task but those of the first
    layer has at least one predecessor in the layer just above, and every task but those of the
    last layer at least one successor.

    Costs: the graph's mean cost ``w`` is ``mean_cost``; task ``i`` gets a mean ``w_i`` uniform
    on ``[0, 2w]`` and its cost on PE type ``j`` is uniform on
    ``[w_i (1 - beta/2), w_i (1 + beta/2)]`` with ``beta = heterogeneity`` (0: every type alike;
    close to 2: costs differ by orders of magnitude across types). With ``p_unsupported`` > 0 a
    type is left out of a task with that probability (it cannot run the task), one type always
    staying.

    Volumes: uniform on ``[0, 2 c]`` with ``c = ccr * (mean of the drawn costs) * bandwidth``,
    so that on links of ``bandwidth`` units/µs the mean transfer time over the mean execution
    time is ``ccr`` on average.

    :param n_tasks: number of tasks, or an inclusive ``(low, high)`` range drawn uniformly.
    :param width: shape alpha (> 0), or a ``(low, high)`` range drawn uniformly per graph.
    :param density: probability (0-1] of an edge between tasks of adjacent layers.
    :param ccr: communication-to-computation ratio (>= 0).
    :param heterogeneity: beta in [0, 2): relative spread of a task's cost across PE types.
    :param type_names: the PE types costs are given for.
    :param mean_cost: mean execution time in µs.
    :param bandwidth: link bandwidth the CCR refers to (units per µs).
    :param max_jump: furthest layer an edge may reach, counted from its source's layer.
    :param p_unsupported: probability that a PE type cannot run a task.
    :param name: prefix of the generated graphs' names.
    """

    n_tasks: IntRange = (20, 50)
    width: FloatRange = 1.0
    density: float = 0.5
    ccr: float = 1.0
    heterogeneity: float = 1.0
    type_names: tuple[str, ...] = ("P1", "P2", "P3")
    mean_cost: float = 20.0
    bandwidth: float = 1.0
    max_jump: int = 2
    p_unsupported: float = 0.0
    name: str = "random"

    def __post_init__(self) -> None:
        low, high = _int_range(self.n_tasks)
        if low < 1 or high < low:
            raise ValueError(f"n_tasks must be >= 1 (or a range low <= high), got {self.n_tasks}")
        w_low, w_high = _range(self.width)
        if w_low <= 0 or w_high < w_low:
            raise ValueError(f"width must be > 0 (or a range low <= high), got {self.width}")
        if not 0 < self.density <= 1:
            raise ValueError(f"density must be in (0, 1], got {self.density}")
        if self.ccr < 0:
            raise ValueError(f"ccr must be >= 0, got {self.ccr}")
        if not 0 <= self.heterogeneity < 2:
            raise ValueError(f"heterogeneity must be in [0, 2), got {self.heterogeneity}")
        if not self.type_names or len(set(self.type_names)) != len(self.type_names):
            raise ValueError(f"type_names must be unique and non-empty, got {self.type_names}")
        if self.mean_cost <= 0 or self.bandwidth <= 0:
            raise ValueError("mean_cost and bandwidth must be > 0")
        if self.max_jump < 1:
            raise ValueError(f"max_jump must be >= 1, got {self.max_jump}")
        if not 0 <= self.p_unsupported < 1:
            raise ValueError(f"p_unsupported must be in [0, 1), got {self.p_unsupported}")

    def __call__(self, rng: np.random.Generator) -> TaskGraph:
        """Draw one graph.

        :param rng: the only source of randomness.
        """
        low, high = _int_range(self.n_tasks)
        n = int(rng.integers(low, high + 1))
        w_low, w_high = _range(self.width)
        alpha = float(rng.uniform(w_low, w_high)) if w_high > w_low else w_low
        layers = self._layers(n, alpha, rng)
        edges = self._edges(layers, rng)
        cost = self._costs(n, rng)
        finite = cost[np.isfinite(cost)]
        mean_volume = self.ccr * float(finite.mean()) * self.bandwidth
        volume = rng.uniform(0.0, 2.0 * mean_volume, size=len(edges))
        index = int(rng.integers(0, 1 << 31))
        return TaskGraph(
            name=f"{self.name}_{index:08x}",
            task_names=tuple(f"t{i}" for i in range(n)),
            type_names=tuple(self.type_names),
            cost=cost,
            edges=np.array(edges, dtype=np.int64).reshape(-1, 2),
            volume=volume,
        )

    def sample(self, seed: int) -> TaskGraph:
        """The graph drawn from ``np.random.default_rng(seed)``: the same seed gives the same
        graph.

        :param seed: the random seed.
        """
        return self(np.random.default_rng(seed))

    def _layers(self, n: int, alpha: float, rng: np.random.Generator) -> list[np.ndarray]:
        # A width uniform on [1, 2 * alpha * sqrt(n) - 1] has mean alpha * sqrt(n).
        high = max(1, round(2 * alpha * math.sqrt(n) - 1))
        layers = []
        first = 0
        while first < n:
            size = min(int(rng.integers(1, high + 1)), n - first)
            layers.append(np.arange(first, first + size))
            first += size
        return layers

    def _edges(self, layers: list[np.ndarray], rng: np.random.Generator) -> list[tuple[int, int]]:
        edges: set[tuple[int, int]] = set()
        for level, sources in enumerate(layers[:-1]):
            for jump in range(1, min(self.max_jump, len(layers) - 1 - level) + 1):
                targets = layers[level + jump]
                hits = rng.random((sources.size, targets.size)) < self.density / jump
                for a, b in zip(*np.nonzero(hits)):
                    edges.add((int(sources[a]), int(targets[b])))
        has_pred = {b for _, b in edges}
        has_succ = {a for a, _ in edges}
        for level in range(1, len(layers)):
            above, here = layers[level - 1], layers[level]
            for task in here.tolist():
                if task not in has_pred:
                    source = int(rng.choice(above))
                    edges.add((source, task))
                    has_succ.add(source)
            for task in above.tolist():
                if task not in has_succ:
                    edges.add((task, int(rng.choice(here))))
        return sorted(edges)

    def _costs(self, n: int, rng: np.random.Generator) -> np.ndarray:
        k = len(self.type_names)
        # A floor keeps every cost positive, as TaskGraph requires, without shifting the mean.
        task_mean = np.maximum(rng.uniform(0.0, 2.0 * self.mean_cost, size=n),
                               1e-3 * self.mean_cost)
        spread = self.heterogeneity / 2.0
        cost = task_mean[:, None] * rng.uniform(1.0 - spread, 1.0 + spread, size=(n, k))
        cost = np.maximum(cost, 1e-6 * self.mean_cost)
        if self.p_unsupported > 0 and k > 1:
            missing = rng.random((n, k)) < self.p_unsupported
            keep = rng.integers(0, k, size=n)
            missing[np.arange(n), keep] = False
            cost[missing] = np.inf
        return cost


def _int_range(value: IntRange) -> tuple[int, int]:
    if isinstance(value, tuple):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _range(value: FloatRange) -> tuple[float, float]:
    if isinstance(value, tuple):
        return float(value[0]), float(value[1])
    return float(value), float(value)


def random_platform(
    n_pes: int,
    n_types: int,
    seed: int,
    *,
    bandwidth: tuple[float, float] = (0.5, 2.0),
    startup_latency: float = 0.0,
) -> Platform:
    """A random platform for tests: ``n_pes`` PEs of ``n_types`` types ``P1``, ``P2``...
    (every type has at least one PE), symmetric random bandwidths and random power figures.

    :param n_pes: number of PE instances (>= ``n_types``).
    :param n_types: number of PE types; names match :class:`RandomDAGGenerator`'s default
        ``type_names`` when ``n_types`` is 3.
    :param seed: random seed.
    :param bandwidth: ``(low, high)`` range of link bandwidths, units per µs.
    :param startup_latency: µs added to every transfer between two PEs.
    """
    if n_types < 1 or n_pes < n_types:
        raise ValueError(f"need n_pes >= n_types >= 1, got n_pes={n_pes}, n_types={n_types}")
    rng = np.random.default_rng(seed)
    pe_type = np.concatenate([np.arange(n_types), rng.integers(0, n_types, n_pes - n_types)])
    pe_type.sort()
    links = rng.uniform(bandwidth[0], bandwidth[1], size=(n_pes, n_pes))
    links = np.triu(links, 1)
    links = links + links.T
    # The diagonal is unused (a PE never sends to itself); a finite value keeps 1/bandwidth finite.
    np.fill_diagonal(links, bandwidth[1])
    busy = rng.uniform(0.1, 3.0, size=n_types)
    return Platform(
        name=f"random_{seed}",
        type_names=tuple(f"P{t + 1}" for t in range(n_types)),
        pe_type=pe_type,
        frequency_mhz=rng.choice([600.0, 1000.0, 1400.0, 2000.0], size=n_types),
        busy_power_w=busy,
        idle_power_w=busy * rng.uniform(0.0, 0.3, size=n_types),
        bandwidth=links,
        startup_latency=startup_latency,
    )
