"""Tests of the job-shop instance data, its text formats and Taillard's generator."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decisiongym.envs.core.errors import InstanceFormatError
from decisiongym.envs.jobshop.instance import (
    BUILTIN_NAMES,
    JobShopInstance,
    RandomInstanceGenerator,
    expand_instance_names,
    format_orlib,
    format_taillard,
    load_instance,
    parse_orlib,
    parse_taillard,
    read_instance,
    read_orlib,
    read_taillard,
    taillard_generate,
    taillard_instance,
    write_orlib,
    write_taillard,
)

TAILLARD = [f"ta{i:02d}" for i in range(1, 81)]

# SHA-256 over ta01..ta80 in order, each as b"<name> <n_jobs> <n_machines>\n" followed by the
# machines then the durations as little-endian int64, row by row. Computed from the reference
# instance files (checked against six independent copies), so the generator is pinned even
# where those files are not available.
TAILLARD_DIGEST = "e4896e5178908bc5f473994b0899448d9e5604962be7800dd022c4d8ef8d400b"

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "jssp"
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


def line_of(error: InstanceFormatError) -> int | None:
    match = re.search(r", line (\d+): ", str(error))
    return int(match.group(1)) if match else None


# --------------------------------------------------------------------------------------------
# Taillard's benchmark
# --------------------------------------------------------------------------------------------


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


def test_builtin_instances() -> None:
    assert len(BUILTIN_NAMES) == 81 and BUILTIN_NAMES[0] == "ta01" and "ft06" in BUILTIN_NAMES
    ft06 = load_instance("ft06")
    assert (ft06.n_jobs, ft06.n_machines) == (6, 6)
    assert ft06.optimal and ft06.upper_bound == 55
    assert ft06.is_classic
    assert ft06.machines[0].tolist() == [2, 0, 1, 3, 5, 4]
    assert ft06.durations[0].tolist() == [1, 3, 6, 7, 3, 6]


def test_load_instance_paths_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "mine.txt"
    write_orlib(load_instance("ft06"), path)
    inst = load_instance(str(path))
    assert inst.name == "mine" and inst.same_data(load_instance("ft06"))
    assert load_instance(path).same_data(inst)
    with pytest.raises(ValueError, match=r"ta01\.\.ta80, ft06"):
        load_instance("no-such-instance")
    with pytest.raises(FileNotFoundError):
        load_instance(tmp_path / "missing.txt")
    with pytest.raises(FileNotFoundError):
        read_orlib(tmp_path / "missing.txt")
    with pytest.raises(FileNotFoundError):
        read_taillard(tmp_path / "missing.txt")


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


# --------------------------------------------------------------------------------------------
# Random instances
# --------------------------------------------------------------------------------------------


def test_random_generator_reproducible() -> None:
    gen = RandomInstanceGenerator()
    a, b = gen.sample(7), gen.sample(7)
    assert a.same_data(b) and a.name == b.name
    c = gen(np.random.default_rng(7))
    assert c.same_data(a)
    assert not gen.sample(8).same_data(a)
    assert re.fullmatch(rf"random-{a.n_jobs}x{a.n_machines}-[0-9a-f]{{8}}", a.name)


def test_random_generator_sizes_and_routes() -> None:
    gen = RandomInstanceGenerator(n_jobs=(3, 5), n_machines=(2, 4), duration=(10, 20))
    assert (gen.max_jobs, gen.max_machines) == (5, 4)
    rng = np.random.default_rng(0)
    sizes = set()
    for _ in range(60):
        inst = gen(rng)
        sizes.add((inst.n_jobs, inst.n_machines))
        assert 3 <= inst.n_jobs <= 5 and 2 <= inst.n_machines <= 4
        assert inst.n_ops == inst.n_machines
        assert inst.durations.min() >= 10 and inst.durations.max() <= 20
        for route in inst.machines:
            assert sorted(route.tolist()) == list(range(inst.n_machines))
    assert len(sizes) > 4
    fixed = RandomInstanceGenerator(n_jobs=100, n_machines=20, name_prefix="big").sample(1)
    assert (fixed.n_jobs, fixed.n_machines) == (100, 20) and fixed.name.startswith("big-100x20-")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_jobs": (5, 3)},
        {"n_jobs": 0},
        {"n_machines": (0, 4)},
        {"n_machines": True},
        {"duration": (0, 10)},
        {"duration": (1, 2, 3)},
        {"n_jobs": "6"},
    ],
)
def test_random_generator_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RandomInstanceGenerator(**kwargs)  # type: ignore[arg-type]


def test_random_generator_needs_generator() -> None:
    with pytest.raises(TypeError, match="sample"):
        RandomInstanceGenerator()(3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Instance names
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("ta01-ta10,ta41,ft06", [f"ta{i:02d}" for i in range(1, 11)] + ["ta41", "ft06"]),
        (" ta01 - ta03 , ft06 ", ["ta01", "ta02", "ta03", "ft06"]),
        ("ta1-ta3", ["ta01", "ta02", "ta03"]),
        ("TA05", ["ta05"]),
        ("ta7", ["ta07"]),
        ("ta02,ta01-ta03", ["ta02", "ta01", "ta03"]),
        ("dmu01-dmu03", ["dmu01", "dmu02", "dmu03"]),
        ("la9-la11", ["la09", "la10", "la11"]),
        ("ta80-ta80", ["ta80"]),
        ("my_file.txt", ["my_file.txt"]),
    ],
)
def test_expand_instance_names(spec: str, expected: list[str]) -> None:
    assert expand_instance_names(spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "  ",
        "ta01,,ta02",
        "ta01-dmu05",
        "ta05-ta01",
        "ta01-ta02-ta03",
        "ta81",
        "ta01-ta90",
        "foo bar",
        "ta01-",
        "-ta02",
        "ft-ta01",
        "ta$1",
    ],
)
def test_expand_instance_names_errors(spec: str) -> None:
    with pytest.raises(ValueError):
        expand_instance_names(spec)


def test_expand_all_taillard() -> None:
    assert expand_instance_names("ta01-ta80") == TAILLARD


# --------------------------------------------------------------------------------------------
# In-memory validation
# --------------------------------------------------------------------------------------------


def test_instance_basics() -> None:
    machines = np.array([[0, 1], [1, 0], [0, 0]])
    durations = np.array([[3, 4], [2, 6], [1, 1]])
    inst = JobShopInstance(machines, durations, name="small")
    assert (inst.n_jobs, inst.n_ops, inst.n_machines, inst.n_operations) == (3, 2, 2, 6)
    # job 1 works 8; machine 0 carries 3 + 6 + 1 + 1 = 11
    assert inst.trivial_lower_bound == 11
    assert not inst.optimal and not inst.is_classic
    assert repr(inst) == "JobShopInstance('small', 3x2)"
    assert inst.machines.dtype == np.int64 and inst.machines.flags.c_contiguous
    with pytest.raises(ValueError):
        inst.machines[0, 0] = 1
    machines[0, 0] = 1  # the caller's array stays writable and independent
    assert inst.machines[0, 0] == 0
    with pytest.raises(AttributeError):
        inst.name = "other"  # type: ignore[misc]
    wide = JobShopInstance([[0, 1]], [[1, 1]], n_machines=5)
    assert wide.n_machines == 5 and "2 ops per job" in repr(wide)
    renamed = JobShopInstance(inst.machines, inst.durations, name="again", upper_bound=20)
    assert renamed.same_data(inst) and not renamed.same_data(wide)
    assert not inst.same_data("small")
    assert JobShopInstance([[0]], [[4]], lower_bound=4, upper_bound=4).optimal
    assert JobShopInstance([[0.0, 1.0]], [[2.0, 3.0]]).durations.dtype == np.int64


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"machines": [[0, 1]], "durations": [[1, 2], [3, 4]]}, "same shape"),
        ({"machines": [0, 1], "durations": [1, 2]}, "2-D"),
        ({"machines": np.zeros((0, 3)), "durations": np.zeros((0, 3))}, "at least 1 job"),
        (
            {"machines": [[0, 1], [1, 0]], "durations": [[1, 2], [3, -1]]},
            "durations must be >= 0, found -1 for job 1, operation 1",
        ),
        (
            {"machines": [[0, 1], [1, 0]], "durations": [[0, 0], [0, 0]]},
            "durations are all 0",
        ),
        (
            {"machines": [[0, 1], [1, 7]], "durations": [[1, 2], [3, 4]], "n_machines": 2},
            "machines must be in 0..1, found 7 for job 1, operation 1",
        ),
        ({"machines": [[0, -1]], "durations": [[1, 2]]}, "found -1 for job 0, operation 1"),
        (
            {"machines": [[0, 1]], "durations": [[1, 2.5]]},
            "durations must be integers, found 2.5 for job 0, operation 1",
        ),
        ({"machines": [[0, 1], [1]], "durations": [[1, 2], [3]]}, "rectangular"),
        ({"machines": [["a", "b"]], "durations": [[1, 2]]}, "machines must be integers"),
        ({"machines": [[0, 1]], "durations": [[1, 2]], "n_machines": -1}, "n_machines"),
        (
            {"machines": [[0, 1]], "durations": [[1, 2]], "lower_bound": 9, "upper_bound": 5},
            "lower_bound must not exceed upper_bound",
        ),
        ({"machines": [[0, 1]], "durations": [[1, 2]], "upper_bound": 2.5}, "upper_bound"),
        ({"machines": [[0, 1]], "durations": [[1, 2]], "name": 3}, "name"),
    ],
)
def test_instance_validation(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(InstanceFormatError) as info:
        JobShopInstance(**kwargs)  # type: ignore[arg-type]
    assert fragment in str(info.value)
    assert info.value.file is None


def test_repeated_machine_allowed_in_memory() -> None:
    inst = JobShopInstance([[0, 1, 0]], [[1, 2, 3]])
    assert inst.n_machines == 2 and inst.n_ops == 3
    assert inst.trivial_lower_bound == 6
