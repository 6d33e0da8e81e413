"""Tests of Taillard's generator, his 80 instances and ft06."""

from __future__ import annotations

import hashlib
import json

import pytest
from shared_data import shared_data

from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.formats import format_orlib, read_orlib
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.taillard import (
    canonical_taillard_name,
    ft06_instance,
    taillard_generate,
    taillard_instance,
)

TAILLARD = [f"ta{i:02d}" for i in range(1, 81)]

# SHA-256 over ta01..ta80 in order, each as b"<name> <n_jobs> <n_machines>\n" followed by the
# machines then the durations as little-endian int64, row by row. Computed from the reference
# instance files (checked against six independent copies), so the generator is pinned even
# where those files are not available.
TAILLARD_DIGEST = "e4896e5178908bc5f473994b0899448d9e5604962be7800dd022c4d8ef8d400b"

SHARED = shared_data("jssp")
needs_shared = pytest.mark.skipif(
    not (SHARED / "instances").is_dir(), reason="reference instance files not available"
)


def canonical_digest(instances: list[JobShopInstance]) -> str:
    h = hashlib.sha256()
    for inst in instances:
        h.update(f"{inst.name} {inst.n_jobs} {inst.n_machines}\n".encode())
        h.update(inst.machines.astype("<i8").tobytes())
        h.update(inst.durations.astype("<i8").tobytes())
    return h.hexdigest()


def test_generator_reproduces_all_80_taillard_instances() -> None:
    assert canonical_digest([taillard_instance(name) for name in TAILLARD]) == TAILLARD_DIGEST


@needs_shared
def test_generator_matches_reference_files() -> None:
    for name in TAILLARD:
        path = SHARED / "instances" / f"{name}.txt"
        inst = taillard_instance(name)
        assert read_orlib(path).same_data(inst), name
        assert format_orlib(inst) == path.read_text(), name


@needs_shared
def test_bounds_match_reference_file() -> None:
    bounds = json.loads((SHARED / "bounds.json").read_text())
    for name in TAILLARD:
        inst = taillard_instance(name)
        ref = bounds[name]
        assert (inst.n_jobs, inst.n_machines) == (ref["n_jobs"], ref["n_machines"])
        assert (inst.lower_bound, inst.upper_bound) == (ref["lb"], ref["ub"]), name
        assert inst.optimal == ref["optimal"]


@needs_shared
def test_ft06_matches_reference_file() -> None:
    assert read_orlib(SHARED / "instances" / "ft06.txt").same_data(load_instance("ft06"))


def test_taillard_sizes_and_bounds() -> None:
    ta01 = taillard_instance("ta01")
    assert (ta01.lower_bound, ta01.upper_bound) == (1231, 1231)
    assert ta01.optimal
    assert (ta01.n_jobs, ta01.n_machines, ta01.n_ops) == (15, 15, 15)
    ta41 = taillard_instance("ta41")
    assert (ta41.n_jobs, ta41.n_machines) == (30, 20)
    assert not ta41.optimal
    ta71 = taillard_instance("ta71")
    assert (ta71.n_jobs, ta71.n_machines, ta71.n_operations) == (100, 20, 2000)
    for inst in (ta01, ta41, ta71):
        assert inst.is_classic
        assert inst.trivial_lower_bound <= inst.lower_bound
        assert inst.durations.min() >= 1 and inst.durations.max() <= 99


def test_taillard_name_aliases() -> None:
    ta01 = taillard_instance("ta01")
    assert taillard_instance("ta1") is ta01
    assert taillard_instance("TA01").same_data(ta01)
    assert load_instance("Ta1").same_data(ta01)
    assert ta01.name == "ta01"


@pytest.mark.parametrize("bad", ["ta81", "ta00", "ta0", "tb01", "ft06", "", "ta-1"])
def test_taillard_unknown_name(bad: str) -> None:
    with pytest.raises(ValueError, match=r"ta01\.\.ta80"):
        taillard_instance(bad)


def test_taillard_generate_matches_table_and_checks_seeds() -> None:
    inst = taillard_generate(15, 15, 840612802, 398197754)
    assert inst.same_data(taillard_instance("ta01"))
    assert inst.lower_bound is None and inst.name == "taillard-15x15-840612802-398197754"
    assert taillard_generate(3, 2, 1, 2, name="tiny").name == "tiny"
    with pytest.raises(ValueError, match="time_seed"):
        taillard_generate(3, 3, 0, 5)
    with pytest.raises(ValueError, match="machine_seed"):
        taillard_generate(3, 3, 5, 2**31 - 1)
    with pytest.raises(ValueError, match="n_jobs"):
        taillard_generate(0, 3, 5, 5)



@pytest.mark.parametrize(("name", "canonical"), [
    ("ta1", "ta01"), ("TA01", "ta01"), (" ta080 ", "ta80"), ("ta81", None), ("ta00", None),
    ("ft06", None), ("", None),
])
def test_canonical_taillard_name(name: str, canonical: str | None) -> None:
    assert canonical_taillard_name(name) == canonical


def test_ft06_instance_is_the_built_in_ft06() -> None:
    ft06 = ft06_instance()
    assert ft06 is ft06_instance()
    assert ft06.name == "ft06" and (ft06.lower_bound, ft06.upper_bound) == (55, 55)
    assert ft06.same_data(load_instance("ft06"))
