"""Reading and writing platforms and applications as JSON (or YAML, when PyYAML is installed).

The format is picked by the file's suffix: ``.yaml`` / ``.yml`` for YAML, anything else JSON.
Both hold the same tree; a JSON object that gives a key twice is refused. Every fault is an
:class:`InstanceFormatError` naming the file and the path of the field at fault, such as
``pe_types[2].busy_power_w`` or ``tasks[4].cost.FFT``.

Platform file
-------------
.. code-block:: json

    {
      "format": "decisiongym/soc-platform", "version": 1,
      "name": "my_soc",
      "pe_types": [
        {"name": "A7",  "count": 4, "frequency_mhz": 1400, "busy_power_w": 0.39,
         "idle_power_w": 0.04},
        {"name": "FFT", "count": 4, "frequency_mhz": 1000, "busy_power_w": 0.0913,
         "idle_power_w": 0.0}
      ],
      "bandwidth": {"default": 1000,
                    "links": [{"from": "A7", "to": "FFT", "bandwidth": 10}]},
      "startup_latency": 0.0
    }

- ``format`` and ``version`` are optional; when present they must say what is shown above.
  ``name`` is optional too (default ``"platform"``).
- ``pe_types`` (required, at least one): ``name`` (unique), ``count`` (PE instances, >= 0,
  default 1), ``frequency_mhz``, ``busy_power_w`` and ``idle_power_w`` (numbers >= 0).
  PEs are numbered type by type in list order, ``A7.0`` ... ``A7.3``, ``FFT.0`` ... An
  optional top-level ``pes`` list of type names, one per PE (``["A7", "FFT", "A7"]``), gives
  any other numbering and replaces the counts.
- ``bandwidth`` (required, units per µs, > 0) is one of: a number for every link; an object
  with a ``default`` and ``links``, each link naming its ends by PE type (``"FFT"``: every PE
  of that type) or PE (``"FFT.2"``), later links overriding earlier ones and a link applying in
  both directions unless it says ``"directed": true``; or a full ``n_pes x n_pes`` matrix whose
  diagonal is ignored (write 0 or null there).
- ``startup_latency`` (optional, µs >= 0, default 0) is added to every transfer between two PEs.

Application file
----------------
.. code-block:: json

    {
      "format": "decisiongym/soc-application", "version": 1,
      "name": "pipeline",
      "pe_types": ["A7", "A15", "FFT"],
      "tasks": [
        {"name": "source", "cost": {"A7": 10, "A15": 4}},
        {"name": "fft", "cost": {"A7": 289, "A15": 114, "FFT": 12}}
      ],
      "edges": [{"from": "source", "to": "fft", "volume": 30}]
    }

- ``format``, ``version`` and ``name`` (default ``"application"``) are optional, as for
  platforms.
- ``tasks`` (required, at least one): a unique ``name`` and a ``cost`` object mapping PE type
  to execution time in µs (> 0). A PE type left out of ``cost`` cannot run the task.
- ``pe_types`` (optional) fixes the cost columns and their order; every ``cost`` key must be
  one of them. Without it the columns are the types named in ``cost``, in order of appearance.
- ``edges`` (optional, default none): ``from`` and ``to`` task names and the data ``volume``
  (>= 0) sent along the edge. The edges must form no cycle.

When an application is read against a platform, every ``cost`` key must be a PE type of the
platform and every task must be runnable on at least one of its PEs.

Limits
------
A file describes at most :data:`MAX_PES` PEs and :data:`MAX_TASKS` tasks, and every number is at
most :data:`MAX_NUMBER` (a bandwidth at least :data:`MIN_BANDWIDTH`), so that every time the
simulator and CP-SAT compute stays finite and fits their integers. :class:`Platform` and
:class:`TaskGraph` built in Python have no such limits.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from decisiongym.envs.core.errors import InstanceFormatError, MissingFileError
from decisiongym.envs.core.files import write_text_atomic
from decisiongym.envs.core.json_objects import unique_keys
from decisiongym.envs.soc.file_fields import (
    MAX_PES,
    MAX_TASKS,
    MIN_BANDWIDTH,
    FieldReader,
    describe_value,
)
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform

PLATFORM_FORMAT = "decisiongym/soc-platform"
APPLICATION_FORMAT = "decisiongym/soc-application"
FORMAT_VERSION = 1

_YAML_SUFFIXES = (".yaml", ".yml")


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def read_platform(path: str | os.PathLike[str]) -> Platform:
    """Read a platform file (format in the module docstring).

    :param path: a ``.json`` file, or ``.yaml`` / ``.yml`` when PyYAML is installed.
    :raises InstanceFormatError: naming the file and the field at fault.
    """
    return platform_from_dict(_load(path), source=os.fspath(path))


def write_platform(platform: Platform, path: str | os.PathLike[str]) -> None:
    """Write ``platform`` so that :func:`read_platform` gives it back.

    :param platform: the platform to save.
    :param path: target file; the suffix picks JSON or YAML.
    """
    _dump(platform_to_dict(platform), path)


def read_application(
    path: str | os.PathLike[str], platform: Platform | None = None
) -> TaskGraph:
    """Read an application file (format in the module docstring).

    :param path: a ``.json`` file, or ``.yaml`` / ``.yml`` when PyYAML is installed.
    :param platform: when given, every PE type named must be one of the platform's and every
        task must be runnable on one of its PEs.
    :raises InstanceFormatError: naming the file and the field at fault.
    """
    return application_from_dict(_load(path), platform=platform, source=os.fspath(path))


def write_application(graph: TaskGraph, path: str | os.PathLike[str]) -> None:
    """Write ``graph`` so that :func:`read_application` gives it back.

    :param graph: the application to save.
    :param path: target file; the suffix picks JSON or YAML.
    """
    _dump(application_to_dict(graph), path)


def _is_yaml(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in _YAML_SUFFIXES


def _yaml_module(path: str | os.PathLike[str]) -> Any:
    try:
        import yaml
    except ImportError:
        raise InstanceFormatError(
            "reading or writing YAML needs PyYAML (pip install pyyaml); "
            "or use the same tree in a .json file",
            file=os.fspath(path),
        ) from None
    return yaml


def _load(path: str | os.PathLike[str]) -> Any:
    source = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InstanceFormatError(f"not a UTF-8 text file ({err.reason} at byte {err.start})",
                                  file=source) from None
    except FileNotFoundError:
        raise MissingFileError(source, "no such file") from None
    except OSError as err:
        raise InstanceFormatError(f"a readable file ({err.strerror})", file=source) from err
    try:
        return _parse(text, path, source)
    except RecursionError:
        raise InstanceFormatError("nested too deeply for a platform or application file",
                                  file=source) from None


def _parse(text: str, path: str | os.PathLike[str], source: str) -> Any:
    if _is_yaml(path):
        yaml = _yaml_module(path)
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            line = None if mark is None else mark.line + 1
            raise InstanceFormatError(f"valid YAML ({err})", file=source, line=line) from err
    try:
        return json.loads(text, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as err:
        raise InstanceFormatError(f"valid JSON ({err.msg})", file=source,
                                  line=err.lineno) from err
    except ValueError as err:  # an integer too long to convert, a key given twice
        raise InstanceFormatError(f"usable JSON ({err})", file=source) from None


def _dump(data: dict[str, Any], path: str | os.PathLike[str]) -> None:
    if _is_yaml(path):
        text = _yaml_module(path).safe_dump(data, sort_keys=False)
    else:
        text = json.dumps(data, indent=2) + "\n"
    write_text_atomic(text, path)


# ---------------------------------------------------------------------------------------------
# Platforms
# ---------------------------------------------------------------------------------------------


def platform_from_dict(data: Any, source: str | None = None) -> Platform:
    """Build a platform from the tree of a platform file.

    :param data: the parsed file (a dict).
    :param source: the file name quoted in errors.
    :raises InstanceFormatError: naming the field at fault.
    """
    f = FieldReader(source, FORMAT_VERSION)
    data = f.mapping(data, "")
    f.header(data, PLATFORM_FORMAT)
    name = f.text(data.get("name", "platform"), "name")
    entries = f.sequence(f.required(data, "pe_types", ""), "pe_types")
    if not entries:
        f.fail("pe_types", "expected at least one PE type")
    type_names: list[str] = []
    counts: list[int] = []
    columns: dict[str, list[float]] = {"frequency_mhz": [], "busy_power_w": [], "idle_power_w": []}
    for i, entry in enumerate(entries):
        path = f"pe_types[{i}]"
        entry = f.mapping(entry, path)
        type_name = f.text(f.required(entry, "name", path), f"{path}.name")
        if type_name in type_names:
            f.fail(f"{path}.name", f"PE type {type_name!r} is defined twice")
        type_names.append(type_name)
        counts.append(f.count(entry.get("count", 1), f"{path}.count", MAX_PES))
        for key, values in columns.items():
            values.append(f.number(f.required(entry, key, path), f"{path}.{key}"))

    if "pes" in data:
        pes = f.sequence(data["pes"], "pes")
        if len(pes) > MAX_PES:
            f.fail("pes", f"expected at most {MAX_PES:,} PEs, got {len(pes):,}; a Platform "
                          "built in Python has no such limit")
        pe_type = []
        for i, type_name in enumerate(pes):
            if type_name not in type_names:
                f.fail(f"pes[{i}]", f"unknown PE type {type_name!r}; the file defines "
                                    f"{', '.join(type_names)}")
            pe_type.append(type_names.index(type_name))
    else:
        if sum(counts) > MAX_PES:
            f.fail("pe_types", f"expected at most {MAX_PES:,} PEs in all, got {sum(counts):,}; "
                               "a Platform built in Python has no such limit")
        pe_type = [t for t, n in enumerate(counts) for _ in range(n)]
    if not pe_type:
        f.fail("pe_types", "expected at least one PE (every count is 0)")
    pe_type_array = np.asarray(pe_type, dtype=np.int64)
    pe_names = _pe_names(type_names, pe_type_array)
    bandwidth = _read_bandwidth(f, f.required(data, "bandwidth", ""), type_names, pe_type_array,
                                pe_names)
    startup = f.number(data.get("startup_latency", 0.0), "startup_latency")
    return Platform(
        name=name,
        type_names=tuple(type_names),
        pe_type=pe_type_array,
        frequency_mhz=np.array(columns["frequency_mhz"]),
        busy_power_w=np.array(columns["busy_power_w"]),
        idle_power_w=np.array(columns["idle_power_w"]),
        bandwidth=bandwidth,
        startup_latency=startup,
    )


def _pe_names(type_names: list[str], pe_type: np.ndarray) -> list[str]:
    seen: Counter[int] = Counter()
    names = []
    for t in pe_type.tolist():
        names.append(f"{type_names[t]}.{seen[t]}")
        seen[t] += 1
    return names


def _read_bandwidth(
    f: FieldReader, value: Any, type_names: list[str], pe_type: np.ndarray, pe_names: list[str]
) -> np.ndarray:
    n = pe_type.size
    if isinstance(value, list):
        if len(value) != n:
            f.fail("bandwidth", f"expected {n} rows (one per PE), got {len(value)}")
        matrix = np.zeros((n, n))
        for a, row in enumerate(value):
            row = f.sequence(row, f"bandwidth[{a}]")
            if len(row) != n:
                f.fail(f"bandwidth[{a}]", f"expected {n} entries (one per PE), got {len(row)}")
            for b, entry in enumerate(row):
                if a == b:
                    continue
                matrix[a, b] = f.number(entry, f"bandwidth[{a}][{b}]", positive=True,
                                        what=" of units per µs", least=MIN_BANDWIDTH)
        return matrix
    if not isinstance(value, Mapping):
        default = f.number(value, "bandwidth", positive=True, what=" of units per µs",
                           least=MIN_BANDWIDTH)
        return np.full((n, n), default)
    default = f.number(f.required(value, "default", "bandwidth"), "bandwidth.default",
                       positive=True, what=" of units per µs", least=MIN_BANDWIDTH)
    matrix = np.full((n, n), default)
    links = f.sequence(value.get("links", []), "bandwidth.links")
    for i, link in enumerate(links):
        path = f"bandwidth.links[{i}]"
        link = f.mapping(link, path)
        ends = []
        for key in ("from", "to"):
            end = f.text(f.required(link, key, path), f"{path}.{key}")
            if end in type_names:
                ends.append(pe_type == type_names.index(end))
            elif end in pe_names:
                ends.append(np.arange(n) == pe_names.index(end))
            else:
                f.fail(f"{path}.{key}", f"unknown PE type or PE {end!r}; PE types are "
                                        f"{', '.join(type_names)} and PEs are named like "
                                        f"{pe_names[0]!r}")
        speed = f.number(f.required(link, "bandwidth", path), f"{path}.bandwidth",
                         positive=True, what=" of units per µs", least=MIN_BANDWIDTH)
        directed = link.get("directed", False)
        if not isinstance(directed, bool):
            f.fail(f"{path}.directed", f"expected true or false, got {describe_value(directed)}")
        matrix[np.ix_(ends[0], ends[1])] = speed
        if not directed:
            matrix[np.ix_(ends[1], ends[0])] = speed
    return matrix


def platform_to_dict(platform: Platform) -> dict[str, Any]:
    """The tree of a platform file for ``platform`` (see the module docstring).

    Bandwidth is written in the shortest of the three forms that holds it exactly.
    """
    counts = np.bincount(platform.pe_type, minlength=platform.n_types)
    pe_types = [
        {
            "name": name,
            "count": int(counts[t]),
            "frequency_mhz": float(platform.frequency_mhz[t]),
            "busy_power_w": float(platform.busy_power_w[t]),
            "idle_power_w": float(platform.idle_power_w[t]),
        }
        for t, name in enumerate(platform.type_names)
    ]
    data: dict[str, Any] = {
        "format": PLATFORM_FORMAT,
        "version": FORMAT_VERSION,
        "name": platform.name,
        "pe_types": pe_types,
    }
    grouped = np.repeat(np.arange(platform.n_types), counts)
    if not np.array_equal(grouped, platform.pe_type):
        # PEs are not numbered type by type, which the counts alone cannot express.
        data["pes"] = [platform.type_names[t] for t in platform.pe_type.tolist()]
    data["bandwidth"] = _bandwidth_to_tree(platform)
    data["startup_latency"] = float(platform.startup_latency)
    return data


def _bandwidth_to_tree(platform: Platform) -> Any:
    n = platform.n_pes
    off = ~np.eye(n, dtype=bool)
    values = platform.bandwidth[off]
    if values.size == 0:
        return 1.0
    if np.all(values == values[0]):
        return float(values[0])
    # Links by type pair work when every block between two types holds one value.
    blocks: dict[tuple[int, int], float] = {}
    for a in range(platform.n_types):
        for b in range(platform.n_types):
            mask = np.outer(platform.pe_type == a, platform.pe_type == b) & off
            block = platform.bandwidth[mask]
            if block.size == 0:
                continue
            if not np.all(block == block[0]):
                return [[0.0 if i == j else float(platform.bandwidth[i, j]) for j in range(n)]
                        for i in range(n)]
            blocks[(a, b)] = float(block[0])
    default = Counter(values.tolist()).most_common(1)[0][0]
    links = []
    for (a, b), speed in blocks.items():
        if speed == default or (b < a and blocks.get((b, a)) == speed):
            continue
        link: dict[str, Any] = {"from": platform.type_names[a], "to": platform.type_names[b],
                                "bandwidth": speed}
        if blocks.get((b, a)) != speed:
            link["directed"] = True
        links.append(link)
    return {"default": float(default), "links": links}


# ---------------------------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------------------------


def application_from_dict(
    data: Any, platform: Platform | None = None, source: str | None = None
) -> TaskGraph:
    """Build an application from the tree of an application file.

    :param data: the parsed file (a dict).
    :param platform: when given, cost keys must be its PE types and every task must be
        runnable on one of its PEs.
    :param source: the file name quoted in errors.
    :raises InstanceFormatError: naming the field at fault.
    """
    f = FieldReader(source, FORMAT_VERSION)
    data = f.mapping(data, "")
    f.header(data, APPLICATION_FORMAT)
    name = f.text(data.get("name", "application"), "name")
    declared: list[str] | None = None
    if "pe_types" in data:
        declared = [f.text(t, f"pe_types[{i}]")
                    for i, t in enumerate(f.sequence(data["pe_types"], "pe_types"))]
        if len(set(declared)) != len(declared):
            f.fail("pe_types", "expected each PE type once")
    tasks = f.sequence(f.required(data, "tasks", ""), "tasks")
    if not tasks:
        f.fail("tasks", "expected at least one task")
    if len(tasks) > MAX_TASKS:
        f.fail("tasks", f"expected at most {MAX_TASKS:,} tasks, got {len(tasks):,}; a "
                        "TaskGraph built in Python has no such limit")

    task_names: list[str] = []
    rows: list[dict[str, float]] = []
    for i, task in enumerate(tasks):
        path = f"tasks[{i}]"
        task = f.mapping(task, path)
        task_name = f.text(f.required(task, "name", path), f"{path}.name")
        if task_name in task_names:
            f.fail(f"{path}.name", f"task {task_name!r} is defined twice")
        task_names.append(task_name)
        cost = f.mapping(f.required(task, "cost", path), f"{path}.cost")
        if not cost:
            f.fail(f"{path}.cost", f"task {task_name!r} names no PE type that can run it")
        row = {}
        for type_name, value in cost.items():
            where = f"{path}.cost.{type_name}"
            if declared is not None and type_name not in declared:
                f.fail(where, f"unknown PE type {type_name!r}; pe_types lists "
                              f"{', '.join(declared)}")
            if platform is not None and type_name not in platform.type_names:
                f.fail(where, f"unknown PE type {type_name!r}; platform {platform.name!r} has "
                              f"{', '.join(platform.type_names)}")
            row[type_name] = f.number(value, where, positive=True, what=" of µs")
        rows.append(row)
        if platform is not None:
            present = {platform.type_names[t] for t in platform.pe_type.tolist()}
            if not present.intersection(row):
                f.fail(f"{path}.cost", f"no PE of platform {platform.name!r} can run task "
                                       f"{task_name!r} (it runs on {', '.join(row)})")

    columns = declared if declared is not None else list(
        dict.fromkeys(t for row in rows for t in row))
    cost_table = np.full((len(task_names), len(columns)), np.inf)
    for i, row in enumerate(rows):
        for type_name, value in row.items():
            cost_table[i, columns.index(type_name)] = value

    index = {task_name: i for i, task_name in enumerate(task_names)}
    edge_list: list[tuple[int, int]] = []
    volumes: list[float] = []
    for i, edge in enumerate(f.sequence(data.get("edges", []), "edges")):
        path = f"edges[{i}]"
        edge = f.mapping(edge, path)
        ends = []
        for key in ("from", "to"):
            end = f.text(f.required(edge, key, path), f"{path}.{key}")
            if end not in index:
                f.fail(f"{path}.{key}", f"edge names unknown task {end!r}")
            ends.append(index[end])
        if ends[0] == ends[1]:
            f.fail(path, f"task {task_names[ends[0]]!r} cannot depend on itself")
        volumes.append(f.number(f.required(edge, "volume", path), f"{path}.volume"))
        edge_list.append((ends[0], ends[1]))
    cycle = _find_cycle(len(task_names), edge_list)
    if cycle:
        f.fail("edges", "the task graph has a cycle: "
                        + " -> ".join(task_names[t] for t in cycle))
    return TaskGraph(
        name=name,
        task_names=tuple(task_names),
        type_names=tuple(columns),
        cost=cost_table,
        edges=np.array(edge_list, dtype=np.int64).reshape(-1, 2),
        volume=np.array(volumes, dtype=np.float64),
    )


def _find_cycle(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """One cycle as a closed list of tasks (first == last), or ``[]`` for a DAG."""
    succs: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges:
        succs[a].append(b)
    state = [0] * n  # 0 unvisited, 1 on the current path, 2 finished
    parent = [-1] * n
    for root in range(n):
        if state[root]:
            continue
        # An explicit stack: recursion would overflow on long chains of tasks.
        stack = [(root, iter(succs[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state[child] == 0:
                parent[child] = node
                state[child] = 1
                stack.append((child, iter(succs[child])))
            elif state[child] == 1:
                cycle = [child, node]
                while cycle[-1] != child:
                    cycle.append(parent[cycle[-1]])
                return cycle[::-1]
    return []


def application_to_dict(graph: TaskGraph) -> dict[str, Any]:
    """The tree of an application file for ``graph`` (see the module docstring)."""
    tasks = []
    for i, task_name in enumerate(graph.task_names):
        cost = {t: float(c) for t, c in zip(graph.type_names, graph.cost[i].tolist())
                if math.isfinite(c)}
        tasks.append({"name": task_name, "cost": cost})
    edges = [
        {"from": graph.task_names[a], "to": graph.task_names[b], "volume": float(v)}
        for (a, b), v in zip(graph.edges.tolist(), graph.volume.tolist())
    ]
    return {
        "format": APPLICATION_FORMAT,
        "version": FORMAT_VERSION,
        "name": graph.name,
        "pe_types": list(graph.type_names),
        "tasks": tasks,
        "edges": edges,
    }
