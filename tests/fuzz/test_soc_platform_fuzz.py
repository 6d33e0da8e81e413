"""Malformed SoC platform files (JSON, and YAML when PyYAML is installed): a typed error naming
the file and the field at fault, or a usable platform."""

from __future__ import annotations

import functools
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
from soc_fuzz_files import PLATFORM_TREE, changed_tree, check_platform

from decisiongym.envs.soc.files import read_platform
from decisiongym.envs.soc.platform import Platform

VALID_BYTES = json.dumps(PLATFORM_TREE, indent=1).encode()


changed = functools.partial(changed_tree, PLATFORM_TREE)


def check(platform: Platform, path: Path) -> None:
    check_platform(platform)


CASES = [
    *common_text_cases(VALID_BYTES),
    Case("the valid file", VALID_BYTES, MUST_LOAD),
    Case.tree("bandwidth a number", changed("bandwidth", 100), MUST_LOAD),
    Case.tree("no optional field", {"pe_types": [{"name": "A", "frequency_mhz": 1,
                                                  "busy_power_w": 1, "idle_power_w": 0}],
                                    "bandwidth": 1}, MUST_LOAD),
    Case.tree("a list", [PLATFORM_TREE], "expected an object"),
    Case.tree("null", None, "expected an object"),
    Case.tree("another format", changed("format", "decisiongym/soc-application"), "format"),
    Case.tree("another version", changed("version", 2), "version"),
    Case.tree("version NaN", changed("version", math.nan), "version"),
    Case.tree("name a number", changed("name", 5), "name"),
    Case.tree("name empty", changed("name", ""), "name"),
    Case.tree("no pe_types", changed("pe_types", delete=True), "pe_types"),
    Case.tree("pe_types empty", changed("pe_types", []), "pe_types"),
    Case.tree("pe_types an object", changed("pe_types", {"name": "A"}), "pe_types"),
    Case.tree("a PE type a string", changed("pe_types.0", "A7"), "pe_types[0]"),
    Case.tree("a PE type without name", changed("pe_types.1.name", delete=True),
              "pe_types[1].name"),
    Case.tree("a PE type named twice", changed("pe_types.1.name", "P1"), "pe_types[1].name"),
    Case.tree("count negative", changed("pe_types.0.count", -1), "pe_types[0].count"),
    Case.tree("count NaN", changed("pe_types.0.count", math.nan), "pe_types[0].count"),
    Case.tree("count a float", changed("pe_types.0.count", 1.5), "pe_types[0].count"),
    Case.tree("count true", changed("pe_types.0.count", True), "pe_types[0].count"),
    Case.tree("count 10^12", changed("pe_types.0.count", 10**12), "pe_types[0].count"),
    Case.tree("counts past the PE limit", changed("pe_types", [
        {"name": f"T{i}", "count": 4000, "frequency_mhz": 1, "busy_power_w": 1,
         "idle_power_w": 0} for i in range(3)]), "pe_types"),
    Case.tree("every count 0", changed("pe_types", [
        {"name": "A", "count": 0, "frequency_mhz": 1, "busy_power_w": 1, "idle_power_w": 0}]),
        "pe_types"),
    Case.tree("frequency NaN", changed("pe_types.0.frequency_mhz", math.nan),
              "pe_types[0].frequency_mhz"),
    Case.tree("frequency infinite", changed("pe_types.0.frequency_mhz", math.inf),
              "pe_types[0].frequency_mhz"),
    Case.tree("busy power negative", changed("pe_types.2.busy_power_w", -0.5),
              "pe_types[2].busy_power_w"),
    Case.tree("idle power 1e308", changed("pe_types.0.idle_power_w", 1e308),
              "pe_types[0].idle_power_w"),
    Case.tree("idle power 10^400", changed("pe_types.0.idle_power_w", 10**400),
              "pe_types[0].idle_power_w"),
    Case.tree("idle power a string", changed("pe_types.0.idle_power_w", "0.1"),
              "pe_types[0].idle_power_w"),
    Case.tree("no bandwidth", changed("bandwidth", delete=True), "bandwidth"),
    Case.tree("bandwidth 0", changed("bandwidth", 0), "bandwidth"),
    Case.tree("bandwidth 1e-300", changed("bandwidth", 1e-300), "bandwidth"),
    Case.tree("bandwidth NaN", changed("bandwidth", math.nan), "bandwidth"),
    Case.tree("bandwidth a string", changed("bandwidth", "fast"), "bandwidth"),
    Case.tree("bandwidth default missing", changed("bandwidth.default", delete=True),
              "bandwidth.default"),
    Case.tree("a link to an unknown PE", changed("bandwidth.links.0.to", "P9"),
              "bandwidth.links[0].to"),
    Case.tree("a link to PE 5 of a type of 2", changed("bandwidth.links.0.to", "P1.5"),
              "bandwidth.links[0].to"),
    Case.tree("a link bandwidth infinite", changed("bandwidth.links.0.bandwidth", math.inf),
              "bandwidth.links[0].bandwidth"),
    Case.tree("a link directed 'yes'", changed("bandwidth.links.1.directed", "yes"),
              "bandwidth.links[1].directed"),
    Case.tree("links an object", changed("bandwidth.links", {"from": "P1"}), "bandwidth.links"),
    Case.tree("a matrix of the wrong size", changed("bandwidth", [[0, 1], [1, 0]]),
              "bandwidth"),
    Case.tree("a matrix with a ragged row", changed("bandwidth", [
        [0, 1, 1, 1], [1, 0, 1], [1, 1, 0, 1], [1, 1, 1, 0]]), "bandwidth[1]"),
    Case.tree("a matrix with a NaN", changed("bandwidth", [
        [0, 1, 1, 1], [1, 0, math.nan, 1], [1, 1, 0, 1], [1, 1, 1, 0]]), "bandwidth[1][2]"),
    Case.tree("pes naming an unknown type", changed("pes", ["P1", "P7"]), "pes[1]"),
    Case.tree("pes a string", changed("pes", "P1"), "pes"),
    Case.tree("pes past the limit", changed("pes", ["P1"] * 5000), "pes"),
    Case.tree("startup latency negative", changed("startup_latency", -1), "startup_latency"),
    Case.tree("startup latency infinite", changed("startup_latency", math.inf),
              "startup_latency"),
    Case.text("a key repeated", '{"name": "a", "name": "b", "pe_types": [], "bandwidth": 1}',
              "'name'"),
    Case.text("nested 100,000 deep", "[" * 100_000 + "]" * 100_000, None),
    Case.text("an integer of 5000 digits", '{"startup_latency": ' + "9" * 5000 + "}", None),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hand_made_platform_files(case: Case) -> None:
    run_case("SoC platform JSON", read_platform, case.data, "platform.json", case=case.name,
             expect=case.expect, check=check)


@FUZZ_SETTINGS
@given(data=tree_mutations(PLATFORM_TREE))
def test_mutated_platform_files(data: bytes) -> None:
    run_case("SoC platform JSON", read_platform, data, "platform.json", check=check)


YAML_CASES = [case for case in CASES if case.name in (
    "the valid file", "empty file", "undecodable bytes", "count negative", "bandwidth NaN",
    "a link to an unknown PE", "nested 100,000 deep")]


@pytest.mark.parametrize("case", YAML_CASES, ids=[case.name for case in YAML_CASES])
def test_platform_files_in_yaml(case: Case) -> None:
    yaml = pytest.importorskip("yaml")
    try:
        tree = json.loads(case.data)
    except (ValueError, RecursionError):
        data = case.data
    else:
        data = yaml.safe_dump(tree).encode()
    run_case("SoC platform YAML", read_platform, data, "platform.yaml", case=case.name,
             expect=case.expect, check=check)


def test_enough_malformed_platform_inputs() -> None:
    assert len(CASES) + FUZZ_SETTINGS.max_examples >= 50
