"""Malformed Taillard job-shop files: a typed error naming the file and line, or an instance
that holds what the file says (bounds included) and whose schedules validate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fuzz_harness import FUZZ_SETTINGS, MUST_LOAD, Case, byte_mutations, common_text_cases, run_case
from hypothesis import given
from jobshop_fuzz_checks import check_schedules, taillard_reading

from decisiongym.envs.jobshop.formats import format_taillard, read_taillard
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.taillard import ft06_instance

VALID = format_taillard(ft06_instance())
VALID_BYTES = VALID.encode()
LINES = VALID.splitlines()
HEADER, NUMBERS, TIMES, DURATIONS, MACHINES = LINES[0], LINES[1], 2, LINES[3:9], LINES[10:16]


def replaced(index: int, line: str) -> str:
    """The valid file with its line ``index`` (0-based) replaced."""
    lines = list(LINES)
    lines[index] = line
    return "\n".join(lines) + "\n"


def check(instance: JobShopInstance, path: Path) -> None:
    machines, durations, upper, lower = taillard_reading(
        path.read_bytes().decode("utf-8", "replace"))
    assert np.array_equal(instance.machines, machines)
    assert np.array_equal(instance.durations, durations)
    assert (instance.upper_bound, instance.lower_bound) == (upper, lower)
    check_schedules(instance)


CASES = [
    *common_text_cases(VALID_BYTES),
    Case.text("the valid file", VALID, MUST_LOAD),
    Case.text("the bare form", "\n".join(["6 6", *DURATIONS, *MACHINES]) + "\n", MUST_LOAD),
    Case.text("no header line", "\n".join(LINES[1:]) + "\n", MUST_LOAD),
    Case.text("unknown bounds", replaced(1, "6 6 0 0 0 0"), MUST_LOAD),
    Case.text("keywords in capitals", VALID.replace("Times", "TIMES"), MUST_LOAD),
    Case.text("numbers line of seven numbers", replaced(1, "6 6 0 0 55 55 1"), "line 2"),
    Case.text("numbers line of one number", replaced(1, "6"), "line 2"),
    Case.text("lower bound above upper", replaced(1, "6 6 0 0 50 60"), "exceeds upper bound"),
    Case.text("a bound of 2^60", replaced(1, f"6 6 0 0 {2**60} 55"), "2**53"),
    Case.text("a bound of 400 digits", replaced(1, f"6 6 0 0 {'9' * 400} 55"), "2**53"),
    Case.text("zero jobs", replaced(1, "0 6 0 0 55 55"), "n_jobs >= 1"),
    Case.text("negative machines", replaced(1, "6 -6 0 0 55 55"), "n_machines >= 1"),
    Case.text("a size of 10^6 x 10^6", replaced(1, "1000000 1000000 0 0 0 0"),
              "above the limit"),
    Case.text("a NaN bound", replaced(1, "6 6 0 0 nan 55"), None),
    Case.text("Times before the numbers", "Times\n" + VALID, "missing size line"),
    Case.text("Machines before Times", "\n".join([HEADER, NUMBERS, "Machines", *MACHINES,
                                                   "Times", *DURATIONS]) + "\n", None),
    Case.text("a durations row missing", "\n".join([*LINES[:8], *LINES[9:]]) + "\n",
              "expected 6 lines of durations"),
    Case.text("a machines row missing", "\n".join(LINES[:-1]) + "\n",
              "expected 6 lines of machines"),
    Case.text("a row of machines too many", VALID + MACHINES[0] + "\n", "expected end of file"),
    Case.text("a NaN duration", replaced(3, "nan 3 6 7 3 6"), "line 4"),
    Case.text("an infinite duration", replaced(3, "inf 3 6 7 3 6"), "line 4"),
    Case.text("a negative duration", replaced(4, "-8 5 10 10 10 4"), "line 5"),
    Case.text("a duration of 2^62", replaced(4, f"{2**62} 5 10 10 10 4"), "2**62"),
    Case.text("durations adding up past 2^53",
              "\n".join([*LINES[:3], *[" ".join([str(2**50)] * 6)] * 6, *LINES[9:]]) + "\n",
              "add up"),
    Case.text("all durations zero",
              "\n".join([*LINES[:3], *["0 0 0 0 0 0"] * 6, *LINES[9:]]) + "\n", "all 0"),
    Case.text("a float duration", replaced(3, "1.5 3 6 7 3 6"), "line 4"),
    Case.text("a duration row too short", replaced(3, "1 3 6 7 3"), "line 4"),
    Case.text("a duration row too long", replaced(3, "1 3 6 7 3 6 1"), "line 4"),
    Case.text("machine 0 (numbered from 1)", replaced(10, "0 1 2 4 6 5"), "out of range"),
    Case.text("machine 7 of 6", replaced(10, "7 1 2 4 6 5"), "out of range"),
    Case.text("a machine twice", replaced(10, "3 3 2 4 6 5"), "appears twice"),
    Case.text("a NaN machine", replaced(10, "nan 1 2 4 6 5"), "line 11"),
    Case.text("machines numbered from 0", "\n".join(
        [*LINES[:10], *[" ".join(str(int(t) - 1) for t in row.split()) for row in MACHINES]])
        + "\n", "out of range"),
    Case.text("text after the machines", VALID + "end\n", "expected end of file"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hand_made_taillard_files(case: Case) -> None:
    run_case("job-shop Taillard", read_taillard, case.data, "ft06.txt", case=case.name,
             expect=case.expect, check=check)


@FUZZ_SETTINGS
@given(data=byte_mutations(VALID_BYTES))
def test_mutated_taillard_files(data: bytes) -> None:
    run_case("job-shop Taillard", read_taillard, data, "ft06.txt", check=check)


def test_enough_malformed_taillard_inputs() -> None:
    assert len(CASES) + FUZZ_SETTINGS.max_examples >= 50
