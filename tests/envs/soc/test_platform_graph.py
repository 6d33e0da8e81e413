"""Platform and TaskGraph: their checks, cost tables and transfer times."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from decisiongym.envs.soc.builtin import default_platform, topcuoglu_graph, wifi_tx
from decisiongym.envs.soc.graph import TaskGraph, task_graph
from decisiongym.envs.soc.platform import Platform


def make_platform(**overrides: Any) -> Platform:
    fields: dict[str, Any] = {
        "name": "tiny",
        "type_names": ("CPU", "ACC"),
        "pe_type": np.array([0, 0, 1]),
        "frequency_mhz": np.array([1000.0, 500.0]),
        "busy_power_w": np.array([1.0, 0.2]),
        "idle_power_w": np.array([0.1, 0.0]),
        "bandwidth": np.full((3, 3), 100.0),
        "startup_latency": 0.0,
    }
    fields.update(overrides)
    return Platform(**fields)


def test_platform_counts_and_names() -> None:
    platform = make_platform()
    assert platform.n_pes == 3
    assert platform.n_types == 2
    assert platform.pe_names() == ["CPU.0", "CPU.1", "ACC.0"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pe_type": np.array([0, 2, 1])}, "type indices"),
        ({"pe_type": np.array([], dtype=np.int64), "bandwidth": np.zeros((0, 0))},
         "at least one PE"),
        ({"type_names": ("CPU", "CPU")}, "unique"),
        ({"busy_power_w": np.array([1.0, -0.5])}, "busy_power_w"),
        ({"idle_power_w": np.array([0.1])}, "idle_power_w"),
        ({"frequency_mhz": np.array([np.nan, 1.0])}, "frequency_mhz"),
        ({"bandwidth": np.ones((2, 2))}, "3x3"),
        ({"bandwidth": np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])}, "> 0"),
        ({"startup_latency": -1.0}, "startup_latency"),
    ],
)
def test_platform_rejects_bad_fields(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_platform(**overrides)


def test_platform_arrays_are_read_only() -> None:
    platform = make_platform()
    with pytest.raises(ValueError):
        platform.bandwidth[0, 1] = 5.0


def test_transfer_time_same_pe_free_and_startup_latency_added() -> None:
    platform = make_platform(startup_latency=2.0)
    assert platform.transfer_time(500.0, 1, 1) == 0.0
    assert platform.transfer_time(0.0, 0, 2) == 0.0
    assert platform.transfer_time(500.0, 0, 2) == pytest.approx(2.0 + 5.0)
    per_unit = platform.transfer_matrix()
    assert per_unit[0, 0] == 0.0
    assert per_unit[0, 2] == pytest.approx(0.01)


def test_default_platform_fft_bottleneck() -> None:
    platform = default_platform()
    names = platform.pe_names()
    a7, a15, mm = names.index("A7.0"), names.index("A15.0"), names.index("MM.0")
    fft, fft2, vit = names.index("FFT.0"), names.index("FFT.1"), names.index("VIT.0")
    # 1000 units between most PEs, 10 on any link between an FFT and a CPU or MM PE.
    assert platform.transfer_time(1000.0, a7, a15) == pytest.approx(1.0)
    assert platform.transfer_time(1000.0, a7, fft) == pytest.approx(100.0)
    assert platform.transfer_time(1000.0, fft, a15) == pytest.approx(100.0)
    assert platform.transfer_time(1000.0, mm, fft) == pytest.approx(100.0)
    assert platform.transfer_time(1000.0, fft, vit) == pytest.approx(1.0)
    assert platform.transfer_time(1000.0, fft, fft2) == pytest.approx(1.0)
    slow = platform.bandwidth < 1000.0
    np.fill_diagonal(slow, False)
    # 4 FFT PEs x 10 CPU/MM PEs, both directions.
    assert slow.sum() == 2 * 4 * 10


def test_default_platform_composition() -> None:
    platform = default_platform()
    counts = dict(zip(platform.type_names, np.bincount(platform.pe_type).tolist()))
    assert counts == {"A7": 4, "A15": 4, "MM": 2, "FFT": 4, "VIT": 2}
    freq = dict(zip(platform.type_names, platform.frequency_mhz.tolist()))
    assert freq["A15"] == 2000.0 and freq["A7"] == 1400.0
    busy = dict(zip(platform.type_names, platform.busy_power_w.tolist()))
    assert busy["A15"] > busy["A7"] > busy["FFT"]
    assert np.all(platform.idle_power_w <= platform.busy_power_w)


def test_cost_on_expands_types_to_pes() -> None:
    graph = wifi_tx()
    platform = default_platform()
    table = graph.cost_on(platform)
    assert table.shape == (27, 16)
    ifft = graph.task_names.index("ifft_3")
    by_pe = dict(zip(platform.pe_names(), table[ifft].tolist()))
    assert by_pe["A7.2"] == 296.0
    assert by_pe["A15.0"] == 118.0
    assert by_pe["FFT.3"] == 16.0
    assert np.isinf(by_pe["VIT.1"]) and np.isinf(by_pe["MM.0"])
    scrambler = graph.task_names.index("scrambler_encoder")
    assert np.isinf(table[scrambler, platform.pe_type == platform.type_names.index("FFT")]).all()


def test_cost_on_names_a_task_no_pe_can_run() -> None:
    graph = task_graph("g", {"a": {"CPU": 3.0}, "b": {"DSP": 4.0}}, [("a", "b", 1.0)])
    with pytest.raises(ValueError, match="'b'"):
        graph.cost_on(make_platform())


def test_task_graph_builder_and_topology() -> None:
    graph = topcuoglu_graph()
    assert (graph.n_tasks, graph.n_edges) == (10, 15)
    order = graph.topological_order.tolist()
    position = {t: i for i, t in enumerate(order)}
    for a, b in graph.edges.tolist():
        assert position[a] < position[b]
    preds = graph.predecessors()
    assert sorted(p for p, _ in preds[graph.task_names.index("n10")]) == [6, 7, 8]
    succs = graph.successors()
    assert len(succs[0]) == 5


@pytest.mark.parametrize(
    ("costs", "edges", "message"),
    [
        ({"a": {"X": 1.0}, "b": {"X": 1.0}}, [("a", "b", 1.0), ("b", "a", 1.0)], "cycle"),
        ({"a": {"X": 1.0}}, [("a", "a", 1.0)], "itself"),
        ({"a": {"X": -1.0}}, [], "non-positive"),
        ({"a": {"X": 1.0}, "b": {"X": 1.0}}, [("a", "c", 1.0)], "unknown task 'c'"),
        ({"a": {"X": 1.0}, "b": {"X": 1.0}}, [("a", "b", -2.0)], "volumes"),
        ({"a": {"X": 1.0}, "b": {"X": float("inf")}}, [], "cannot run on any"),
    ],
)
def test_task_graph_rejects(costs: dict[str, dict[str, float]],
                            edges: list[tuple[str, str, float]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        task_graph("bad", costs, edges)


def test_task_graph_rejects_mismatched_arrays() -> None:
    with pytest.raises(ValueError, match="edges but"):
        TaskGraph("g", ("a", "b"), ("X",), np.ones((2, 1)), np.array([[0, 1]]), np.ones(2))
    with pytest.raises(ValueError, match="cost must be"):
        TaskGraph("g", ("a", "b"), ("X",), np.ones((3, 1)), np.zeros((0, 2)), np.zeros(0))
