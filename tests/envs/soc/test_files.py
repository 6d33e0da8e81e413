"""Platform and application files: round trips and one error per kind of fault."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from decisiongym.envs.core.errors import InstanceFormatError
from decisiongym.envs.soc.builtin import (
    BUILTIN_APPLICATIONS,
    default_platform,
    topcuoglu_platform,
    wifi_rx,
)
from decisiongym.envs.soc.files import (
    application_from_dict,
    application_to_dict,
    platform_from_dict,
    platform_to_dict,
    read_application,
    read_platform,
    write_application,
    write_platform,
)
from decisiongym.envs.soc.generator import random_platform
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform


def same_platform(a: Platform, b: Platform) -> bool:
    off = ~np.eye(a.n_pes, dtype=bool)
    return (
        a.name == b.name
        and a.type_names == b.type_names
        and np.array_equal(a.pe_type, b.pe_type)
        and np.allclose(a.frequency_mhz, b.frequency_mhz)
        and np.allclose(a.busy_power_w, b.busy_power_w)
        and np.allclose(a.idle_power_w, b.idle_power_w)
        and np.array_equal(a.bandwidth[off], b.bandwidth[off])
        and a.startup_latency == b.startup_latency
    )


def same_graph(a: TaskGraph, b: TaskGraph) -> bool:
    return (
        a.name == b.name
        and a.task_names == b.task_names
        and a.type_names == b.type_names
        and np.array_equal(a.cost, b.cost)
        and np.array_equal(a.edges, b.edges)
        and np.array_equal(a.volume, b.volume)
    )


@pytest.mark.parametrize(
    "platform",
    [default_platform(), topcuoglu_platform(), random_platform(7, 3, seed=4, startup_latency=1.5)],
    ids=["default", "topcuoglu", "random"],
)
def test_platform_round_trip(platform: Platform, tmp_path: Path) -> None:
    path = tmp_path / "platform.json"
    write_platform(platform, path)
    assert same_platform(read_platform(path), platform)


def test_platform_bandwidth_written_compactly() -> None:
    tree = platform_to_dict(default_platform())
    assert tree["bandwidth"]["default"] == 1000.0
    assert {(link["from"], link["to"]) for link in tree["bandwidth"]["links"]} == {
        ("A7", "FFT"), ("A15", "FFT"), ("MM", "FFT")}
    assert platform_to_dict(topcuoglu_platform())["bandwidth"] == 1.0
    # Random links differ pair by pair, so only a matrix holds them.
    assert isinstance(platform_to_dict(random_platform(5, 2, seed=1))["bandwidth"], list)


def test_platform_pes_out_of_type_order_round_trip() -> None:
    base = topcuoglu_platform()
    mixed = Platform("mixed", ("X", "Y"), np.array([1, 0, 1]), np.ones(2), np.ones(2),
                     np.zeros(2), np.full((3, 3), 2.0))
    tree = platform_to_dict(mixed)
    assert tree["pes"] == ["Y", "X", "Y"]
    assert same_platform(platform_from_dict(tree), mixed)
    assert "pes" not in platform_to_dict(base)


@pytest.mark.parametrize("name", sorted(BUILTIN_APPLICATIONS))
def test_application_round_trip(name: str, tmp_path: Path) -> None:
    graph = BUILTIN_APPLICATIONS[name]()
    path = tmp_path / f"{name}.json"
    write_application(graph, path)
    assert same_graph(read_application(path), graph)


def test_hand_written_platform_with_links_by_type_and_pe(tmp_path: Path) -> None:
    tree = {
        "name": "hand",
        "pe_types": [
            {"name": "CPU", "count": 2, "frequency_mhz": 1000, "busy_power_w": 1,
             "idle_power_w": 0.1},
            {"name": "DSP", "count": 1, "frequency_mhz": 500, "busy_power_w": 0.2,
             "idle_power_w": 0},
        ],
        "bandwidth": {"default": 100, "links": [
            {"from": "CPU", "to": "DSP", "bandwidth": 5},
            {"from": "CPU.1", "to": "DSP.0", "bandwidth": 50, "directed": True},
        ]},
        "startup_latency": 0.5,
    }
    path = tmp_path / "hand.json"
    path.write_text(json.dumps(tree))
    platform = read_platform(path)
    assert platform.pe_names() == ["CPU.0", "CPU.1", "DSP.0"]
    assert platform.bandwidth[0, 2] == 5 and platform.bandwidth[2, 0] == 5
    assert platform.bandwidth[1, 2] == 50 and platform.bandwidth[2, 1] == 5
    assert platform.bandwidth[0, 1] == 100
    assert platform.transfer_time(100.0, 0, 2) == pytest.approx(0.5 + 20.0)


def test_application_against_platform_and_pe_types_order() -> None:
    tree = application_to_dict(wifi_rx())
    graph = application_from_dict(tree, platform=default_platform())
    assert graph.type_names == ("A7", "A15", "FFT", "VIT")
    del tree["pe_types"]
    tree["tasks"][0]["cost"] = {"A15": 5.0, "A7": 16.0}
    # Without pe_types the columns follow the order in which cost keys first appear.
    assert application_from_dict(tree).type_names[:2] == ("A15", "A7")


def test_yaml_needs_pyyaml_or_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    try:
        import yaml  # noqa: F401
    except ImportError:
        with pytest.raises(InstanceFormatError, match="PyYAML"):
            write_platform(default_platform(), path)
    else:
        write_platform(default_platform(), path)
        assert same_platform(read_platform(path), default_platform())


# ---------------------------------------------------------------------------------------------
# Errors: each names the file and the field at fault
# ---------------------------------------------------------------------------------------------


def platform_tree() -> dict[str, Any]:
    return copy.deepcopy(platform_to_dict(default_platform()))


def application_tree() -> dict[str, Any]:
    return copy.deepcopy(application_to_dict(BUILTIN_APPLICATIONS["range_detection"]()))


def expect_error(tmp_path: Path, tree: Any, reader: str, field: str, words: str,
                 platform: Platform | None = None) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(tree))
    with pytest.raises(InstanceFormatError) as caught:
        if reader == "platform":
            read_platform(path)
        else:
            read_application(path, platform=platform)
    message = str(caught.value)
    assert caught.value.file == str(path)
    assert message.startswith(f"{path}: {field}: "), message
    assert words in message, message


def test_platform_negative_power(tmp_path: Path) -> None:
    tree = platform_tree()
    tree["pe_types"][2]["busy_power_w"] = -0.1
    expect_error(tmp_path, tree, "platform", "pe_types[2].busy_power_w", "non-negative")


def test_platform_non_numeric_frequency(tmp_path: Path) -> None:
    tree = platform_tree()
    tree["pe_types"][1]["frequency_mhz"] = "fast"
    expect_error(tmp_path, tree, "platform", "pe_types[1].frequency_mhz", "expected a number")


def test_platform_missing_field(tmp_path: Path) -> None:
    tree = platform_tree()
    del tree["pe_types"][0]["idle_power_w"]
    expect_error(tmp_path, tree, "platform", "pe_types[0].idle_power_w", "missing field")
    tree = platform_tree()
    del tree["bandwidth"]
    expect_error(tmp_path, tree, "platform", "bandwidth", "missing field")


def test_platform_unknown_pe_type_in_link(tmp_path: Path) -> None:
    tree = platform_tree()
    tree["bandwidth"]["links"][0]["to"] = "GPU"
    expect_error(tmp_path, tree, "platform", "bandwidth.links[0].to", "unknown PE type")


def test_platform_unknown_pe_type_in_pes(tmp_path: Path) -> None:
    tree = platform_tree()
    tree["pes"] = ["A7", "NPU"]
    expect_error(tmp_path, tree, "platform", "pes[1]", "unknown PE type 'NPU'")


def test_platform_zero_or_negative_bandwidth(tmp_path: Path) -> None:
    tree = platform_tree()
    tree["bandwidth"]["links"][1]["bandwidth"] = 0
    expect_error(tmp_path, tree, "platform", "bandwidth.links[1].bandwidth", "positive")
    tree["bandwidth"] = [[1.0, -1.0], [1.0, 1.0]]
    expect_error(tmp_path, tree, "platform", "bandwidth", "16 rows")


def test_platform_negative_startup_latency(tmp_path: Path) -> None:
    tree = platform_tree()
    tree["startup_latency"] = -3
    expect_error(tmp_path, tree, "platform", "startup_latency", "non-negative")


def test_platform_duplicate_type_and_wrong_format(tmp_path: Path) -> None:
    tree = platform_tree()
    tree["pe_types"][1]["name"] = "A7"
    expect_error(tmp_path, tree, "platform", "pe_types[1].name", "defined twice")
    expect_error(tmp_path, application_tree(), "platform", "format", "soc-platform")


def test_invalid_json_gives_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "name": "x",\n  "pe_types": [,]\n}')
    with pytest.raises(InstanceFormatError, match="valid JSON") as caught:
        read_platform(path)
    assert caught.value.line == 3


def test_application_negative_time(tmp_path: Path) -> None:
    tree = application_tree()
    tree["tasks"][2]["cost"]["FFT"] = -30
    expect_error(tmp_path, tree, "application", "tasks[2].cost.FFT", "non-negative")


def test_application_non_numeric_time(tmp_path: Path) -> None:
    tree = application_tree()
    tree["tasks"][1]["cost"]["A7"] = "ninety"
    expect_error(tmp_path, tree, "application", "tasks[1].cost.A7", "expected a number")
    tree["tasks"][1]["cost"]["A7"] = True
    expect_error(tmp_path, tree, "application", "tasks[1].cost.A7", "expected a number")


def test_application_zero_time(tmp_path: Path) -> None:
    tree = application_tree()
    tree["tasks"][1]["cost"]["A7"] = 0
    expect_error(tmp_path, tree, "application", "tasks[1].cost.A7", "positive")


def test_application_missing_fields(tmp_path: Path) -> None:
    tree = application_tree()
    del tree["tasks"][3]["cost"]
    expect_error(tmp_path, tree, "application", "tasks[3].cost", "missing field")
    tree = application_tree()
    del tree["edges"][4]["volume"]
    expect_error(tmp_path, tree, "application", "edges[4].volume", "missing field")
    tree = application_tree()
    del tree["tasks"]
    expect_error(tmp_path, tree, "application", "tasks", "missing field")


def test_application_unknown_pe_type(tmp_path: Path) -> None:
    tree = application_tree()
    tree["tasks"][5]["cost"]["GPU"] = 3.0
    # Against pe_types declared in the file...
    expect_error(tmp_path, tree, "application", "tasks[5].cost.GPU", "unknown PE type 'GPU'")
    del tree["pe_types"]
    # ...and against the platform's types.
    expect_error(tmp_path, tree, "application", "tasks[5].cost.GPU", "unknown PE type 'GPU'",
                 platform=default_platform())


def test_application_task_no_pe_can_run(tmp_path: Path) -> None:
    tree = application_tree()
    del tree["pe_types"]
    tree["tasks"][4]["cost"] = {"MM": 4.0}
    expect_error(tmp_path, tree, "application", "tasks[4].cost", "no PE of platform",
                 platform=_without_mm())
    tree["tasks"][4]["cost"] = {}
    expect_error(tmp_path, tree, "application", "tasks[4].cost", "names no PE type")


def _without_mm() -> Platform:
    # The DS3 types, but with no MM accelerator fitted: MM is a known type with zero PEs.
    tree = platform_tree()
    tree["pe_types"][2]["count"] = 0
    return platform_from_dict(tree)


def test_application_cycle(tmp_path: Path) -> None:
    tree = application_tree()
    tree["edges"].append({"from": "max_detect", "to": "LFM", "volume": 1})
    path = tmp_path / "cycle.json"
    path.write_text(json.dumps(tree))
    with pytest.raises(InstanceFormatError, match="edges: the task graph has a cycle") as caught:
        read_application(path)
    cycle = str(caught.value).split("cycle: ")[1].split(" -> ")
    assert cycle[0] == cycle[-1]
    assert {"LFM", "max_detect", "xcorr_ifft"} <= set(cycle)


def test_application_edge_to_unknown_task(tmp_path: Path) -> None:
    tree = application_tree()
    tree["edges"][2]["to"] = "xcorr_fft9"
    expect_error(tmp_path, tree, "application", "edges[2].to", "unknown task 'xcorr_fft9'")


def test_application_self_edge_and_duplicate_task(tmp_path: Path) -> None:
    tree = application_tree()
    tree["edges"][0]["to"] = tree["edges"][0]["from"]
    expect_error(tmp_path, tree, "application", "edges[0]", "itself")
    tree = application_tree()
    tree["tasks"][3]["name"] = tree["tasks"][2]["name"]
    expect_error(tmp_path, tree, "application", "tasks[3].name", "defined twice")
