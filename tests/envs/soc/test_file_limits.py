"""The limits of SoC platform and application files: sizes and numbers every consumer can use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from decisiongym.envs.core.errors import InputError, InstanceFormatError, MissingFileError
from decisiongym.envs.soc.files import read_application, read_platform
from decisiongym.envs.soc.graph import TaskGraph


def platform(**changes: object) -> dict[str, object]:
    tree: dict[str, object] = {"pe_types": [{"name": "A7", "count": 2, "frequency_mhz": 1000,
                                             "busy_power_w": 1, "idle_power_w": 0.1}],
                               "bandwidth": 10}
    tree.update(changes)
    return tree


@pytest.mark.parametrize(("tree", "fragment"), [
    (platform(pe_types=[{"name": "A7", "count": 10**12, "frequency_mhz": 1, "busy_power_w": 1,
                         "idle_power_w": 0}]), "pe_types[0].count: expected at most 4,096"),
    (platform(pes=["A7"] * 5000), "pes: expected at most 4,096 PEs"),
    (platform(bandwidth=1e-300), "bandwidth: expected at least 0.001"),
    (platform(startup_latency=1e308), "startup_latency: expected at most 1e+09"),
    (platform(startup_latency=10**400), "startup_latency: expected at most 1e+09"),
])
def test_platform_limits(tmp_path: Path, tree: dict[str, object], fragment: str) -> None:
    path = tmp_path / "platform.json"
    path.write_text(json.dumps(tree))
    with pytest.raises(InstanceFormatError) as caught:
        read_platform(path)
    assert fragment in str(caught.value) and str(path) in str(caught.value)


def test_application_limits(tmp_path: Path) -> None:
    path = tmp_path / "app.json"
    path.write_text(json.dumps({"tasks": [{"name": "a", "cost": {"A7": 1e308}}]}))
    with pytest.raises(InstanceFormatError, match=r"tasks\[0\]\.cost\.A7: expected at most"):
        read_application(path)
    path.write_text(json.dumps({"tasks": [{"name": f"t{i}", "cost": {"A7": 1}}
                                          for i in range(100_001)]}))
    with pytest.raises(InstanceFormatError, match="expected at most 100,000 tasks"):
        read_application(path)


def test_unreadable_files(tmp_path: Path) -> None:
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InstanceFormatError, match="nested too deeply"):
        read_platform(nested)
    undecodable = tmp_path / "bytes.json"
    undecodable.write_bytes(b'{"name": "\xff"}')
    with pytest.raises(InstanceFormatError, match="bytes.json: not a UTF-8 text file"):
        read_application(undecodable)
    with pytest.raises(MissingFileError):
        read_platform(tmp_path / "none.json")


def test_graph_faults_are_input_errors() -> None:
    with pytest.raises(InputError, match="non-positive or NaN"):
        TaskGraph("g", ("a",), ("A7",), [[0.0]], [], [])
