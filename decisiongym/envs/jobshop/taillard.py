"""Taillard's job-shop benchmark, generated from his published seeds, and ft06.

Taillard (1993) publishes a seed pair per instance instead of the data: ``taillard_generate``
replays his Park-Miller generator bit for bit, and the seeds and best-known bounds of ta01-ta80
are read from the package's ``data/taillard.csv``.
"""

from __future__ import annotations

import csv
import functools
import math
import re
from dataclasses import dataclass
from importlib.resources import files

import numpy as np

from decisiongym.envs.jobshop.formats import parse_orlib
from decisiongym.envs.jobshop.instance import JobShopInstance

__all__ = [
    "TAILLARD_NAMES",
    "canonical_taillard_name",
    "ft06_instance",
    "taillard_generate",
    "taillard_instance",
]

TAILLARD_NAMES: tuple[str, ...] = tuple(f"ta{i:02d}" for i in range(1, 81))

_LCG_MODULUS = 2**31 - 1
_LCG_MULTIPLIER = 16807


class _TaillardRandom:
    """Taillard's Park-Miller stream: ``unif`` advances the seed once per number drawn."""

    def __init__(self, seed: int, role: str) -> None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"{role} must be an integer, found {seed!r}")
        if not 1 <= seed < _LCG_MODULUS:
            # 0 is a fixed point of the generator.
            raise ValueError(f"{role} must be in 1..{_LCG_MODULUS - 1}, found {seed}")
        self.seed = int(seed)

    def unif(self, low: int, high: int) -> int:
        self.seed = (_LCG_MULTIPLIER * self.seed) % _LCG_MODULUS
        # Taillard computes in double precision; Python's int / int rounds the same way.
        return low + math.floor(self.seed / _LCG_MODULUS * (high - low + 1))


def _taillard_arrays(
    n_jobs: int, n_machines: int, time_seed: int, machine_seed: int
) -> tuple[np.ndarray, np.ndarray]:
    for label, value in (("n_jobs", n_jobs), ("n_machines", n_machines)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{label} must be an integer >= 1, found {value!r}")
    times = _TaillardRandom(time_seed, "time_seed")
    routes = _TaillardRandom(machine_seed, "machine_seed")
    n, m = int(n_jobs), int(n_machines)
    durations = [[times.unif(1, 99) for _ in range(m)] for _ in range(n)]
    machines = []
    for _ in range(n):
        route = list(range(m))
        for j in range(m):
            k = routes.unif(j, m - 1)
            route[j], route[k] = route[k], route[j]
        machines.append(route)
    return np.array(machines, dtype=np.int64), np.array(durations, dtype=np.int64)


def taillard_generate(
    n_jobs: int,
    n_machines: int,
    time_seed: int,
    machine_seed: int,
    name: str | None = None,
) -> JobShopInstance:
    """Generate a job-shop instance with Taillard's (1993) procedure, bit for bit.

    Durations are drawn first, job by job, from ``unif(time_seed, 1, 99)``; then each job's
    route starts from the identity and swaps positions ``j`` and ``unif(machine_seed, j, m-1)``
    for ``j = 0..m-1``, the machine stream carrying over from job to job.

    :param n_jobs: number of jobs (>= 1).
    :param n_machines: number of machines (>= 1).
    :param time_seed: seed of the duration stream, in 1..2**31-2.
    :param machine_seed: seed of the route stream, in 1..2**31-2.
    :param name: instance name; ``taillard-<n>x<m>-<time_seed>-<machine_seed>`` by default.
    :return: the instance, without bounds.
    """
    machines, durations = _taillard_arrays(n_jobs, n_machines, time_seed, machine_seed)
    if name is None:
        name = f"taillard-{n_jobs}x{n_machines}-{time_seed}-{machine_seed}"
    return JobShopInstance(machines, durations, name=name, n_machines=int(n_machines))


@dataclass(frozen=True)
class _TaillardRow:
    name: str
    n_jobs: int
    n_machines: int
    time_seed: int
    machine_seed: int
    lower_bound: int
    upper_bound: int


@functools.lru_cache(maxsize=1)
def _taillard_table() -> dict[str, _TaillardRow]:
    """Seeds and bounds of ta01-ta80, read once from the package data."""
    text = (files("decisiongym") / "data" / "taillard.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    table = {}
    for row in rows:
        table[row["name"]] = _TaillardRow(
            name=row["name"],
            n_jobs=int(row["n_jobs"]),
            n_machines=int(row["n_machines"]),
            time_seed=int(row["time_seed"]),
            machine_seed=int(row["machine_seed"]),
            lower_bound=int(row["lower_bound"]),
            upper_bound=int(row["upper_bound"]),
        )
    return table


_TA_RE = re.compile(r"ta0*([1-9][0-9]*)", re.IGNORECASE)


def canonical_taillard_name(name: str) -> str | None:
    """The ``taNN`` form of a Taillard name (``"ta1"``, ``"TA01"`` -> ``"ta01"``).

    :param name: a candidate name.
    :return: the canonical name, or ``None`` when ``name`` is not one of ta01..ta80.
    """
    match = _TA_RE.fullmatch(name.strip())
    if match is None or not 1 <= int(match.group(1)) <= 80:
        return None
    return f"ta{int(match.group(1)):02d}"


def taillard_instance(name: str) -> JobShopInstance:
    """One of Taillard's 80 job-shop instances, generated from its published seeds.

    :param name: ``"ta01"`` to ``"ta80"`` (``"ta1"`` and ``"TA01"`` are accepted).
    :return: the instance with its best-known bounds.
    :raises ValueError: for any other name.
    """
    canonical = canonical_taillard_name(name) if isinstance(name, str) else None
    if canonical is None:
        raise ValueError(f"unknown Taillard instance {name!r}; expected ta01..ta80")
    return _taillard_cached(canonical)


@functools.cache
def _taillard_cached(name: str) -> JobShopInstance:
    row = _taillard_table()[name]
    machines, durations = _taillard_arrays(
        row.n_jobs, row.n_machines, row.time_seed, row.machine_seed
    )
    return JobShopInstance(
        machines,
        durations,
        name=name,
        n_machines=row.n_machines,
        lower_bound=row.lower_bound,
        upper_bound=row.upper_bound,
    )


# Fisher and Thompson's 6x6 instance (Muth and Thompson, "Industrial Scheduling",
# Prentice-Hall, 1963), as distributed in OR-Library's jobshop1.txt (Beasley 1990); its
# optimal makespan 55 is proven.
_FT06 = """\
6 6
2  1 0  3 1  6 3  7 5  3 4  6
1  8 2  5 4 10 5 10 0 10 3  4
2  5 3  4 5  8 0  9 1  1 4  7
1  5 0  5 2  5 3  3 4  8 5  9
2  9 1  3 4  5 5  4 0  3 3  1
1  3 3  3 5  9 0 10 4  4 2  1
"""


@functools.lru_cache(maxsize=1)
def ft06_instance() -> JobShopInstance:
    """Fisher and Thompson's 6x6 instance, with its proven optimal makespan as both bounds.

    :return: the instance, named ``"ft06"``.
    """
    base = parse_orlib(_FT06, source="<ft06>", name="ft06")
    return JobShopInstance(
        base.machines, base.durations, name="ft06", n_machines=6, lower_bound=55, upper_bound=55
    )
