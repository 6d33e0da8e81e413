"""Malformed OR-Library job-shop files: a typed error naming the file and line, or an instance
that holds what the file says and whose schedules validate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fuzz_harness import FUZZ_SETTINGS, MUST_LOAD, Case, byte_mutations, common_text_cases, run_case
from hypothesis import given
from jobshop_fuzz_checks import check_schedules, orlib_reading

from decisiongym.envs.jobshop.formats import format_orlib, read_instance, read_orlib
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.taillard import ft06_instance

VALID = format_orlib(ft06_instance())
VALID_BYTES = VALID.encode()
HEAD, *JOBS = VALID.splitlines()


def with_job(line: str, job: int = 0) -> str:
    """The valid file with job ``job``'s line replaced."""
    jobs = list(JOBS)
    jobs[job] = line
    return "\n".join([HEAD, *jobs]) + "\n"


def check(instance: JobShopInstance, path: Path) -> None:
    machines, durations = orlib_reading(path.read_bytes().decode("utf-8", "replace"))
    assert np.array_equal(instance.machines, machines)
    assert np.array_equal(instance.durations, durations)
    check_schedules(instance)


CASES = [
    *common_text_cases(VALID_BYTES),
    Case.text("the valid file", VALID, MUST_LOAD),
    Case.text("header text and comments", "instance ft06\n +++\n# a comment\n" + VALID,
              MUST_LOAD),
    Case.text("one job, one machine", "1 1\n0 5\n", MUST_LOAD),
    Case.text("signs on the numbers", with_job("+2 +1 0 3 1 6 3 7 5 3 4 6"), MUST_LOAD),
    Case.text("one zero duration", with_job("2 0 0 3 1 6 3 7 5 3 4 6"), MUST_LOAD),
    Case.text("size line only", "6 6\n", "expected 6 job lines, found 0"),
    Case.text("size line of three numbers", "6 6 6\n" + "\n".join(JOBS), "line 1"),
    Case.text("size line of one number", "6\n" + "\n".join(JOBS), "line 1"),
    Case.text("zero jobs", "0 6\n", "n_jobs >= 1"),
    Case.text("zero machines", "6 0\n", "n_machines >= 1"),
    Case.text("negative jobs", "-6 6\n" + "\n".join(JOBS), "n_jobs >= 1"),
    Case.text("size of 10^5 x 10^5", "100000 100000\n0 1\n", "above the limit"),
    Case.text("size of 10^30 jobs", f"{10**30} 6\n" + "\n".join(JOBS), "above the limit"),
    Case.text("size of 2^63 machines", f"6 {2**63}\n" + "\n".join(JOBS), "above the limit"),
    Case.text("NaN size", "nan 6\n" + "\n".join(JOBS), None),
    Case.text("fewer job lines than said", "7 6\n" + "\n".join(JOBS), "expected 7 job lines"),
    Case.text("more job lines than said", "5 6\n" + "\n".join(JOBS), "line 7"),
    Case.text("a NaN duration", with_job("2 nan 0 3 1 6 3 7 5 3 4 6"), "line 2"),
    Case.text("an infinite duration", with_job("2 inf 0 3 1 6 3 7 5 3 4 6"), "line 2"),
    Case.text("a float duration", with_job("2 1.5 0 3 1 6 3 7 5 3 4 6"), "line 2"),
    Case.text("an exponent duration", with_job("2 1e3 0 3 1 6 3 7 5 3 4 6"), "line 2"),
    Case.text("a hex duration", with_job("2 0x10 0 3 1 6 3 7 5 3 4 6"), "line 2"),
    Case.text("an underscored duration", with_job("2 1_0 0 3 1 6 3 7 5 3 4 6"), "line 2"),
    Case.text("an Arabic-Indic digit", with_job("2 \u0663 0 3 1 6 3 7 5 3 4 6"), "line 2"),
    Case.text("a negative duration", with_job("2 -1 0 3 1 6 3 7 5 3 4 6", 2), "line 4"),
    Case.text("a duration of 2^62", with_job(f"2 {2**62} 0 3 1 6 3 7 5 3 4 6"), "2**62"),
    Case.text("a duration of 400 digits", with_job(f"2 {'9' * 400} 0 3 1 6 3 7 5 3 4 6"),
              "2**62"),
    Case.text("durations adding up past 2^53",
              "\n".join([HEAD, *[" ".join(f"{m} {2**50}" for m in range(6))] * 6]) + "\n",
              "add up"),
    Case.text("all durations zero",
              "\n".join([HEAD, *[" ".join(f"{m} 0" for m in range(6))] * 6]) + "\n",
              "all 0"),
    Case.text("machine out of range", with_job("6 1 0 3 1 6 3 7 5 3 4 6"), "out of range"),
    Case.text("negative machine", with_job("-1 1 0 3 1 6 3 7 5 3 4 6"), "out of range"),
    Case.text("machine twice in a job", with_job("2 1 2 3 1 6 3 7 5 3 4 6"), "appears twice"),
    Case.text("a pair missing", with_job("2 1 0 3 1 6 3 7 5 3"), "line 2"),
    Case.text("a pair too many", with_job("2 1 0 3 1 6 3 7 5 3 4 6 0 1"), "line 2"),
    Case.text("an odd count", with_job("2 1 0 3 1 6 3 7 5 3 4"), "line 2"),
    Case.text("an empty job line", "6 6\n\n" + "\n".join(JOBS[1:]), "expected 6 job lines"),
    Case.text("text after the jobs", VALID + "the end\n", "expected end of file"),
    Case.text("text in a job line", with_job("machine 2 takes 1"), "line 2"),
    Case.text("a Taillard file read as OR-Library",
              "6 6\nTimes\n" + "\n".join(JOBS), "line 2"),
    Case.text("commas between numbers", with_job("2,1,0,3,1,6,3,7,5,3,4,6"), "line 2"),
    Case.text("a NUL inside a line", with_job("2 1\x000 3 1 6 3 7 5 3 4 6"), "line 2"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hand_made_orlib_files(case: Case) -> None:
    run_case("job-shop OR-Library", read_orlib, case.data, "ft06.txt", case=case.name,
             expect=case.expect, check=check)


@FUZZ_SETTINGS
@given(data=byte_mutations(VALID_BYTES))
def test_mutated_orlib_files(data: bytes) -> None:
    run_case("job-shop OR-Library", read_orlib, data, "ft06.txt", check=check)


@FUZZ_SETTINGS
@given(data=byte_mutations(VALID_BYTES))
def test_mutated_files_read_with_the_format_guessed(data: bytes) -> None:
    run_case("job-shop auto-detected", read_instance, data, "instance.txt")


def test_enough_malformed_orlib_inputs() -> None:
    assert len(CASES) + FUZZ_SETTINGS.max_examples >= 50
