"""Tests of the built-in instance names, the loader and the name and source lists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from decisiongym.envs.jobshop.catalog import (
    BUILTIN_NAMES,
    expand_instance_names,
    expand_instance_sources,
    load_instance,
)
from decisiongym.envs.jobshop.formats import read_orlib, read_taillard, write_orlib
from decisiongym.envs.jobshop.instance import JobShopInstance

TAILLARD = [f"ta{i:02d}" for i in range(1, 81)]


# --------------------------------------------------------------------------------------------
# Built-in instances and files
# --------------------------------------------------------------------------------------------


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
# Instance sources: names, files and folders
# --------------------------------------------------------------------------------------------


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
