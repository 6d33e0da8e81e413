"""Malformed bounds files (JSON): a typed error naming the file and the instance and field at
fault, or the bounds the file states."""

from __future__ import annotations

import json
import math
from pathlib import Path

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

from decisiongym.envs.jobshop.bounds import MAX_BOUND, Bounds, read_bounds

VALID_TREE = {
    "ta01": {"n_jobs": 15, "n_machines": 15, "lb": 1231, "ub": 1231, "optimal": True},
    "ta71": {"lb": 5464, "ub": 5464},
    "orb07": {"lb": 397, "ub": None},
    "abz8": {"lb": None, "ub": 665},
}
VALID_BYTES = json.dumps(VALID_TREE, indent=1).encode()


def entry(**fields: object) -> dict[str, object]:
    return {"ta01": fields}


def check(bounds: Bounds, path: Path) -> None:
    stated = json.loads(path.read_text(encoding="utf-8"))
    assert set(bounds) == {str(name) for name in stated}
    for name, (lower, upper) in bounds.items():
        fields = stated[name]
        assert (lower, upper) == (fields.get("lb"), fields.get("ub"))
        for bound in (lower, upper):
            assert bound is None or (type(bound) is int and 0 <= bound <= MAX_BOUND)
        assert upper != 0
        if lower is not None and upper is not None:
            assert lower <= upper


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


CASES = [
    *common_text_cases(VALID_BYTES),
    Case("the valid file", VALID_BYTES, MUST_LOAD),
    Case.tree("an empty object", {}, MUST_LOAD),
    Case.tree("unknown fields only", {"ta01": {"note": "x"}}, MUST_LOAD),
    Case.tree("a list", [1, 2], "expected a JSON object"),
    Case.tree("a number", 3, "expected a JSON object"),
    Case.tree("a string", "ta01", "expected a JSON object"),
    Case.tree("null", None, "expected a JSON object"),
    Case.tree("an entry that is a number", {"ta01": 1231}, "ta01: expected an object"),
    Case.tree("an entry that is a list", {"ta01": [1231, 1231]}, "ta01: expected an object"),
    Case.tree("an entry that is null", {"ta01": None}, "ta01: expected an object"),
    Case.tree("lb negative", entry(lb=-1, ub=5), "ta01.lb"),
    Case.tree("ub negative", entry(lb=1, ub=-5), "ta01.ub"),
    Case.tree("ub zero", entry(lb=0, ub=0), "ta01.ub"),
    Case.tree("lb NaN", entry(lb=math.nan, ub=5), "ta01.lb"),
    Case.tree("ub infinite", entry(lb=1, ub=math.inf), "ta01.ub"),
    Case.tree("lb minus infinity", entry(lb=-math.inf), "ta01.lb"),
    Case.tree("lb a float", entry(lb=1.5, ub=5), "ta01.lb"),
    Case.tree("lb a whole float", entry(lb=5.0, ub=5), "ta01.lb"),
    Case.tree("lb a string", entry(lb="5", ub=5), "ta01.lb"),
    Case.tree("lb true", entry(lb=True, ub=5), "ta01.lb"),
    Case.tree("ub a list", entry(lb=1, ub=[5]), "ta01.ub"),
    Case.tree("ub an object", entry(lb=1, ub={"value": 5}), "ta01.ub"),
    Case.tree("ub 2^53 + 1", entry(ub=2**53 + 1), "ta01.ub"),
    Case.tree("ub 10^30", entry(ub=10**30), "ta01.ub"),
    Case.text("ub of 400 digits", '{"ta01": {"ub": ' + "9" * 400 + "}}", "ta01.ub"),
    Case.text("ub of 5000 digits", '{"ta01": {"ub": ' + "9" * 5000 + "}}", None),
    Case.text("ub 1e400", '{"ta01": {"ub": 1e400}}', "ta01.ub"),
    Case.tree("lb above ub", entry(lb=10, ub=5), "lb 10 is above ub 5"),
    Case.tree("a name that is empty", {"": {"lb": 1, "ub": 2}}, MUST_LOAD),
    Case.text("a key repeated", '{"ta01": {"lb": 1, "ub": 2}, "ta01": {"lb": 3, "ub": 4}}',
              "'ta01'"),
    Case.text("a field repeated", '{"ta01": {"lb": 1, "lb": 3, "ub": 4}}', "'lb'"),
    Case.text("trailing comma", '{"ta01": {"lb": 1, "ub": 2},}', "not a JSON file"),
    Case.text("single quotes", "{'ta01': {'lb': 1}}", "not a JSON file"),
    Case.text("a comment", '// bounds\n{"ta01": {"lb": 1}}', "not a JSON file"),
    Case.text("unclosed object", '{"ta01": {"lb": 1', "not a JSON file"),
    Case.text("two objects", '{"ta01": {}} {"ta02": {}}', "not a JSON file"),
    Case.text("arrays nested 100,000 deep", nested(100_000), None),
    Case.text("objects nested 100,000 deep", '{"a":' * 100_000 + "1" + "}" * 100_000, None),
    Case.text("an entry nested deep", '{"ta01": ' + nested(50_000) + "}", "nested too deeply"),
    Case.text("a lone surrogate in a name", '{"\\ud800": {"lb": 1}}', None),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hand_made_bounds_files(case: Case) -> None:
    run_case("bounds JSON", read_bounds, case.data, "bounds.json", case=case.name,
             expect=case.expect, check=check)


@FUZZ_SETTINGS
@given(data=tree_mutations(VALID_TREE))
def test_mutated_bounds_files(data: bytes) -> None:
    run_case("bounds JSON", read_bounds, data, "bounds.json", check=check)


def test_enough_malformed_bounds_inputs() -> None:
    assert len(CASES) + FUZZ_SETTINGS.max_examples >= 50
