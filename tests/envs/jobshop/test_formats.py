"""Tests of the OR-Library and Taillard text formats: readers, writers, errors."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decisiongym.envs.core.errors import InstanceFormatError
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.formats import (
    format_orlib,
    format_taillard,
    parse_orlib,
    parse_taillard,
    read_instance,
    read_orlib,
    read_taillard,
    write_orlib,
    write_taillard,
)
from decisiongym.envs.jobshop.instance import JobShopInstance


def line_of(error: InstanceFormatError) -> int | None:
    match = re.search(r", line (\d+): ", str(error))
    return int(match.group(1)) if match else None


# --------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------


@st.composite
def classic_instances(draw: st.DrawFn) -> JobShopInstance:
    n = draw(st.integers(1, 8))
    m = draw(st.integers(1, 8))
    routes = [draw(st.permutations(range(m))) for _ in range(n)]
    times = draw(
        st.lists(st.lists(st.integers(1, 10**6), min_size=m, max_size=m), min_size=n, max_size=n)
    )
    lb = draw(st.none() | st.integers(1, 1000))
    ub = draw(st.none() | st.integers(1000, 2000))
    return JobShopInstance(
        np.array(routes), np.array(times), name="x", lower_bound=lb, upper_bound=ub
    )


@settings(max_examples=60, deadline=None)
@given(classic_instances())
def test_orlib_round_trip(inst: JobShopInstance) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "inst.txt"
        write_orlib(inst, path)
        back = read_orlib(path)
        assert back.same_data(inst) and back.name == "inst"
        assert read_instance(path).same_data(inst)
    assert parse_orlib(format_orlib(inst)).same_data(inst)


@settings(max_examples=60, deadline=None)
@given(classic_instances())
def test_taillard_round_trip(inst: JobShopInstance) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "inst.txt"
        write_taillard(inst, path)
        back = read_taillard(path)
        assert back.same_data(inst)
        assert (back.lower_bound, back.upper_bound) == (inst.lower_bound, inst.upper_bound)
        assert read_instance(path).same_data(inst)
        assert read_instance(path, format="taillard").same_data(inst)


# --------------------------------------------------------------------------------------------
# Accepted variants
# --------------------------------------------------------------------------------------------


ORLIB_WITH_HEADER = """\
 +++++++++++++++++++++++++++++
 instance tiny
 +++++++++++++++++++++++++++++
 A 2x3 example, alternate name (tiny2)
# a comment
2 3

0 5 1 6 2 7
2 1 0 2 1 3
 +++++++++++++++++++++++++++++
"""


def test_orlib_header_block_comments_and_separator() -> None:
    inst = parse_orlib(ORLIB_WITH_HEADER, name="tiny")
    assert inst.name == "tiny"
    assert inst.machines.tolist() == [[0, 1, 2], [2, 0, 1]]
    assert inst.durations.tolist() == [[5, 6, 7], [1, 2, 3]]
    assert parse_orlib("2 3\n0 5 1 6 2 7\n2 1 0 2 1 3\n").name == "unnamed"


TAILLARD_KEYWORDS = """\
Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound
           2            3    123456    654321          20          18
Times
 5 6 7
 1 2 3
Machines
 1 2 3
 3 1 2
"""

TAILLARD_BARE = "2 3\n5 6 7\n1 2 3\n1 2 3\n3 1 2\n"


def test_taillard_forms(tmp_path: Path) -> None:
    keyed = parse_taillard(TAILLARD_KEYWORDS)
    bare = parse_taillard(TAILLARD_BARE)
    assert keyed.same_data(bare)
    assert keyed.machines.tolist() == [[0, 1, 2], [2, 0, 1]]
    assert (keyed.upper_bound, keyed.lower_bound) == (20, 18)
    assert bare.lower_bound is None and bare.upper_bound is None
    assert keyed.same_data(parse_orlib(ORLIB_WITH_HEADER))
    for text, stem in ((TAILLARD_KEYWORDS, "keyed"), (TAILLARD_BARE, "bare")):
        path = tmp_path / f"{stem}.txt"
        path.write_text(text)
        inst = read_instance(path)
        assert inst.same_data(keyed) and inst.name == stem
    orlib = tmp_path / "std.txt"
    orlib.write_text(ORLIB_WITH_HEADER)
    assert read_instance(orlib).same_data(keyed)
    assert read_instance(orlib, format="standard").same_data(keyed)
    with pytest.raises(ValueError, match="unknown instance format"):
        read_instance(orlib, format="json")


# --------------------------------------------------------------------------------------------
# Malformed input
# --------------------------------------------------------------------------------------------


ORLIB_BAD = [
    (
        "2 3\n0 5 1 6 2 7\n2 1 0 2 1\n",
        3,
        "expected 6 integers (3 machine/duration pairs) for job 1, found 5",
    ),
    (
        "2 3\n0 5 1 6 2 7\n2 1 0 2 1 3 4 4\n",
        3,
        "expected 6 integers (3 machine/duration pairs) for job 1, found 8",
    ),
    (
        "2 3\n0 5 1 6 2 7\n\n2 1 0 -1 1 3\n",
        4,
        "duration must be >= 0, found -1 for job 1, operation 1",
    ),
    (
        "2 3\n0 5 1 -6 2 7\n2 1 0 2 1 3\n",
        2,
        "duration must be >= 0, found -6 for job 0, operation 1",
    ),
    ("2 3\n0 5 1 6 2 7\n2 1 3 2 1 3\n", 3, "machine 3 out of range 0..2 for job 1, operation 1"),
    ("2 3\n0 5 1 6 -1 7\n2 1 0 2 1 3\n", 2, "machine -1 out of range 0..2 for job 0, operation 2"),
    ("2 3\n0 5 1 6 0 7\n2 1 0 2 1 3\n", 2, "machine 0 appears twice in job 0 (operations 0 and 2)"),
    ("", 1, "missing size line 'n_jobs n_machines'"),
    (" instance foo\n just text\n", 2, "missing size line 'n_jobs n_machines'"),
    ("2 3 4\n0 5 1 6 2 7\n", 1, "expected size line 'n_jobs n_machines' (2 integers), found 3"),
    ("0 3\n", 1, "expected n_jobs >= 1 and n_machines >= 1, found 0 and 3"),
    ("3 3\n0 5 1 6 2 7\n2 1 0 2 1 3\n", 3, "expected 3 job lines, found 2"),
    ("2 3\n0 5 1 6 2 7\n2 1 0 2 1 3\n\n# end\n\n", 6, None),
    ("2 3\n0 5 1 six 2 7\n2 1 0 2 1 3\n", 2, "expected integers for job 0, found 'six' (token 4)"),
    ("2 3\n0 5 1 6 2 7.0\n2 1 0 2 1 3\n", 2, "expected integers for job 0, found '7.0' (token 6)"),
    (
        "2 3\n0 5 1 6 2 7\n2 1 0 2 1 3\n0 1 1 1 2 1\n",
        4,
        "expected end of file after the 2 job lines",
    ),
]


@pytest.mark.parametrize(("text", "line", "fragment"), ORLIB_BAD)
def test_orlib_malformed(text: str, line: int, fragment: str | None) -> None:
    if fragment is None:  # a well-formed file with trailing blank and comment lines
        parse_orlib(text)
        return
    with pytest.raises(InstanceFormatError) as info:
        parse_orlib(text, source="bad.txt")
    assert info.value.file == "bad.txt"
    assert info.value.line == line
    assert line_of(info.value) == line
    assert fragment in str(info.value)
    assert str(info.value).startswith(f"bad.txt, line {line}: ")


TAILLARD_BAD = [
    (
        "2 3\nTimes\n5 6 7\n1 2\nMachines\n1 2 3\n3 1 2\n",
        4,
        "expected 3 durations for job 1, found 2",
    ),
    (
        "2 3\nTimes\n5 6 7\n1 -2 3\nMachines\n1 2 3\n3 1 2\n",
        4,
        "duration must be >= 0, found -2 for job 1, operation 1",
    ),
    (
        "2 3\nTimes\n5 6 7\n1 2 3\nMachines\n1 2 3\n3 0 2\n",
        7,
        "machine 0 out of range 1..3 for job 1, operation 1",
    ),
    (
        "2 3\nTimes\n5 6 7\n1 2 3\nMachines\n1 2 3\n3 4 2\n",
        7,
        "machine 4 out of range 1..3 for job 1, operation 1",
    ),
    (
        "2 3\nTimes\n5 6 7\n1 2 3\nMachines\n1 2 3\n3 3 2\n",
        7,
        "machine 3 appears twice in job 1 (operations 0 and 1)",
    ),
    ("2 3\nTimes\n5 6 7\n1 2 3\nMachines\n1 2 3\n", 6, "expected 2 lines of machines, found 1"),
    ("2 3\nTimes\n5 6 7\nMachines\n1 2 3\n3 1 2\n", 4, "expected 2 lines of durations, found 1"),
    (
        "2 3\nTimes\n5 6 7\n1 2 x\nMachines\n1 2 3\n3 1 2\n",
        4,
        "expected integers for job 1, found 'x' (token 3)",
    ),
    ("Times\n5 6 7\n", 1, "missing size line 'n_jobs n_machines' before 'Times'"),
    ("header only\n", 1, "missing size line 'n_jobs n_machines'"),
    (
        "2 3 1 2 10 20\nTimes\n5 6 7\n1 2 3\nMachines\n1 2 3\n3 1 2\n",
        1,
        "lower bound 20 exceeds upper bound 10",
    ),
    ("2 3 1 2 3 4 5\n", 1, "(2 to 6 integers), found 7"),
    (
        "2 3\n5 6 7\n1 2 3\n1 2 3\n3 1 2\n1 2 3\n",
        6,
        "expected end of file after the 2 lines of machines",
    ),
]


@pytest.mark.parametrize(("text", "line", "fragment"), TAILLARD_BAD)
def test_taillard_malformed(text: str, line: int, fragment: str) -> None:
    with pytest.raises(InstanceFormatError) as info:
        parse_taillard(text, source="bad.txt")
    assert info.value.file == "bad.txt"
    assert info.value.line == line
    assert line_of(info.value) == line
    assert fragment in str(info.value)


def test_reader_error_names_real_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.txt"
    path.write_text("2 3\n0 5 1 6 2 7\n")
    with pytest.raises(InstanceFormatError, match=r"broken\.txt, line 2: expected 2 job lines"):
        read_instance(path)


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def test_writers_refuse_non_classic_and_leave_nothing(tmp_path: Path) -> None:
    reentrant = JobShopInstance(np.array([[0, 1, 0]]), np.array([[1, 2, 3]]))
    fewer_ops = JobShopInstance(np.array([[0, 2]]), np.array([[1, 2]]))
    for inst in (reentrant, fewer_ops):
        for writer in (write_orlib, write_taillard):
            path = tmp_path / "out.txt"
            with pytest.raises(ValueError, match="format"):
                writer(inst, path)
            assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    inst = load_instance("ft06")
    for writer in (write_orlib, write_taillard):
        with pytest.raises(OSError, match="disk full"):
            writer(inst, tmp_path / "new.txt")
    assert list(tmp_path.iterdir()) == []
    existing = tmp_path / "old.txt"
    existing.write_text("keep me\n")
    with pytest.raises(OSError):
        write_orlib(inst, existing)
    assert existing.read_text() == "keep me\n"
    assert list(tmp_path.iterdir()) == [existing]


def test_write_replaces_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "inst.txt"
    path.write_text("old\n")
    write_taillard(load_instance("ft06"), path)
    assert read_taillard(path).same_data(load_instance("ft06"))
    assert format_taillard(load_instance("ft06")).startswith("Nb of jobs")
    assert [p.name for p in tmp_path.iterdir()] == ["inst.txt"]
