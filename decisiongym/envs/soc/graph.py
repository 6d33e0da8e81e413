"""An application: a DAG of tasks with per-PE-type execution times and per-edge data volumes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.soc.platform import Platform


@dataclass(frozen=True, eq=False)
class TaskGraph:
    """A task DAG.

    :param name: application name.
    :param task_names: name of each task.
    :param type_names: the PE types the cost columns refer to.
    :param cost: ``(n_tasks, n_types)`` mean execution time in µs; ``inf`` where that PE type
        cannot run the task.
    :param edges: ``(n_edges, 2)`` ``(predecessor, successor)`` task indices.
    :param volume: ``(n_edges,)`` data volume sent along each edge.
    """

    name: str
    task_names: tuple[str, ...]
    type_names: tuple[str, ...]
    cost: np.ndarray
    edges: np.ndarray
    volume: np.ndarray

    def __post_init__(self) -> None:
        cost = np.asarray(self.cost, dtype=np.float64)
        n = len(self.task_names)
        if cost.shape != (n, len(self.type_names)):
            raise InputError(f"application {self.name!r}: cost must be {n} tasks x "
                             f"{len(self.type_names)} PE types, got shape {cost.shape}")
        if np.any(cost <= 0) or np.any(np.isnan(cost)):
            bad = int(np.argwhere((cost <= 0) | np.isnan(cost))[0, 0])
            raise InputError(f"application {self.name!r}: task {self.task_names[bad]!r} has a "
                             "non-positive or NaN execution time")
        for t in range(n):
            if not np.any(np.isfinite(cost[t])):
                raise InputError(f"application {self.name!r}: task {self.task_names[t]!r} "
                                 "cannot run on any PE type")
        edges = np.asarray(self.edges, dtype=np.int64).reshape(-1, 2)
        volume = np.asarray(self.volume, dtype=np.float64).reshape(-1)
        if volume.shape[0] != edges.shape[0]:
            raise InputError(f"application {self.name!r}: {edges.shape[0]} edges but "
                             f"{volume.shape[0]} volumes")
        if edges.size and (edges.min() < 0 or edges.max() >= n):
            raise InputError(f"application {self.name!r}: edge endpoints must be in [0, {n})")
        if np.any(volume < 0):
            raise InputError(f"application {self.name!r}: data volumes must be >= 0")
        if np.any(edges[:, 0] == edges[:, 1]):
            raise InputError(f"application {self.name!r}: a task cannot depend on itself")
        for key, value in (("cost", cost), ("edges", edges), ("volume", volume)):
            value.setflags(write=False)
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_order", _topological_order(n, edges, self.name))

    @property
    def n_tasks(self) -> int:
        return len(self.task_names)

    @property
    def n_edges(self) -> int:
        return int(self.edges.shape[0])

    @property
    def topological_order(self) -> np.ndarray:
        """Task indices in an order where every predecessor comes first."""
        return self._order  # type: ignore[attr-defined, no-any-return]

    def predecessors(self) -> list[list[tuple[int, int]]]:
        """For each task, its ``(predecessor, edge index)`` pairs."""
        preds: list[list[tuple[int, int]]] = [[] for _ in range(self.n_tasks)]
        for e, (a, b) in enumerate(self.edges.tolist()):
            preds[b].append((a, e))
        return preds

    def successors(self) -> list[list[tuple[int, int]]]:
        """For each task, its ``(successor, edge index)`` pairs."""
        succs: list[list[tuple[int, int]]] = [[] for _ in range(self.n_tasks)]
        for e, (a, b) in enumerate(self.edges.tolist()):
            succs[a].append((b, e))
        return succs

    def cost_on(self, platform: Platform) -> np.ndarray:
        """``(n_tasks, n_pes)`` execution time of every task on every PE instance (``inf``
        where it cannot run).

        :raises InputError: naming a task that no PE of the platform can run.
        """
        columns = []
        for t in platform.type_names:
            if t in self.type_names:
                columns.append(self.cost[:, self.type_names.index(t)])
            else:
                columns.append(np.full(self.n_tasks, np.inf))
        by_type = np.stack(columns, axis=1)
        table = by_type[:, platform.pe_type]
        runnable = np.isfinite(table).any(axis=1)
        if not runnable.all():
            task = int(np.flatnonzero(~runnable)[0])
            raise InputError(
                f"application {self.name!r}: no PE of platform {platform.name!r} can run "
                f"task {self.task_names[task]!r} (it runs on "
                f"{[n for n, c in zip(self.type_names, self.cost[task]) if np.isfinite(c)]})"
            )
        return table


def _topological_order(n: int, edges: np.ndarray, name: str) -> np.ndarray:
    indegree = np.zeros(n, dtype=np.int64)
    succs: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges.tolist():
        succs[a].append(b)
        indegree[b] += 1
    ready = [t for t in range(n) if indegree[t] == 0]
    order = []
    while ready:
        t = ready.pop()
        order.append(t)
        for s in succs[t]:
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    if len(order) != n:
        raise InputError(f"application {name!r}: the task graph has a cycle")
    result = np.asarray(order, dtype=np.int64)
    result.setflags(write=False)
    return result


def task_graph(
    name: str,
    costs: Mapping[str, Mapping[str, float]],
    edges: Sequence[tuple[str, str, float]],
) -> TaskGraph:
    """Build a graph from readable tables: ``costs[task][pe_type] = µs`` (omit a type the task
    cannot run on) and ``edges = [(from_task, to_task, volume), ...]``."""
    task_names = tuple(costs)
    type_names = tuple(dict.fromkeys(t for row in costs.values() for t in row))
    cost = np.full((len(task_names), len(type_names)), np.inf)
    for i, task in enumerate(task_names):
        for pe_type, value in costs[task].items():
            cost[i, type_names.index(pe_type)] = value
    index = {task: i for i, task in enumerate(task_names)}
    for a, b, _ in edges:
        for end in (a, b):
            if end not in index:
                raise InputError(f"application {name!r}: edge names unknown task {end!r}")
    edge_array = np.array([(index[a], index[b]) for a, b, _ in edges], dtype=np.int64)
    volume = np.array([v for _, _, v in edges], dtype=np.float64)
    return TaskGraph(name, task_names, type_names, cost, edge_array.reshape(-1, 2), volume)
