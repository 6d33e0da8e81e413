"""Bounds files and instance lists that name files and folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from decisiongym.envs.core.errors import InstanceFormatError
from decisiongym.envs.jobshop.bounds import read_bounds
from decisiongym.envs.jobshop.instance import (
    JobShopInstance,
    expand_instance_sources,
    write_orlib,
)


def write_json(path: Path, content: object) -> Path:
    path.write_text(json.dumps(content))
    return path


def test_read_bounds_keeps_lb_and_ub_and_ignores_the_rest(tmp_path: Path) -> None:
    path = write_json(tmp_path / "bounds.json", {
        "orb07": {"n_jobs": 10, "lb": 397, "ub": 397, "optimal": True},
        "open1": {"lb": 1000, "ub": None},
    })
    assert read_bounds(path) == {"orb07": (397, 397), "open1": (1000, None)}


@pytest.mark.parametrize(("content", "fragment"), [
    ("{not json", "not a JSON file"),
    ("[1, 2]", "expected a JSON object keyed by instance name, found list"),
    (json.dumps({"a": 3}), "a: expected an object with 'lb' and 'ub', found 3"),
    (json.dumps({"a": {"lb": 1.5}}), "a.lb: expected a non-negative integer or null, found 1.5"),
    (json.dumps({"a": {"ub": True}}), "a.ub: expected a non-negative integer or null, found True"),
    (json.dumps({"a": {"lb": -1}}), "a.lb: expected a non-negative integer or null, found -1"),
    (json.dumps({"a": {"lb": 9, "ub": 5}}), "a: lb 9 is above ub 5"),
])
def test_read_bounds_names_the_fault(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bounds.json"
    path.write_text(content)
    with pytest.raises(InstanceFormatError, match=rf"bounds\.json: .*{_escaped(fragment)}"):
        read_bounds(path)


def _escaped(text: str) -> str:
    return "".join("\\" + c if c in ".[]()" else c for c in text)


def test_read_bounds_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no bounds file"):
        read_bounds(tmp_path / "none.json")


def small(name: str) -> JobShopInstance:
    return JobShopInstance(np.array([[0, 1], [1, 0]]), np.array([[3, 2], [2, 4]]), name=name)


def test_sources_mix_names_files_and_folders(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    for name in ("b1", "a1"):
        write_orlib(small(name), folder / f"{name}.txt")
    (folder / ".hidden").write_text("ignored")
    lone = tmp_path / "lone.txt"
    write_orlib(small("lone"), lone)
    spec = f"ta01-ta02, {folder}, {lone}, {folder / 'a1.txt'}, ft06"
    assert expand_instance_sources(spec) == [
        "ta01", "ta02", str(folder / "a1.txt"), str(folder / "b1.txt"), str(lone), "ft06"]


def test_an_empty_folder_or_item_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no file"):
        expand_instance_sources(str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="empty instance name"):
        expand_instance_sources("ta01,,ta02")
    with pytest.raises(ValueError, match="bad instance name"):
        expand_instance_sources("no/such/file.txt")
