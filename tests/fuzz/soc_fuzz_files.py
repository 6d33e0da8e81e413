"""The valid SoC files the fuzz suite starts from, and what a platform or application read from
a fuzzed file must be."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from decisiongym.baselines.soc.list_scheduling import heft
from decisiongym.envs.soc.builtin import topcuoglu_graph
from decisiongym.envs.soc.file_fields import MAX_NUMBER, MAX_PES, MAX_TASKS
from decisiongym.envs.soc.files import (
    application_from_dict,
    application_to_dict,
    platform_from_dict,
    platform_to_dict,
)
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.solution import DagProblem, validate_dag

PLATFORM_TREE: dict[str, Any] = {
    "format": "decisiongym/soc-platform", "version": 1, "name": "three_types",
    "pe_types": [
        {"name": "P1", "count": 2, "frequency_mhz": 1400, "busy_power_w": 0.39,
         "idle_power_w": 0.04},
        {"name": "P2", "count": 1, "frequency_mhz": 1000, "busy_power_w": 0.5,
         "idle_power_w": 0.1},
        {"name": "P3", "count": 1, "frequency_mhz": 800, "busy_power_w": 0.09,
         "idle_power_w": 0.0},
    ],
    "bandwidth": {"default": 1000, "links": [
        {"from": "P1", "to": "P3", "bandwidth": 10},
        {"from": "P2.0", "to": "P1.1", "bandwidth": 50, "directed": True},
    ]},
    "startup_latency": 0.5,
}
"""A platform using every part of the format: counts, links by type and by PE, a directed link,
a startup latency."""

APPLICATION_TREE: dict[str, Any] = application_to_dict(topcuoglu_graph())
"""Topcuoglu's ten-task DAG, whose PE types are those of :data:`PLATFORM_TREE`."""

PLATFORM = platform_from_dict(PLATFORM_TREE)


def _finite_within(values: np.ndarray, most: float) -> bool:
    return bool(np.isfinite(values).all() and (values >= 0).all() and (values <= most).all())


def check_platform(platform: Platform) -> None:
    """A usable platform, within the file limits, that writes and reads back the same."""
    assert isinstance(platform, Platform)
    assert 1 <= platform.n_pes <= MAX_PES
    for values in (platform.frequency_mhz, platform.busy_power_w, platform.idle_power_w):
        assert _finite_within(values, MAX_NUMBER)
    off = ~np.eye(platform.n_pes, dtype=bool)
    assert (platform.bandwidth[off] > 0).all() and _finite_within(platform.bandwidth[off],
                                                                  MAX_NUMBER)
    assert math.isfinite(platform.startup_latency) and platform.startup_latency >= 0
    again = platform_from_dict(platform_to_dict(platform))
    assert np.array_equal(again.pe_type, platform.pe_type)
    assert np.array_equal(again.bandwidth[off], platform.bandwidth[off])


def check_application(graph: TaskGraph, platform: Platform | None) -> None:
    """A usable DAG, within the file limits, that writes and reads back the same and, on a
    platform, gets a HEFT schedule that validates."""
    assert isinstance(graph, TaskGraph)
    assert 1 <= graph.n_tasks <= MAX_TASKS
    finite = graph.cost[np.isfinite(graph.cost)]
    assert (finite > 0).all() and (finite <= MAX_NUMBER).all()
    assert np.isfinite(graph.cost).any(axis=1).all()
    assert _finite_within(graph.volume, MAX_NUMBER)
    again = application_from_dict(application_to_dict(graph))
    assert again.task_names == graph.task_names
    assert np.array_equal(again.edges, graph.edges)
    if platform is not None:
        result = heft(graph, platform)
        assert validate_dag(DagProblem(platform, graph), result.trace) == result.makespan


def changed_tree(tree: dict[str, Any], path: str, value: Any = None,
                 delete: bool = False) -> dict[str, Any]:
    """A copy of ``tree`` with the field at ``path`` (``tasks.0.cost.P1``) set or deleted."""
    tree = copy.deepcopy(tree)
    *parents, last = [int(key) if key.isdigit() else key for key in path.split(".")]
    node = tree
    for key in parents:
        node = node[key]
    if delete:
        del node[last]
    else:
        node[last] = value
    return tree
