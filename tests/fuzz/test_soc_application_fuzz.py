"""Malformed SoC application files (task DAGs, JSON): a typed error naming the file and the field
at fault, or a usable DAG that, read against a platform, gets a HEFT schedule that validates."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

import pytest
from fuzz_harness import (
    FUZZ_SETTINGS,
    MUST_LOAD,
    Case,
    common_text_cases,
    run_case,
    tree_mutations,
)
from hypothesis import given
from soc_fuzz_files import APPLICATION_TREE, PLATFORM, changed_tree, check_application

from decisiongym.envs.soc.files import read_application
from decisiongym.envs.soc.graph import TaskGraph

VALID_BYTES = json.dumps(APPLICATION_TREE, indent=1).encode()


changed = functools.partial(changed_tree, APPLICATION_TREE)


def on_platform(path: Path) -> TaskGraph:
    return read_application(path, platform=PLATFORM)


def check(graph: TaskGraph, path: Path) -> None:
    check_application(graph, PLATFORM)


def check_alone(graph: TaskGraph, path: Path) -> None:
    check_application(graph, None)


def chain(n: int) -> dict[str, Any]:
    return {"tasks": [{"name": f"t{i}", "cost": {"P1": 1}} for i in range(n)],
            "edges": [{"from": f"t{i}", "to": f"t{i + 1}", "volume": 1} for i in range(n - 1)]}


CASES = [
    *common_text_cases(VALID_BYTES),
    Case("the valid file", VALID_BYTES, MUST_LOAD),
    Case.tree("one task, no edges", {"tasks": [{"name": "a", "cost": {"P2": 3}}]}, MUST_LOAD),
    Case.tree("a chain of 20,000 tasks", chain(20_000), MUST_LOAD),
    Case.tree("a list", [APPLICATION_TREE], "expected an object"),
    Case.tree("another format", changed("format", "decisiongym/soc-platform"), "format"),
    Case.tree("another version", changed("version", "1"), "version"),
    Case.tree("no tasks", changed("tasks", delete=True), "tasks"),
    Case.tree("tasks empty", changed("tasks", []), "tasks"),
    Case.tree("tasks past the limit", {"tasks": [{"name": f"t{i}", "cost": {"P1": 1}}
                                                 for i in range(100_001)]}, "tasks"),
    Case.tree("a task a string", changed("tasks.0", "n1"), "tasks[0]"),
    Case.tree("a task without name", changed("tasks.3.name", delete=True), "tasks[3].name"),
    Case.tree("a task named twice", changed("tasks.3.name", "n1"), "tasks[3].name"),
    Case.tree("a task without cost", changed("tasks.2.cost", delete=True), "tasks[2].cost"),
    Case.tree("a cost empty", changed("tasks.2.cost", {}), "tasks[2].cost"),
    Case.tree("a cost a list", changed("tasks.2.cost", [1, 2, 3]), "tasks[2].cost"),
    Case.tree("a cost 0", changed("tasks.0.cost.P1", 0), "tasks[0].cost.P1"),
    Case.tree("a cost negative", changed("tasks.0.cost.P1", -3), "tasks[0].cost.P1"),
    Case.tree("a cost NaN", changed("tasks.0.cost.P1", math.nan), "tasks[0].cost.P1"),
    Case.tree("a cost infinite", changed("tasks.0.cost.P1", math.inf), "tasks[0].cost.P1"),
    Case.tree("a cost 1e308", changed("tasks.0.cost.P1", 1e308), "tasks[0].cost.P1"),
    Case.tree("a cost 10^400", changed("tasks.0.cost.P1", 10**400), "tasks[0].cost.P1"),
    Case.tree("a cost a string", changed("tasks.0.cost.P1", "14"), "tasks[0].cost.P1"),
    Case.tree("a cost null", changed("tasks.0.cost.P1", None), "tasks[0].cost.P1"),
    Case.tree("a cost on an undeclared type", changed("tasks.0.cost.P9", 4),
              "tasks[0].cost.P9"),
    Case.tree("pe_types repeated", changed("pe_types", ["P1", "P1", "P2", "P3"]), "pe_types"),
    Case.tree("pe_types a number", changed("pe_types", 3), "pe_types"),
    Case.tree("edges an object", changed("edges", {"from": "n1"}), "edges"),
    Case.tree("an edge from an unknown task", changed("edges.0.from", "n99"), "edges[0].from"),
    Case.tree("an edge to itself", changed("edges.0.to", "n1"), "edges[0]"),
    Case.tree("an edge without volume", changed("edges.0.volume", delete=True),
              "edges[0].volume"),
    Case.tree("a volume negative", changed("edges.0.volume", -1), "edges[0].volume"),
    Case.tree("a volume NaN", changed("edges.0.volume", math.nan), "edges[0].volume"),
    Case.tree("a volume 10^30", changed("edges.0.volume", 10**30), "edges[0].volume"),
    Case.tree("a cycle", {**APPLICATION_TREE, "edges": [
        *APPLICATION_TREE["edges"], {"from": "n10", "to": "n1", "volume": 1}]}, "cycle"),
    Case.tree("an edge given twice", {**APPLICATION_TREE, "edges": [
        *APPLICATION_TREE["edges"], APPLICATION_TREE["edges"][0]]}, None),
    Case.text("a key repeated", '{"tasks": [{"name": "a", "name": "b", "cost": {"P1": 1}}]}',
              "'name'"),
    Case.text("nested 100,000 deep", '{"tasks": ' + "[" * 100_000 + "]" * 100_000 + "}", None),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hand_made_application_files(case: Case) -> None:
    run_case("SoC application JSON", on_platform, case.data, "dag.json", case=case.name,
             expect=case.expect, check=check)


def test_a_task_no_pe_of_the_platform_runs() -> None:
    tree = {"tasks": [{"name": "a", "cost": {"GPU": 3}}]}
    run_case("SoC application JSON", on_platform, json.dumps(tree).encode(), "dag.json",
             expect="tasks[0].cost.GPU")


@FUZZ_SETTINGS
@given(data=tree_mutations(APPLICATION_TREE))
def test_mutated_application_files(data: bytes) -> None:
    run_case("SoC application JSON", on_platform, data, "dag.json", check=check)


@FUZZ_SETTINGS
@given(data=tree_mutations(APPLICATION_TREE))
def test_mutated_application_files_without_a_platform(data: bytes) -> None:
    run_case("SoC application JSON", read_application, data, "dag.json", check=check_alone)


def test_enough_malformed_application_inputs() -> None:
    assert len(CASES) + FUZZ_SETTINGS.max_examples >= 50
