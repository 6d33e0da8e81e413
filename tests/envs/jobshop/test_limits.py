"""The limits that keep job-shop arithmetic exact: the horizon, file sizes, start times, bounds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decisiongym.envs.core.errors import (
    InstanceFormatError,
    MissingFileError,
    PathError,
    ValidationError,
)
from decisiongym.envs.jobshop.bounds import check_bounds, contradictions, read_bounds
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.formats import parse_orlib, read_instance
from decisiongym.envs.jobshop.instance import MAX_HORIZON, JobShopInstance, total_work
from decisiongym.envs.jobshop.solution import Schedule, validate


def test_the_horizon_is_bounded_where_an_instance_is_made() -> None:
    limit = MAX_HORIZON // 2
    JobShopInstance([[0, 1]], [[limit, limit]])
    with pytest.raises(InstanceFormatError, match="durations add up to"):
        JobShopInstance([[0, 1]], [[limit, limit + 1]])
    with pytest.raises(InstanceFormatError, match=r"<string>, line 1: durations add up to"):
        parse_orlib("2 2\n0 4000000000000000000 1 4000000000000000000\n"
                    "1 4000000000000000000 0 4000000000000000000\n")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 2**61), min_size=1, max_size=40))
def test_total_work_never_overflows(values: list[int]) -> None:
    assert total_work(np.array([values], dtype=np.int64)) == sum(values)


def test_file_sizes_are_checked_before_allocating() -> None:
    with pytest.raises(InstanceFormatError, match="above the limit of 1,000,000 operations"):
        parse_orlib("100000 100000\n0 1\n", source="huge.txt")


def test_validate_refuses_start_times_whose_end_would_wrap_around() -> None:
    instance = JobShopInstance([[0, 1], [1, 0]], [[3, 2], [2, 4]])
    wrapping = Schedule(instance, np.array([[2**63 - 2, 2**63 - 1], [0, 2]]))
    with pytest.raises(ValidationError, match="beyond 2\\*\\*62"):
        validate(instance, wrapping)
    assert validate(instance, Schedule(instance, np.array([[0, 3], [0, 3]]))) == 7


def test_read_instance_paths(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="no such instance file"):
        read_instance(tmp_path / "none.txt")
    with pytest.raises(PathError, match="is a folder"):
        read_instance(tmp_path)
    with pytest.raises(PathError, match="is a folder"):
        load_instance(str(tmp_path))


def test_a_file_with_a_built_in_name_is_named_by_its_path(tmp_path: Path) -> None:
    path = tmp_path / "ta01"
    path.write_text("2 2\n0 3 1 2\n1 2 0 4\n")
    assert load_instance(str(path)).name == str(path)
    other = tmp_path / "orb07.txt"
    other.write_text("2 2\n0 3 1 2\n1 2 0 4\n")
    assert load_instance(str(other)).name == "orb07"
    assert load_instance("ta01").n_jobs == 15


@pytest.mark.parametrize(("content", "fragment"), [
    ('{"a": {"ub": 0}}', "a.ub: expected at least 1 (a makespan), found 0"),
    ('{"a": {"lb": 1' + "0" * 400 + "}}", "a.lb: expected at most 2**53, found a number of 401"),
    ("[" * 50_000 + "]" * 50_000, "JSON nested too deeply"),
])
def test_read_bounds_refuses_what_no_instance_can_have(tmp_path: Path, content: str,
                                                       fragment: str) -> None:
    path = tmp_path / "bounds.json"
    path.write_text(content)
    with pytest.raises(InstanceFormatError) as caught:
        read_bounds(path)
    assert fragment in str(caught.value) and str(path) in str(caught.value)


def test_read_bounds_of_undecodable_bytes_and_folders(tmp_path: Path) -> None:
    path = tmp_path / "bounds.json"
    path.write_bytes(b'{"a": {"ub": 1\xff}}')
    with pytest.raises(InstanceFormatError, match="bounds.json: not a UTF-8 text file"):
        read_bounds(path)
    with pytest.raises(PathError, match="is a folder"):
        read_bounds(tmp_path)


def test_bounds_an_instance_disproves() -> None:
    ft06 = load_instance("ft06")
    assert contradictions(ft06, 55, 55) == []
    assert "below 47" in contradictions(ft06, None, 46)[0]
    assert "above 197" in contradictions(ft06, 198, None)[0]
    assert "this run proved" in contradictions(ft06, None, 55, proven=56)[0]
    assert "of a valid schedule" in contradictions(ft06, 60, None, makespan=58)[0]
    with pytest.raises(InstanceFormatError, match="b.json: ft06: upper bound 1 is below"):
        check_bounds({"ft06": (None, 1)}, [ft06], "b.json")
    check_bounds({"other": (None, 1)}, [ft06], "b.json")
