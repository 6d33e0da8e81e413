"""Tests of bounds files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from decisiongym.envs.core.errors import InstanceFormatError
from decisiongym.envs.jobshop.bounds import read_bounds


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
