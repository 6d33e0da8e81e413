"""What a job-shop instance read from a fuzzed file must be: what the file says, read here by a
plain reader of the format's layout, and an instance whose schedules validate."""

from __future__ import annotations

import re

import numpy as np

from decisiongym.baselines.jobshop.dispatching import solve_rule
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.solution import Schedule, validate

_INTEGERS = re.compile(r"[+-]?[0-9]+")


def _meaningful_rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def _is_numbers(row: list[str]) -> bool:
    return all(_INTEGERS.fullmatch(token) for token in row)


def orlib_reading(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(machines, durations) of an OR-Library text that loaded: the size line is the first
    line of integers, the job lines follow it."""
    rows = _meaningful_rows(text)
    first = next(i for i, row in enumerate(rows) if _is_numbers(row))
    n_jobs = int(rows[first][0])
    jobs = np.array([[int(token) for token in row] for row in rows[first + 1:first + 1 + n_jobs]])
    return jobs[:, 0::2], jobs[:, 1::2]


def taillard_reading(text: str) -> tuple[np.ndarray, np.ndarray, int | None, int | None]:
    """(machines from 0, durations, upper bound, lower bound) of a Taillard text that loaded."""
    rows = _meaningful_rows(text)
    first = next(i for i, row in enumerate(rows) if _is_numbers(row))
    numbers = [int(token) for token in rows[first]]
    n_jobs = numbers[0]
    body = [row for row in rows[first + 1:]
            if " ".join(row).lower() not in ("times", "machines")]
    durations = np.array([[int(t) for t in row] for row in body[:n_jobs]])
    machines = np.array([[int(t) for t in row] for row in body[n_jobs:2 * n_jobs]]) - 1
    upper = numbers[4] if len(numbers) >= 5 and numbers[4] > 0 else None
    lower = numbers[5] if len(numbers) >= 6 and numbers[5] > 0 else None
    return machines, durations, upper, lower


def serial_schedule(instance: JobShopInstance) -> Schedule:
    """Every operation after the one before it, job by job: always feasible."""
    ends = np.cumsum(instance.durations.ravel()).reshape(instance.durations.shape)
    return Schedule(instance, ends - instance.durations)


def check_schedules(instance: JobShopInstance) -> None:
    """A serial schedule and SPT's validate, with the makespans they must have."""
    serial = serial_schedule(instance)
    assert validate(instance, serial) == int(instance.durations.sum())
    rule = solve_rule(instance, "spt")
    assert validate(instance, rule.schedule) == rule.makespan
    assert instance.trivial_lower_bound <= rule.makespan <= int(instance.durations.sum())
